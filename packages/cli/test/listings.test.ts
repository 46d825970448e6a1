import { LeaseSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { leasesTable, namespacesTable } from "../src/format/listings.js";

describe("namespacesTable", () => {
  it("matches `ctr ns ls` of containerd 1.6.20 byte for byte", () => {
    // Captured from Debian's ctr 1.6.20 (`ctr ns ls | cat -A`).
    const list = [
      create(NamespaceSchema, { name: "Bad" }),
      create(NamespaceSchema, { name: "nsa", labels: { d: "4", b: "2", c: "x y" } }),
      create(NamespaceSchema, { name: "nsb" }),
      create(NamespaceSchema, { name: "zz" }),
    ];
    expect(namespacesTable(list)).toBe(
      [
        "NAME LABELS        ",
        "Bad                ",
        "nsa  b=2,c=x y,d=4 ",
        "nsb                ",
        "zz                 ",
        "",
      ].join("\n"),
    );
  });

  it("prints only the header for no namespaces", () => {
    expect(namespacesTable([])).toBe("NAME LABELS \n");
  });
});

describe("leasesTable", () => {
  const at = (iso: string) => ({ seconds: BigInt(Date.parse(iso) / 1000), nanos: 123_456_789 });

  it("matches `ctr leases ls` of containerd 1.6.20 byte for byte", () => {
    // Captured from Debian's ctr 1.6.20 in UTC (`ctr leases ls | cat -A`).
    const list = [
      create(LeaseSchema, {
        id: "718488891-LQio",
        createdAt: at("2026-11-28T01:57:45Z"),
        labels: { "containerd.io/gc.expire": "2026-11-28T03:27:45Z" },
      }),
      create(LeaseSchema, { id: "a-lease-with-a-long-id", createdAt: at("2026-11-28T01:44:59Z"), labels: { x: "y" } }),
      create(LeaseSchema, { id: "l0", createdAt: at("2026-11-28T01:57:45Z") }),
      create(LeaseSchema, { id: "l1", createdAt: at("2026-11-28T01:44:59Z"), labels: { b: "2", a: "1" } }),
      create(LeaseSchema, {
        id: "lx",
        createdAt: at("2026-11-28T01:57:45Z"),
        labels: { a: "1", "containerd.io/gc.expire": "2026-11-29T01:57:45Z" },
      }),
    ];
    expect(leasesTable(list, 0)).toBe(
      [
        "ID                     CREATED AT           LABELS                                           ",
        "718488891-LQio         2026-11-28T01:57:45Z containerd.io/gc.expire=2026-11-28T03:27:45Z     ",
        "a-lease-with-a-long-id 2026-11-28T01:44:59Z x=y                                              ",
        "l0                     2026-11-28T01:57:45Z -                                                ",
        "l1                     2026-11-28T01:44:59Z a=1,b=2                                          ",
        "lx                     2026-11-28T01:57:45Z a=1,containerd.io/gc.expire=2026-11-29T01:57:45Z ",
        "",
      ].join("\n"),
    );
  });

  it("shows the creation time in the given zone, and Go's zero time when absent", () => {
    const list = [
      create(LeaseSchema, { id: "l1", createdAt: at("2026-11-28T01:57:45Z") }),
      create(LeaseSchema, { id: "l2" }),
    ];
    expect(leasesTable(list, 90)).toBe(
      [
        "ID CREATED AT                LABELS ",
        "l1 2026-11-28T03:27:45+01:30 -      ",
        "l2 0001-01-01T01:30:00+01:30 -      ",
        "",
      ].join("\n"),
    );
  });
});

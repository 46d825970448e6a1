import { LeaseSchema, ResourceSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create } from "@bufbuild/protobuf";
import { MemoryLevel } from "memory-level";
import { beforeEach, describe, expect, it } from "vitest";
import { EXPIRE_LABEL, sweepExpiredLeases } from "../../src/local/lease-expiry.js";
import type { Database } from "../../src/store/layout.js";
import { createLevelStore } from "../../src/store/level-store.js";
import type { Store } from "../../src/store/types.js";

const NOW = new Date("2024-06-01T12:00:00Z");
const now = () => NOW;

let store: Store;
beforeEach(async () => {
  const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
  store = await createLevelStore(db as unknown as Database);
});

async function lease(namespace: string, id: string, labels: Record<string, string> = {}): Promise<void> {
  await store.leases.create(namespace, create(LeaseSchema, { id, labels }));
}

async function ids(namespace: string): Promise<string[]> {
  const found: string[] = [];
  for await (const { id } of store.leases.list(namespace)) found.push(id);
  return found;
}

const sweep = () => sweepExpiredLeases({ namespaces: store.namespaces, leases: store.leases, now });

describe("sweepExpiredLeases", () => {
  it("deletes a lease past its expiry and keeps one in the future", async () => {
    await lease("ns", "expired", { [EXPIRE_LABEL]: "2024-06-01T11:59:59Z" });
    await lease("ns", "future", { [EXPIRE_LABEL]: "2024-06-01T12:00:01Z" });
    expect(await sweep()).toBe(1);
    expect(await ids("ns")).toEqual(["future"]);
  });

  it("honours the UTC offset and fractional seconds of RFC 3339", async () => {
    // 13:30+02:00 is 11:30Z (expired); 08:30-04:00 is 12:30Z (future).
    await lease("ns", "east", { [EXPIRE_LABEL]: "2024-06-01T13:30:00+02:00" });
    await lease("ns", "west", { [EXPIRE_LABEL]: "2024-06-01T08:30:00-04:00" });
    await lease("ns", "nanos", { [EXPIRE_LABEL]: "2024-06-01T11:59:59.999999999Z" });
    expect(await sweep()).toBe(2);
    expect(await ids("ns")).toEqual(["west"]);
  });

  it("keeps a lease without the label, or with other labels only", async () => {
    await lease("ns", "bare");
    await lease("ns", "other", { "containerd.io/gc.expire.not": "2000-01-01T00:00:00Z", x: "y" });
    expect(await sweep()).toBe(0);
    expect(await ids("ns")).toEqual(["bare", "other"]);
  });

  it.each(["not a time", "yesterday", "2024-13-45T99:99:99Z", "12345"])(
    "keeps a lease whose expiry %j cannot be parsed",
    async (value) => {
      await lease("ns", "odd", { [EXPIRE_LABEL]: value });
      expect(await sweep()).toBe(0);
      expect(await ids("ns")).toEqual(["odd"]);
    },
  );

  // containerd parses the label with Go's time.Parse(time.RFC3339, …): anything that is not
  // RFC 3339 is unparseable there, even when JavaScript's Date.parse would accept it.
  it.each(["2020-01-01", "Wed, 01 Jan 2020 00:00:00 GMT", "2020-01-01 00:00:00Z", "January 1, 2020"])(
    "keeps a lease whose past expiry %j is not RFC 3339",
    async (value) => {
      await lease("ns", "odd", { [EXPIRE_LABEL]: value });
      expect(await sweep()).toBe(0);
      expect(await ids("ns")).toEqual(["odd"]);
    },
  );

  it("sweeps every namespace and counts what it deleted", async () => {
    const past = { [EXPIRE_LABEL]: "2000-01-01T00:00:00Z" };
    const future = { [EXPIRE_LABEL]: "2999-01-01T00:00:00Z" };
    await lease("a", "old1", past);
    await lease("a", "keep", future);
    await lease("a", "old2", past);
    await lease("b", "old", past);
    await lease("b", "plain");
    await lease("c", "keep", future);
    expect(await sweep()).toBe(3);
    expect(await ids("a")).toEqual(["keep"]);
    expect(await ids("b")).toEqual(["plain"]);
    expect(await ids("c")).toEqual(["keep"]);
    expect(await sweep()).toBe(0);
  });

  it("removes an expired lease's resources with it", async () => {
    await lease("ns", "old", { [EXPIRE_LABEL]: "2000-01-01T00:00:00Z" });
    await store.leases.addResource("ns", "old", create(ResourceSchema, { id: "r", type: "ingests" }));
    expect(await sweep()).toBe(1);
    expect(await store.leases.listResources("ns", "old")).toBeUndefined();
    await lease("ns", "old");
    expect(await store.leases.listResources("ns", "old")).toEqual([]);
  });

  it("leaves namespaces in place and does nothing when there is nothing", async () => {
    expect(await sweep()).toBe(0);
    await lease("ns", "old", { [EXPIRE_LABEL]: "2000-01-01T00:00:00Z" });
    expect(await sweep()).toBe(1);
    const names: string[] = [];
    for await (const { name } of store.namespaces.list()) names.push(name);
    expect(names).toEqual(["ns"]);
  });

  it("uses the current time by default", async () => {
    await lease("ns", "old", { [EXPIRE_LABEL]: new Date(Date.now() - 60_000).toISOString() });
    await lease("ns", "new", { [EXPIRE_LABEL]: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await sweepExpiredLeases({ namespaces: store.namespaces, leases: store.leases })).toBe(1);
    expect(await ids("ns")).toEqual(["new"]);
  });
});

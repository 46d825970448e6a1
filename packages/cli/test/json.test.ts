import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { LeaseSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { containerToJson, formatJson, leaseToJson, namespaceToJson, timestampToJson } from "../src/format/json.js";
import { packSpec } from "../src/oci-spec.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

describe("timestampToJson", () => {
  it.each([
    [0n, 0, "1970-01-01T00:00:00Z"],
    [1_700_000_000n, 500_000_000, "2023-11-14T22:13:20.500Z"],
    [1_700_000_000n, 123_456_000, "2023-11-14T22:13:20.123456Z"],
    [1_700_000_000n, 123_456_789, "2023-11-14T22:13:20.123456789Z"],
    [1_700_000_000n, 1, "2023-11-14T22:13:20.000000001Z"],
    [-62_135_596_800n, 0, "0001-01-01T00:00:00Z"],
  ])("%d s + %d ns is %s", (seconds, nanos, want) => {
    expect(timestampToJson({ $typeName: "google.protobuf.Timestamp", seconds, nanos })).toBe(want);
  });
});

describe("containerToJson", () => {
  it("shows an OCI spec decoded and every other Any as type URL and base64", () => {
    const container = create(ContainerSchema, {
      id: "c1",
      labels: { z: "1", a: "2" },
      image: "docker.io/library/busybox:latest",
      runtime: { name: "io.containerd.runc.v2", options: { typeUrl: "containerd.runc.v1.Options", value: utf8("hi") } },
      spec: packSpec(utf8('{"ociVersion":"1.0.2-dev"}')),
      snapshotter: "overlayfs",
      snapshotKey: "c1",
      createdAt: { seconds: 1_700_000_000n, nanos: 5 },
      updatedAt: { seconds: 1_700_000_001n, nanos: 0 },
      extensions: {
        "b.ext": { typeUrl: "example.com/B", value: Uint8Array.of(0, 255) },
        "a.ext": { typeUrl: "example.com/A" },
      },
    });
    const json = containerToJson(container);
    expect(json).toEqual({
      id: "c1",
      labels: { a: "2", z: "1" },
      image: "docker.io/library/busybox:latest",
      runtime: { name: "io.containerd.runc.v2", options: { typeUrl: "containerd.runc.v1.Options", value: "aGk=" } },
      spec: { ociVersion: "1.0.2-dev" },
      snapshotter: "overlayfs",
      snapshotKey: "c1",
      createdAt: "2023-11-14T22:13:20.000000005Z",
      updatedAt: "2023-11-14T22:13:21Z",
      extensions: {
        "a.ext": { typeUrl: "example.com/A", value: "" },
        "b.ext": { typeUrl: "example.com/B", value: "AP8=" },
      },
    });
    // Map keys come out sorted, as Go's encoding/json sorts them.
    expect(Object.keys(json.labels as object)).toEqual(["a", "z"]);
    expect(Object.keys(json.extensions as object)).toEqual(["a.ext", "b.ext"]);
  });

  it("shows a spec with another type URL raw", () => {
    const container = create(ContainerSchema, { id: "c1", spec: { typeUrl: "example.com/Spec", value: utf8("{}") } });
    expect(containerToJson(container).spec).toEqual({ typeUrl: "example.com/Spec", value: "e30=" });
  });

  it("leaves absent messages out and keeps empty maps and strings", () => {
    expect(containerToJson(create(ContainerSchema, { id: "c1" }))).toEqual({
      id: "c1",
      labels: {},
      image: "",
      runtime: { name: "" },
      snapshotter: "",
      snapshotKey: "",
      extensions: {},
    });
  });
});

describe("namespaceToJson", () => {
  it("shows the name and the labels sorted by key", () => {
    const json = namespaceToJson(create(NamespaceSchema, { name: "ns1", labels: { z: "1", a: "" } }));
    expect(json).toEqual({ name: "ns1", labels: { a: "", z: "1" } });
    expect(Object.keys(json.labels as object)).toEqual(["a", "z"]);
  });
});

describe("leaseToJson", () => {
  it("shows id, creation time with nanoseconds and sorted labels", () => {
    const lease = create(LeaseSchema, {
      id: "l1",
      createdAt: { seconds: 1_700_000_000n, nanos: 123_456_789 },
      labels: { b: "2", "containerd.io/gc.expire": "2023-11-15T22:13:20Z" },
    });
    expect(JSON.stringify(leaseToJson(lease))).toBe(
      '{"id":"l1","createdAt":"2023-11-14T22:13:20.123456789Z","labels":{"b":"2","containerd.io/gc.expire":"2023-11-15T22:13:20Z"}}',
    );
  });

  it("leaves out an absent creation time", () => {
    expect(leaseToJson(create(LeaseSchema, { id: "l1" }))).toEqual({ id: "l1", labels: {} });
  });
});

describe("formatJson", () => {
  it("indents with four spaces and ends with a newline", () => {
    expect(formatJson({ a: [1] })).toBe('{\n    "a": [\n        1\n    ]\n}\n');
  });
});

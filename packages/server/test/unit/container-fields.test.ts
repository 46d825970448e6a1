import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { containerFields } from "../../src/local/container-fields.js";
import { lenField, message } from "../support/protowire.js";

const label = (key: string, value: string) => lenField(2, message(lenField(1, key), lenField(2, value)));

describe("containerFields", () => {
  it("reads what a filter can see from the encoded container", () => {
    const container = create(ContainerSchema, {
      id: "web-1",
      image: "docker.io/library/nginx:1",
      runtime: { name: "io.containerd.runc.v2" },
      labels: { app: "web", "io.kubernetes/ns": "prod", empty: "", ключ: "значение" },
      spec: { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: new Uint8Array(300) },
      snapshotter: "overlayfs",
      extensions: { e: { typeUrl: "t", value: new Uint8Array([1, 2]) } },
    });
    const fields = containerFields(toBinary(ContainerSchema, container));
    expect(fields.field(["id"])).toBe("web-1");
    expect(fields.field(["image"])).toBe("docker.io/library/nginx:1");
    expect(fields.field(["runtime", "name"])).toBe("io.containerd.runc.v2");
    expect(fields.field(["labels", "app"])).toBe("web");
    expect(fields.field(["labels", "io", "kubernetes/ns"])).toBe("prod");
    expect(fields.field(["labels", "ключ"])).toBe("значение");
    expect(fields.field(["labels", "missing"])).toBeUndefined();
    expect(fields.field(["snapshotter"])).toBeUndefined();
    expect(fields.field(["runtime"])).toBeUndefined();
    expect(fields.field(["labels"])).toBeUndefined();
  });

  it("treats empty id, image and runtime as absent", () => {
    const fields = containerFields(toBinary(ContainerSchema, create(ContainerSchema, {})));
    expect(fields.field(["id"])).toBeUndefined();
    expect(fields.field(["image"])).toBeUndefined();
    expect(fields.field(["runtime", "name"])).toBeUndefined();
  });

  it("follows protobuf's map rules: the last entry of a key wins, an entry without a key has key ''", () => {
    const bytes = message(lenField(1, "x"), label("k", "first"), label("other", "o"), label("k", "last"));
    expect(containerFields(bytes).field(["labels", "k"])).toBe("last");
    const keyless = message(lenField(2, message(lenField(2, "v"))));
    expect(containerFields(keyless).field(["labels", ""])).toBe("v");
    const valueless = message(lenField(2, message(lenField(1, "k"))));
    expect(containerFields(valueless).field(["labels", "k"])).toBe("");
  });

  it("skips fields of every wire type it does not need", () => {
    const varint = new Uint8Array([0x40, 0x96, 0x01]); // field 8, varint 150
    const fixed64 = new Uint8Array([0x49, 1, 2, 3, 4, 5, 6, 7, 8]); // field 9, fixed64
    const fixed32 = new Uint8Array([0x55, 1, 2, 3, 4]); // field 10, fixed32
    const bytes = message(varint, fixed64, fixed32, lenField(1, "id-after"), label("a", "b"));
    expect(containerFields(bytes).field(["id"])).toBe("id-after");
    expect(containerFields(bytes).field(["labels", "a"])).toBe("b");
  });

  it("stops at truncated bytes instead of reading past them", () => {
    const bytes = message(lenField(1, "ok"), label("a", "b")).subarray(0, 8);
    expect(() => containerFields(bytes).field(["labels", "a"])).not.toThrow();
  });
});

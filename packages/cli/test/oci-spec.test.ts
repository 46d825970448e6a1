import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  createDefaultSpec,
  decodeSpec,
  encodeSpecJson,
  packSpec,
  RUNTIME_SPEC_TYPE_URL,
  validateSpecJson,
} from "../src/oci-spec.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

describe("packSpec", () => {
  it("uses containerd's bare type URL and keeps the bytes as given", () => {
    const bytes = utf8('{ "ociVersion": "1.0.2" }\n');
    const any = packSpec(bytes);
    expect(any.typeUrl).toBe("types.containerd.io/opencontainers/runtime-spec/1/Spec");
    expect(any.typeUrl).toBe(RUNTIME_SPEC_TYPE_URL);
    expect(any.value).toEqual(bytes);
  });
});

describe("createDefaultSpec", () => {
  const spec = createDefaultSpec({ namespace: "ns1", id: "c1" }) as Record<string, never>;

  it("runs sh in / of the rootfs directory", () => {
    expect(spec).toMatchObject({
      ociVersion: "1.0.2-dev",
      process: { args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 } },
      root: { path: "rootfs" },
    });
  });

  it("uses fresh Linux namespaces and the /<namespace>/<id> cgroup", () => {
    expect(spec).toMatchObject({
      linux: {
        cgroupsPath: "/ns1/c1",
        namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      },
    });
  });

  it("survives encoding and decoding", () => {
    expect(decodeSpec(packSpec(encodeSpecJson(spec)))).toEqual(spec);
  });
});

describe("validateSpecJson", () => {
  it("returns valid JSON bytes unchanged", () => {
    const bytes = utf8("[1, 2]");
    expect(validateSpecJson(bytes, "spec file")).toBe(bytes);
  });

  it.each([
    ["not JSON", utf8("{ociVersion")],
    ["empty", utf8("")],
    ["invalid UTF-8", Uint8Array.of(0x22, 0xff, 0x22)],
  ])("rejects %s", (_name, bytes) => {
    expect(() => validateSpecJson(bytes, 'spec file "x.json"')).toThrow(/^spec file "x\.json" is not valid JSON: /);
  });
});

describe("decodeSpec", () => {
  it("decodes OCI JSON", () => {
    expect(decodeSpec(packSpec(utf8('{"ociVersion":"1.0.2","process":{"args":["true"]}}')))).toEqual({
      ociVersion: "1.0.2",
      process: { args: ["true"] },
    });
  });

  it.each([
    ["another type URL", create(AnySchema, { typeUrl: "example.com/Other", value: utf8("{}") })],
    [
      "the prefixed URL anyPack would write",
      create(AnySchema, { typeUrl: `type.googleapis.com/${RUNTIME_SPEC_TYPE_URL}`, value: utf8("{}") }),
    ],
    ["bytes that are not JSON", packSpec(Uint8Array.of(0x0a, 0x01))],
    ["an empty value", packSpec(new Uint8Array())],
  ])("leaves %s undecoded", (_name, any) => {
    expect(decodeSpec(any)).toBeUndefined();
  });
});

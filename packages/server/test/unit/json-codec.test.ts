import { OptionsSchema } from "@berth/gen/containerd/runc/v1/options_pb.js";
import {
  ContainerSchema,
  CreateContainerRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { createJsonCodec } from "../../src/rpc/json-codec.js";
import { JsonSyntaxError, parseJsonTree } from "../../src/rpc/json-tree.js";
import { createPayloadRegistry } from "../../src/services/any-payloads.js";
import { SERVED_SERVICES } from "../../src/services/routes.js";

const codec = createJsonCodec(createPayloadRegistry(SERVED_SERVICES));
const SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
const SPEC_TEXT = '{"ociVersion":"1.0.2-dev", "process": {"args": ["sh"]},\n"root":{"path":"rootfs"}}';

function container() {
  return create(ContainerSchema, {
    id: "c",
    labels: { "@type": "not an Any", value: "x" },
    runtime: {
      name: "io.containerd.runc.v2",
      options: {
        ...anyPack(OptionsSchema, create(OptionsSchema, { binaryName: "crun" })),
        typeUrl: "containerd.runc.v1.Options",
      },
    },
    spec: { typeUrl: SPEC_URL, value: new TextEncoder().encode(SPEC_TEXT) },
    extensions: {
      opaque: { typeUrl: "example.com/x.Y", value: new Uint8Array([0, 1, 254]) },
      quoted: { typeUrl: "example.com/x.Z", value: new TextEncoder().encode('"just a string"') },
    },
  });
}

describe("the JSON codec", () => {
  it("embeds JSON-valued Anys as they are, shows known types as proto JSON and others as base64", () => {
    const json = codec.toJsonText(ContainerSchema, container());
    expect(json).toContain(`"spec":{"@type":"${SPEC_URL}","value":${SPEC_TEXT}}`);
    const parsed = JSON.parse(json);
    expect(parsed.runtime.options).toEqual({ "@type": "containerd.runc.v1.Options", binaryName: "crun" });
    expect(parsed.extensions.opaque).toEqual({ "@type": "example.com/x.Y", value: "AAH+" });
    expect(parsed.extensions.quoted).toEqual({
      "@type": "example.com/x.Z",
      value: Buffer.from('"just a string"').toString("base64"),
    });
    expect(parsed.labels).toEqual({ "@type": "not an Any", value: "x" });
  });

  it("reads its own output back into the same message, bytes and type URLs included", () => {
    const original = container();
    const again = codec.fromJsonText(ContainerSchema, codec.toJsonText(ContainerSchema, original));
    expect(again).toEqual(original);
    expect(toBinary(ContainerSchema, again)).toEqual(toBinary(ContainerSchema, original));
  });

  it("takes an embedded object byte for byte from the request, wherever the Any is", () => {
    const text = `{"container":{"id":"n","spec":{"value" : ${SPEC_TEXT} , "@type":"${SPEC_URL}"}}}`;
    const request = codec.fromJsonText(CreateContainerRequestSchema, text);
    expect(new TextDecoder().decode(request.container?.spec?.value)).toBe(SPEC_TEXT);
    expect(request.container?.spec?.typeUrl).toBe(SPEC_URL);
  });

  it("refuses an Any value that is neither base64 nor JSON, and text that is not JSON", () => {
    expect(() => codec.fromJsonText(ContainerSchema, '{"spec":{"@type":"a/B","value":true}}')).toThrow(JsonSyntaxError);
    expect(() => codec.fromJsonText(ContainerSchema, '{"id":"x"')).toThrow(JsonSyntaxError);
  });
});

describe("the JSON span reader", () => {
  it("keeps each value's place in the text", () => {
    const text = ' {"a": [1, "x", {"b": null}], "c": -1.5e3 } ';
    const root = parseJsonTree(text);
    if (root.kind !== "object") throw new Error("not an object");
    const [a, c] = root.members;
    expect(text.slice(a?.value.start, a?.value.end)).toBe('[1, "x", {"b": null}]');
    expect(text.slice(c?.value.start, c?.value.end)).toBe("-1.5e3");
  });

  it.each(["", "{", '{"a" 1}', "[1,]", "tru", '{"a":1} x', "[".repeat(300) + "]".repeat(300)])("refuses %j", (text) => {
    expect(() => parseJsonTree(text)).toThrow(JsonSyntaxError);
  });
});

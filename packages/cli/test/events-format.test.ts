import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import {
  NamespaceCreateSchema,
  NamespaceDeleteSchema,
  NamespaceUpdateSchema,
} from "@berth/gen/containerd/events/namespace_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { type Any, DurationSchema, StructSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  decodeEventPayload,
  eventToJson,
  formatEventJsonLine,
  formatEventLine,
  goJson,
  goJsonString,
  protoJson,
} from "../src/format/events.js";

function pack<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Any {
  return {
    $typeName: "google.protobuf.Any",
    typeUrl: schema.typeName,
    value: toBinary(schema, create(schema, init)),
  };
}

function envelope(namespace: string, topic: string, event: Any | undefined, nanos = 410_740_119): Envelope {
  return create(EnvelopeSchema, { timestamp: { seconds: 1_795_830_291n, nanos }, namespace, topic, event });
}

const TIME = "2026-11-28 01:44:51.410740119 +0000 UTC";

describe("formatEventLine", () => {
  // Payloads as published by real containerd 1.6.20 and the lines Debian's `ctr events` printed for them.
  const image = "img<&>\u2028é";
  const cases: [string, string, Any, string][] = [
    [
      "evns",
      "/containers/create",
      pack(ContainerCreateSchema, {
        id: "c1",
        image,
        runtime: { name: "rt", options: { typeUrl: "example.com/Opt", value: Uint8Array.of(1, 2, 255) } },
      }),
      '{"id":"c1","image":"img\\u003c\\u0026\\u003e\\u2028é","runtime":{"name":"rt","options":{"type_url":"example.com/Opt","value":"AQL/"}}}',
    ],
    [
      "evns",
      "/containers/create",
      pack(ContainerCreateSchema, { id: "c2", runtime: { name: "rt2" } }),
      '{"id":"c2","runtime":{"name":"rt2"}}',
    ],
    [
      "evns",
      "/containers/update",
      pack(ContainerUpdateSchema, { id: "c1", image, labels: { z: "1", k: "v" } }),
      '{"id":"c1","image":"img\\u003c\\u0026\\u003e\\u2028é","labels":{"k":"v","z":"1"}}',
    ],
    ["evns", "/containers/update", pack(ContainerUpdateSchema, { id: "c2" }), '{"id":"c2"}'],
    ["evns", "/containers/delete", pack(ContainerDeleteSchema, { id: "c1" }), '{"id":"c1"}'],
    [
      "default",
      "/namespaces/create",
      pack(NamespaceCreateSchema, { name: "nsa", labels: { b: "2", a: "1", c: "x y" } }),
      '{"name":"nsa","labels":{"a":"1","b":"2","c":"x y"}}',
    ],
    ["default", "/namespaces/create", pack(NamespaceCreateSchema, { name: "nsb" }), '{"name":"nsb"}'],
    // An empty label value is kept: the map is not empty.
    [
      "default",
      "/namespaces/update",
      pack(NamespaceUpdateSchema, { name: "nsa", labels: { a: "" } }),
      '{"name":"nsa","labels":{"a":""}}',
    ],
    ["zz", "/namespaces/delete", pack(NamespaceDeleteSchema, { name: "zz" }), '{"name":"zz"}'],
  ];

  it.each(cases)("%s %s %j", (namespace, topic, event, json) => {
    expect(formatEventLine(envelope(namespace, topic, event))).toBe(`${TIME} ${namespace} ${topic} ${json}\n`);
  });

  it("prints the type URL where ctr would skip the envelope", () => {
    const unknown = {
      $typeName: "google.protobuf.Any" as const,
      typeUrl: "example.com/Unknown",
      value: Uint8Array.of(1),
    };
    expect(formatEventLine(envelope("ns", "/custom/thing", unknown))).toBe(
      `${TIME} ns /custom/thing example.com/Unknown\n`,
    );
    // ctr's registry knows only the bare URL, and bytes that do not decode are not shown either.
    const prefixed = {
      ...pack(ContainerDeleteSchema, { id: "x" }),
      typeUrl: "type.googleapis.com/containerd.events.ContainerDelete",
    };
    expect(formatEventLine(envelope("ns", "/t", prefixed))).toBe(`${TIME} ns /t ${prefixed.typeUrl}\n`);
    const truncated = { ...pack(ContainerDeleteSchema, { id: "x" }), value: Uint8Array.of(10, 5, 120) };
    expect(formatEventLine(envelope("ns", "/t", truncated))).toBe(`${TIME} ns /t containerd.events.ContainerDelete\n`);
  });

  it("ends with a space when there is no event, as Go's Println of an empty string", () => {
    expect(formatEventLine(envelope("ns", "/t", undefined))).toBe(`${TIME} ns /t \n`);
  });

  it("prints an absent timestamp as Go's zero time", () => {
    const noTime = create(EnvelopeSchema, { namespace: "ns", topic: "/t" });
    expect(formatEventLine(noTime)).toBe("0001-01-01 00:00:00 +0000 UTC ns /t \n");
  });
});

describe("formatEventJsonLine", () => {
  it("prints one compact JSON object: RFC 3339 time with nanos, proto3 JSON payload", () => {
    const event = pack(ContainerCreateSchema, {
      id: "c1",
      runtime: { name: "rt", options: { typeUrl: "example.com/Opt", value: Uint8Array.of(1, 2, 255) } },
    });
    const line = formatEventJsonLine(envelope("ns1", "/containers/create", event));
    expect(line).toBe(
      '{"timestamp":"2026-11-28T01:44:51.410740119Z","namespace":"ns1","topic":"/containers/create",' +
        '"event":{"typeUrl":"containerd.events.ContainerCreate",' +
        '"value":{"id":"c1","runtime":{"name":"rt","options":{"typeUrl":"example.com/Opt","value":"AQL/"}}}}}\n',
    );
  });

  it("uses JSON names and shows undecodable payloads as base64", () => {
    const update = pack(ContainerUpdateSchema, { id: "c1", snapshotKey: "k", labels: { b: "", a: "1" } });
    expect(eventToJson(envelope("ns1", "/containers/update", update, 500_000_000))).toEqual({
      timestamp: "2026-11-28T01:44:51.500Z",
      namespace: "ns1",
      topic: "/containers/update",
      event: {
        typeUrl: "containerd.events.ContainerUpdate",
        value: { id: "c1", labels: { a: "1", b: "" }, snapshotKey: "k" },
      },
    });
    const unknown = {
      $typeName: "google.protobuf.Any" as const,
      typeUrl: "example.com/X",
      value: Uint8Array.of(0, 255),
    };
    expect(eventToJson(envelope("ns1", "/x", unknown)).event).toEqual({ typeUrl: "example.com/X", value: "AP8=" });
  });

  it("leaves out an absent event", () => {
    expect(eventToJson(envelope("ns1", "/x", undefined))).toEqual({
      timestamp: "2026-11-28T01:44:51.410740119Z",
      namespace: "ns1",
      topic: "/x",
    });
  });
});

describe("decodeEventPayload", () => {
  it("decodes the six containerd.events types by their bare type URL", () => {
    for (const schema of [
      ContainerCreateSchema,
      ContainerUpdateSchema,
      ContainerDeleteSchema,
      NamespaceCreateSchema,
      NamespaceUpdateSchema,
      NamespaceDeleteSchema,
    ]) {
      expect(decodeEventPayload(pack(schema, {}))?.desc).toBe(schema);
    }
  });
});

describe("goJson and protoJson on other field kinds", () => {
  it("write 64-bit integers as numbers (Go) and strings (proto3 JSON)", () => {
    const duration = reflect(DurationSchema, create(DurationSchema, { seconds: 9_007_199_254_740_993n, nanos: 5 }));
    expect(goJson(duration)).toBe('{"seconds":9007199254740993,"nanos":5}');
    expect(protoJson(duration)).toEqual({ seconds: "9007199254740993", nanos: 5 });
  });

  it("write lists, enums, bools, doubles and oneofs", () => {
    const struct = create(StructSchema, {
      fields: {
        b: { kind: { case: "boolValue", value: true } },
        a: { kind: { case: "listValue", value: { values: [{ kind: { case: "numberValue", value: 1.5 } }] } } },
        n: { kind: { case: "nullValue", value: 0 } },
      },
    });
    expect(goJson(reflect(StructSchema, struct))).toBe(
      '{"fields":{"a":{"list_value":{"values":[{"number_value":1.5}]}},"b":{"bool_value":true},"n":{"null_value":0}}}',
    );
    expect(protoJson(reflect(StructSchema, struct))).toEqual({
      fields: {
        a: { listValue: { values: [{ numberValue: 1.5 }] } },
        b: { boolValue: true },
        n: { nullValue: 0 },
      },
    });
  });
});

describe("goJsonString (Go 1.19 encoding/json)", () => {
  it.each([
    ["plain", '"plain"'],
    ['q"b\\', '"q\\"b\\\\"'],
    ["\n\r\t", '"\\n\\r\\t"'],
    ["\b\f\u0000\u001f", '"\\u0008\\u000c\\u0000\\u001f"'],
    ["<a&b>", '"\\u003ca\\u0026b\\u003e"'],
    ["\u2028\u2029", '"\\u2028\\u2029"'],
    ["é日本🙂\u007f", '"é日本🙂\u007f"'],
    ["\ud800x", '"\\ufffdx"'],
  ])("%j is %s", (text, want) => {
    expect(goJsonString(text)).toBe(want);
  });
});

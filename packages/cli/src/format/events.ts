/**
 * Event envelopes as `berth events` prints them: ctr's line
 * (`<time> <namespace> <topic> <payload JSON>`) or one JSON object per line.
 *
 * ctr decodes a payload by its exact type URL and prints Go's `json.Marshal`
 * of the gogo-generated struct: proto field names, zero values, empty maps
 * and absent messages left out, map keys sorted, an Any as
 * `{"type_url":…,"value":<base64>}`, and `<`, `>`, `&`, U+2028, U+2029
 * escaped. {@link goJson} reproduces that byte for byte for the six event
 * types; `--format json` uses proto3 JSON names instead, like the rest of
 * berth's JSON.
 */

import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { EVENT_PAYLOAD_SCHEMAS } from "@berth/shared/event-types";
import { create, type DescField, fromBinary, type JsonObject, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import { type ReflectList, type ReflectMap, type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import type { Any } from "@bufbuild/protobuf/wkt";
import { compareUtf8 } from "../labels.js";
import { timestampToJson } from "./json.js";
import { formatGoTime, GO_ZERO_TIME } from "./time.js";

/**
 * Decodes an event payload whose type URL is exactly one of the six bare URLs
 * (`containerd.events.ContainerCreate`…), as ctr's type registry does; a
 * `type.googleapis.com/` prefix is not recognised. Returns `undefined` for
 * any other URL and for bytes that do not decode.
 */
export function decodeEventPayload(event: Any): ReflectMessage | undefined {
  const schema = EVENT_PAYLOAD_SCHEMAS.get(event.typeUrl);
  if (schema === undefined) return undefined;
  try {
    return reflect(schema, fromBinary(schema, event.value));
  } catch {
    return undefined;
  }
}

/**
 * ctr's line for an envelope: Go's `fmt.Println(timestamp, namespace, topic, payload)`.
 * The payload is {@link goJson} of the decoded event; where ctr would skip an
 * envelope (unknown type URL, undecodable bytes) berth prints the type URL
 * instead, and an envelope without an event ends in a space, as in ctr.
 */
export function formatEventLine(envelope: Envelope): string {
  const { event } = envelope;
  let payload = "";
  if (event !== undefined) {
    const decoded = decodeEventPayload(event);
    payload = decoded === undefined ? event.typeUrl : goJson(decoded);
  }
  return `${formatGoTime(envelope.timestamp)} ${envelope.namespace} ${envelope.topic} ${payload}\n`;
}

/**
 * An envelope as a JSON object: `timestamp` (RFC 3339, nanoseconds kept),
 * `namespace`, `topic` and, when present, `event` as `{typeUrl, value}`
 * with `value` the decoded payload in proto3 JSON, or base64 bytes when it
 * cannot be decoded.
 */
export function eventToJson(envelope: Envelope): JsonObject {
  const json: JsonObject = {
    timestamp: timestampToJson(envelope.timestamp ?? GO_ZERO_TIME),
    namespace: envelope.namespace,
    topic: envelope.topic,
  };
  const { event } = envelope;
  if (event !== undefined) {
    const decoded = decodeEventPayload(event);
    json.event = {
      typeUrl: event.typeUrl,
      value: decoded === undefined ? Buffer.from(event.value).toString("base64") : protoJson(decoded),
    };
  }
  return json;
}

/**
 * A stored event of berthd's history as `berth events --since/--after` prints
 * it: its sequence, then ctr's line; a gap in the history as
 * `<sequence> <time> gap <from> <to> <reason>`.
 */
export function formatHistoryLine(event: Event): string {
  if (event.gap !== undefined) {
    const { gap } = event;
    return `${event.sequence} ${formatGoTime(gap.to)} gap ${formatGoTime(gap.from)} ${formatGoTime(gap.to)} ${gap.reason}\n`;
  }
  return `${event.sequence} ${formatEventLine(envelopeOfEvent(event))}`;
}

/** A stored event as one JSON line: {@link eventToJson} with its `sequence`, or the gap. */
export function formatHistoryJsonLine(event: Event): string {
  if (event.gap !== undefined) {
    const { gap } = event;
    return `${JSON.stringify({
      sequence: String(event.sequence),
      gap: {
        from: timestampToJson(gap.from ?? GO_ZERO_TIME),
        to: timestampToJson(gap.to ?? GO_ZERO_TIME),
        reason: gap.reason,
      },
    })}\n`;
  }
  return `${JSON.stringify({ sequence: String(event.sequence), ...eventToJson(envelopeOfEvent(event)) })}\n`;
}

function envelopeOfEvent(event: Event): Envelope {
  return create(EnvelopeSchema, {
    timestamp: event.timestamp,
    namespace: event.namespace,
    topic: event.topic,
    event: event.event,
  });
}

/** {@link eventToJson} as one compact line. */
export function formatEventJsonLine(envelope: Envelope): string {
  return `${JSON.stringify(eventToJson(envelope))}\n`;
}

/**
 * Go's `json.Marshal` of a gogo-generated message: fields in declaration
 * order under their proto names, unset (zero) fields left out, maps sorted by
 * key bytes, bytes as base64, 64-bit integers as numbers, enums as numbers.
 * (A oneof member is written like a plain field, which is not what Go does;
 * no event type has a oneof.)
 */
export function goJson(message: ReflectMessage): string {
  const members: string[] = [];
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    members.push(`${goJsonString(field.name)}:${goJsonField(field, message.get(field))}`);
  }
  return `{${members.join(",")}}`;
}

function goJsonField(field: DescField, value: unknown): string {
  switch (field.fieldKind) {
    case "scalar":
      return goJsonScalar(field.scalar, value);
    case "enum":
      return String(value);
    case "message":
      return goJson(value as ReflectMessage);
    case "list": {
      const items = Array.from(value as ReflectList, (item) =>
        field.listKind === "scalar"
          ? goJsonScalar(field.scalar, item)
          : field.listKind === "enum"
            ? String(item)
            : goJson(item as ReflectMessage),
      );
      return `[${items.join(",")}]`;
    }
    case "map": {
      const entries = Array.from(value as ReflectMap, ([key, item]) => [String(key), item] as const);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      const members = entries.map(([key, item]) => {
        const text =
          field.mapKind === "scalar"
            ? goJsonScalar(field.scalar, item)
            : field.mapKind === "enum"
              ? String(item)
              : goJson(item as ReflectMessage);
        return `${goJsonString(key)}:${text}`;
      });
      return `{${members.join(",")}}`;
    }
  }
}

function goJsonScalar(type: ScalarType, value: unknown): string {
  switch (type) {
    case ScalarType.STRING:
      return goJsonString(value as string);
    case ScalarType.BYTES:
      return goJsonString(Buffer.from(value as Uint8Array).toString("base64"));
    case ScalarType.BOOL:
      return value ? "true" : "false";
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      // Go's json.Marshal fails on NaN and infinities; ctr then skips the event.
      return Number.isFinite(value) ? JSON.stringify(value) : goJsonString(String(value));
    default:
      // Integers, 64-bit ones as bigint (or string with jstype=JS_STRING): digits either way.
      return String(value);
  }
}

/**
 * A string as Go's `encoding/json` writes it (Go 1.19, as Debian's ctr
 * 1.6.20): `"` and `\` escaped, `\n`, `\r`, `\t`, other control characters
 * as `\u00XX`, and `<`, `>`, `&`, U+2028, U+2029 as `\uXXXX`.
 */
export function goJsonString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || char === "<" || char === ">" || char === "&" || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is not valid UTF-8; Go writes the replacement character.
      out += "\\ufffd";
    } else out += char;
  }
  return `${out}"`;
}

/**
 * A message in proto3 JSON form (JSON names, unset fields left out, 64-bit
 * integers as strings, enums as numbers); a nested Any is `{typeUrl, value}`
 * with base64 bytes, as everywhere in berth's JSON.
 */
export function protoJson(message: ReflectMessage): JsonObject {
  const json: JsonObject = {};
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    json[field.jsonName] = protoJsonField(field, message.get(field));
  }
  return json;
}

function protoJsonField(field: DescField, value: unknown): JsonValue {
  switch (field.fieldKind) {
    case "scalar":
      return protoJsonScalar(field.scalar, value);
    case "enum":
      return value as number;
    case "message":
      return protoJson(value as ReflectMessage);
    case "list":
      return Array.from(value as ReflectList, (item) =>
        field.listKind === "scalar"
          ? protoJsonScalar(field.scalar, item)
          : field.listKind === "enum"
            ? (item as number)
            : protoJson(item as ReflectMessage),
      );
    case "map": {
      const entries = Array.from(value as ReflectMap, ([key, item]) => [String(key), item] as const);
      entries.sort(([a], [b]) => compareUtf8(a, b));
      return Object.fromEntries(
        entries.map(([key, item]) => [
          key,
          field.mapKind === "scalar"
            ? protoJsonScalar(field.scalar, item)
            : field.mapKind === "enum"
              ? (item as number)
              : protoJson(item as ReflectMessage),
        ]),
      );
    }
  }
}

function protoJsonScalar(type: ScalarType, value: unknown): JsonValue {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BOOL:
      return value as string | boolean;
    case ScalarType.BYTES:
      return Buffer.from(value as Uint8Array).toString("base64");
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return Number.isFinite(value) ? (value as number) : String(value);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return String(value);
    default:
      return value as number;
  }
}

import { randomBytes } from "node:crypto";
import {
  clone,
  create,
  type DescMessage,
  fromBinary,
  fromJsonString,
  type MessageShape,
  type Registry,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { type Any, AnySchema, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { type JsonNode, JsonSyntaxError, parseJsonTree } from "./json-tree.js";

/**
 * Proto JSON for containerd's messages, whose Anys are not all protobuf. The
 * OCI spec that ctr attaches (`types.containerd.io/opencontainers/runtime-spec/1/Spec`)
 * holds the spec's JSON text: it appears as `{"@type": URL, "value": <the spec object>}`,
 * the text embedded as it is. Any other type URL the registry does not know appears as
 * `{"@type": URL, "value": "<base64>"}`, so no call fails on a type it cannot resolve.
 * Reading JSON takes both forms back, an embedded object byte for byte, so a Create or
 * Update sent in JSON stores exactly the bytes shown. Known types use protobuf's own
 * Any JSON (`{"@type": URL, ...fields}`).
 */
export interface JsonCodec {
  /** The message as proto JSON text. */
  toJsonText<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string;
  /** @throws JsonSyntaxError or protobuf-es's errors for input that is not the message's JSON. */
  fromJsonText<Desc extends DescMessage>(schema: Desc, text: string): MessageShape<Desc>;
}

const STAND_IN_URL = "type.googleapis.com/google.protobuf.StringValue";

/** Builds the codec over a registry of the message types Anys may hold. */
export function createJsonCodec(types: Registry): JsonCodec {
  const known = (typeUrl: string) => types.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1)) !== undefined;
  // Each unknown Any travels through protobuf-es as a StringValue holding a marker, then is swapped back.
  const standIn = (marker: string): Pick<Any, "typeUrl" | "value"> => ({
    typeUrl: STAND_IN_URL,
    value: toBinary(StringValueSchema, create(StringValueSchema, { value: marker })),
  });
  // The stand-in exactly as protobuf-es writes it (member order included), to find it in the output.
  const standInText = (marker: string) =>
    JSON.stringify(toJson(AnySchema, create(AnySchema, standIn(marker)), { registry: types }));

  return {
    toJsonText(schema, original) {
      const nonce = randomBytes(9).toString("base64url");
      const shown: string[] = [];
      const message = clone(schema, original);
      forEachAny(message, (any) => {
        if (known(any.typeUrl)) return;
        const text = `{"@type":${JSON.stringify(any.typeUrl)},"value":${valueText(any.value)}}`;
        Object.assign(any, standIn(`${nonce}:${shown.push(text) - 1}`));
      });
      let json = JSON.stringify(toJson(schema, message, { registry: types }));
      shown.forEach((text, index) => {
        json = json.replace(standInText(`${nonce}:${index}`), () => text);
      });
      return json;
    },

    fromJsonText(schema, text) {
      const nonce = randomBytes(9).toString("base64url");
      const held: Pick<Any, "typeUrl" | "value">[] = [];
      const swaps: { start: number; end: number; text: string }[] = [];
      const spelled = new Map<string, string>();
      const visit = (desc: DescMessage, node: JsonNode) => {
        if (node.kind !== "object") return;
        if (desc.typeName === AnySchema.typeName) {
          const type = node.members.find((member) => member.key === "@type")?.value;
          if (type?.kind !== "string") return;
          const inner = types.getMessage(type.value.slice(type.value.lastIndexOf("/") + 1));
          if (inner !== undefined) {
            // protobuf-es would store its own `type.googleapis.com/` form: keep the URL as sent.
            if (!spelled.has(inner.typeName)) spelled.set(inner.typeName, type.value);
            visit(inner, node);
            return;
          }
          const value = node.members.find((member) => member.key === "value")?.value;
          held.push({ typeUrl: type.value, value: valueBytes(text, value) });
          swaps.push({ start: node.start, end: node.end, text: standInText(`${nonce}:${held.length - 1}`) });
          return;
        }
        // Well-known types have JSON forms of their own (Struct, Timestamp, …): nothing inside is an Any.
        if (desc.typeName.startsWith("google.protobuf.")) return;
        for (const member of node.members) {
          const field = desc.fields.find(
            (candidate) => candidate.jsonName === member.key || candidate.name === member.key,
          );
          if (field === undefined) continue;
          if (field.fieldKind === "message") visit(field.message, member.value);
          else if (field.fieldKind === "list" && field.listKind === "message" && member.value.kind === "array") {
            for (const item of member.value.items) visit(field.message, item);
          } else if (field.fieldKind === "map" && field.mapKind === "message" && member.value.kind === "object") {
            for (const entry of member.value.members) visit(field.message, entry.value);
          }
        }
      };
      visit(schema, parseJsonTree(text));
      let rewritten = "";
      let at = 0;
      for (const swap of swaps) {
        rewritten += text.slice(at, swap.start) + swap.text;
        at = swap.end;
      }
      rewritten += text.slice(at);
      const message = fromJsonString(schema, rewritten, { registry: types });
      forEachAny(message, (any) => {
        if (any.typeUrl === STAND_IN_URL) {
          const [prefix, index] = fromBinary(StringValueSchema, any.value).value.split(":");
          const original = prefix === nonce ? held[Number(index)] : undefined;
          if (original !== undefined) {
            Object.assign(any, original);
            return;
          }
        }
        const sent = spelled.get(any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1));
        if (sent !== undefined) any.typeUrl = sent;
      });
      return message;
    },
  };
}

/** The JSON of an unknown Any's value: its text when it is a JSON object or array, else base64. */
function valueText(value: Uint8Array): string {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(value);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) return text;
  } catch {
    // Not JSON text: shown as base64.
  }
  return JSON.stringify(Buffer.from(value).toString("base64"));
}

/** An unknown Any's bytes from its JSON `value`: base64 text, or an object or array taken as it is written. */
function valueBytes(text: string, value: JsonNode | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array();
  if (value.kind === "string") return new Uint8Array(Buffer.from(value.value, "base64"));
  if (value.kind === "object" || value.kind === "array") {
    return new TextEncoder().encode(text.slice(value.start, value.end));
  }
  throw new JsonSyntaxError(`invalid JSON at offset ${value.start}: an Any's value must be base64 text or JSON`);
}

/** Calls `visit` on every Any in a protobuf-es message, however deep. */
function forEachAny(value: unknown, visit: (any: Any) => void): void {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) forEachAny(item, visit);
    return;
  }
  if ((value as { $typeName?: string }).$typeName === AnySchema.typeName) {
    visit(value as Any);
    return;
  }
  for (const child of Object.values(value)) forEachAny(child, visit);
}

import { create, type DescField, type DescMessage, ScalarType, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { Random } from "./fuzz-random.js";

/** Eight ASCII bytes that {@link withInvalidUtf8} replaces in encoded messages. */
export const UTF8_MARKER = "U8MARKER";

const STRINGS = [
  "",
  "fz",
  "default",
  "fuzz",
  "io.containerd.runc.v2",
  "/containers/create",
  "types.containerd.io/opencontainers/runtime-spec/1/Spec",
  "labels.a==b",
  "id~=(a*)*b",
  "content",
  "snapshots/overlayfs",
  "sha256:0000000000000000000000000000000000000000000000000000000000000000",
  "a%d%s%%",
  "__proto__",
  "constructor",
  "é☃𝄞",
  "Bad NS",
  "a".repeat(77),
  "containerd.services.containers.v1.Containers",
  "grpc.health.v1.Health",
];

/** How {@link randomMessage} picks strings. */
export interface StringChoice {
  /** Every string field, map key and map value gets {@link UTF8_MARKER}. */
  readonly marker?: boolean;
}

/**
 * A random message of `schema` built from its descriptor: each field set or not, strings from a list of
 * values that mean something to berthd (ids, namespaces, topics, filters, digests), numbers across
 * their range, nested messages to depth 3, up to 3 list elements and map entries.
 */
export function randomMessage(schema: DescMessage, random: Random, choice: StringChoice = {}, depth = 0): unknown {
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (field.oneof !== undefined || !random.chance(choice.marker ? 0.9 : 0.6)) continue;
    init[field.localName] = randomFieldValue(field, random, choice, depth);
  }
  for (const oneof of schema.oneofs) {
    if (!random.chance(0.7)) continue;
    const field = random.pick(oneof.fields);
    init[oneof.localName] = { case: field.localName, value: randomFieldValue(field, random, choice, depth) };
  }
  return create(schema, init as never);
}

function randomFieldValue(field: DescField, random: Random, choice: StringChoice, depth: number): unknown {
  const count = () => random.int(4);
  switch (field.fieldKind) {
    case "scalar":
      return randomScalar(field.scalar, random, choice);
    case "enum":
      return random.pick(field.enum.values).number;
    case "message":
      return depth >= 3 ? undefined : randomMessage(field.message, random, choice, depth + 1);
    case "list":
      return Array.from({ length: count() }, () => {
        if (field.listKind === "scalar") return randomScalar(field.scalar, random, choice);
        if (field.listKind === "enum") return random.pick(field.enum.values).number;
        return randomMessage(field.message, random, choice, Math.max(depth + 1, 3));
      });
    case "map": {
      const entries: Record<string, unknown> = {};
      for (let i = count(); i > 0; i--) {
        const key = String(randomScalar(field.mapKey, random, choice));
        const value =
          field.mapKind === "scalar"
            ? randomScalar(field.scalar, random, choice)
            : field.mapKind === "enum"
              ? random.pick(field.enum.values).number
              : randomMessage(field.message, random, choice, 3);
        entries[choice.marker ? `${key}${i}` : key] = value;
      }
      return entries;
    }
  }
}

function randomScalar(type: ScalarType, random: Random, choice: StringChoice): unknown {
  switch (type) {
    case ScalarType.STRING:
      return choice.marker ? UTF8_MARKER : random.pick(STRINGS);
    case ScalarType.BYTES:
      return random.bytes(random.int(12));
    case ScalarType.BOOL:
      return random.chance(0.5);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return random.pick([0, -1.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return random.pick([0n, -1n, 9223372036854775807n, -9223372036854775808n, -62135596800n]);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return random.pick([0n, 1n, 18446744073709551615n]);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return random.pick([0, 1, 4294967295]);
    default:
      return random.pick([0, -1, 1, 2147483647, -2147483648, 999_999_999, -62135596]);
  }
}

/** A message's bytes in the protocol's encoding; JSON that cannot be written (an Any of an unknown type) becomes `{}`. */
export function encodeMessage(schema: DescMessage, message: unknown, json: boolean): Uint8Array {
  if (!json) return toBinary(schema, message as never);
  try {
    return new TextEncoder().encode(toJsonString(schema, message as never));
  } catch {
    return new TextEncoder().encode("{}");
  }
}

const INVALID_SEQUENCES = [
  [0xff, 0xfe, 0xfd, 0xfc, 0x41, 0x42, 0x43, 0x44], // bytes that never occur in UTF-8
  [0xc3, 0x28, 0x41, 0xa0, 0xa1, 0x42, 0x43, 0x44], // bad continuation, lone continuations
  [0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf, 0x41, 0x41], // UTF-16 surrogates
  [0xc0, 0x80, 0xe0, 0x80, 0x80, 0xf8, 0x88, 0x80], // overlong forms, 5-byte lead
  [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0xf0], // cut 4-byte sequence at the end
];

/** Replaces every {@link UTF8_MARKER} in `bytes` with 8 bytes of invalid UTF-8 (same length, so framing stays valid). */
export function withInvalidUtf8(bytes: Uint8Array, random: Random): Uint8Array {
  const out = Buffer.from(bytes);
  const marker = Buffer.from(UTF8_MARKER);
  for (let at = out.indexOf(marker); at !== -1; at = out.indexOf(marker, at + marker.length)) {
    out.set(random.pick(INVALID_SEQUENCES), at);
  }
  return out;
}

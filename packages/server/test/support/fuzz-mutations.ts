import type { Random } from "./fuzz-random.js";
import { varint } from "./protowire.js";

/** One way of damaging an encoded message. */
export type Mutation = "bit-flips" | "truncate" | "duplicate" | "wire-type" | "huge-length" | "insert" | "deep-nesting";

/** Mutations of binary protobuf. */
export const BINARY_MUTATIONS: readonly Mutation[] = [
  "bit-flips",
  "truncate",
  "duplicate",
  "wire-type",
  "huge-length",
  "insert",
  "deep-nesting",
];

/** Mutations of JSON text. */
export const JSON_MUTATIONS: readonly Mutation[] = ["bit-flips", "truncate", "duplicate", "insert", "deep-nesting"];

/** Applies `mutation` to `bytes` (protobuf or, when `json`, JSON text) and returns new bytes. */
export function mutate(bytes: Uint8Array, mutation: Mutation, random: Random, json: boolean): Uint8Array {
  const out = Buffer.from(bytes);
  switch (mutation) {
    case "bit-flips": {
      if (out.length === 0) return random.bytes(1 + random.int(8));
      for (let flips = 1 + random.int(8); flips > 0; flips--) {
        const at = random.int(out.length);
        out[at] = (out[at] ?? 0) ^ (1 << random.int(8));
      }
      return out;
    }
    case "truncate":
      return out.subarray(0, out.length === 0 ? 0 : random.int(out.length));
    case "duplicate":
      // Protobuf merges repeated fields (the last scalar wins); JSON objects get a second body glued on.
      return Buffer.concat([out, out]);
    case "wire-type": {
      if (out.length === 0) return Buffer.from([0x0b]);
      // The first byte is the first field's tag: keep its number, give it a wrong wire type (3–7 are groups or invalid).
      out[0] = ((out[0] ?? 0) & ~7) | (1 + random.int(7));
      return out;
    }
    case "huge-length": {
      // A length-delimited field 1 claiming about 34 GB, or 2^31 bytes: both far past the message.
      const tag = Buffer.from([0x0a]);
      const length = random.chance(0.5)
        ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])
        : Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]);
      return Buffer.concat([out, tag, length, Buffer.from("x")]);
    }
    case "insert": {
      const at = random.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), random.bytes(1 + random.int(16)), out.subarray(at)]);
    }
    case "deep-nesting": {
      if (json) {
        const depth = 100_000;
        return Buffer.from(`{"filters":${"[".repeat(depth)}${"]".repeat(depth)}}`);
      }
      deepMessage ??= nestedMessage(10_000);
      return deepMessage;
    }
  }
}

let deepMessage: Buffer | undefined;

/** Field 1 as a message holding field 1 as a message …, `depth` levels deep, built from the inside out. */
function nestedMessage(depth: number): Buffer {
  const lengths: number[] = [0];
  for (let i = 1; i < depth; i++) {
    const inner = lengths[i - 1] ?? 0;
    lengths.push(1 + varint(inner).length + inner);
  }
  const parts: Buffer[] = [];
  for (let i = depth - 1; i >= 0; i--) parts.push(Buffer.from([0x0a]), Buffer.from(varint(lengths[i] ?? 0)));
  return Buffer.concat(parts);
}

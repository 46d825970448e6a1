import type { FieldAdaptor } from "./filters/index.js";

// Field numbers of containerd.services.containers.v1.Container (containerd's containers.proto).
const ID = 1;
const LABELS = 2;
const IMAGE = 3;
const RUNTIME = 4;
const RUNTIME_NAME = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const LENGTH_DELIMITED = 2;
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Label keys of recent filters, encoded once: a listing asks for the same key of every container. */
const encodedKeys = new Map<string, Uint8Array>();
const MAX_ENCODED_KEYS = 256;

/**
 * The fields a container filter can see (containerd `metadata/adaptors.go`):
 * `id`, `image` and `runtime.name` when non-empty, and `labels.<key>` when the key
 * exists. Everything else, e.g. `snapshotter`, is never present.
 *
 * Each field is found in the encoded container when asked for, without building
 * a Container: a label is found by comparing the stored key bytes with the
 * wanted key, and only its value is decoded.
 */
export function containerFields(encoded: Uint8Array): FieldAdaptor {
  return {
    field(path) {
      switch (path[0]) {
        case "id":
          return path.length === 1 ? nonEmpty(lastString(encoded, 0, encoded.length, ID)) : undefined;
        case "image":
          return path.length === 1 ? nonEmpty(lastString(encoded, 0, encoded.length, IMAGE)) : undefined;
        case "runtime":
          return path.length === 2 && path[1] === "name" ? nonEmpty(runtimeName(encoded)) : undefined;
        case "labels":
          return path.length > 1 ? label(encoded, encodedKey(path.slice(1).join("."))) : undefined;
        default:
          return undefined;
      }
    },
  };
}

function encodedKey(key: string): Uint8Array {
  let bytes = encodedKeys.get(key);
  if (bytes === undefined) {
    if (encodedKeys.size >= MAX_ENCODED_KEYS) encodedKeys.clear();
    bytes = encoder.encode(key);
    encodedKeys.set(key, bytes);
  }
  return bytes;
}

/**
 * A cursor over the fields of one message in `bytes[start, end)`. Stored
 * containers were encoded by berthd, so the bytes are well formed; a record
 * that is not still ends the walk instead of reading past its end.
 */
class FieldCursor {
  /** Field number and wire type of the current field. */
  number = 0;
  wireType = 0;
  /** Start and end of the current length-delimited field's contents (empty for other wire types). */
  valueStart = 0;
  valueEnd = 0;
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** Moves to the next field; false at the end. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint();
    this.number = tag >>> 3;
    this.wireType = tag & 7;
    this.valueStart = this.valueEnd = this.pos;
    switch (this.wireType) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case LENGTH_DELIMITED: {
        const length = this.varint();
        this.valueStart = this.pos;
        this.pos += length;
        this.valueEnd = this.pos;
        break;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        // Groups are not part of a Container: stop rather than guess.
        this.pos = this.end;
        return false;
    }
    return this.pos <= this.end;
  }

  /** Whether the current field is length-delimited with number `number`. */
  is(number: number): boolean {
    return this.number === number && this.wireType === LENGTH_DELIMITED;
  }

  private varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.bytes[this.pos++] ?? 0;
      // Lengths and tags fit in 32 bits; higher bytes of a longer varint only need skipping.
      if (shift < 32) result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80 || this.pos >= this.end) return result;
    }
  }
}

/** The last string field `number` of the message in `bytes[start, end)`, or "". */
function lastString(bytes: Uint8Array, start: number, end: number, number: number): string {
  const cursor = new FieldCursor(bytes, start, end);
  let found: [number, number] | undefined;
  while (cursor.next()) {
    if (cursor.is(number)) found = [cursor.valueStart, cursor.valueEnd];
  }
  return found === undefined ? "" : utf8.decode(bytes.subarray(found[0], found[1]));
}

function runtimeName(bytes: Uint8Array): string {
  const cursor = new FieldCursor(bytes, 0, bytes.length);
  let name = "";
  while (cursor.next()) {
    if (cursor.is(RUNTIME)) name = lastString(bytes, cursor.valueStart, cursor.valueEnd, RUNTIME_NAME);
  }
  return name;
}

/** The value of the label whose key has the bytes `key` (a map's last entry wins), or undefined. */
function label(bytes: Uint8Array, key: Uint8Array): string | undefined {
  const cursor = new FieldCursor(bytes, 0, bytes.length);
  let value: string | undefined;
  while (cursor.next()) {
    if (!cursor.is(LABELS)) continue;
    const entry = new FieldCursor(bytes, cursor.valueStart, cursor.valueEnd);
    let keyMatches = key.length === 0;
    let valueRange: [number, number] | undefined;
    while (entry.next()) {
      if (entry.is(ENTRY_KEY)) keyMatches = sameBytes(bytes, entry.valueStart, entry.valueEnd, key);
      else if (entry.is(ENTRY_VALUE)) valueRange = [entry.valueStart, entry.valueEnd];
    }
    if (keyMatches) value = valueRange === undefined ? "" : utf8.decode(bytes.subarray(valueRange[0], valueRange[1]));
  }
  return value;
}

function sameBytes(bytes: Uint8Array, start: number, end: number, other: Uint8Array): boolean {
  if (end - start !== other.length) return false;
  for (let i = 0; i < other.length; i++) if (bytes[start + i] !== other[i]) return false;
  return true;
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/**
 * A few lines of the protobuf wire format, so wire tests can build and read
 * messages from field numbers alone, independent of gen/.
 */

/** `value` as a protobuf varint. */
export function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

/** A length-delimited field (wire type 2): strings, bytes, messages, map entries. */
export function lenField(field: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]);
}

/** Concatenates encoded fields into one message. */
export function message(...fields: Uint8Array[]): Uint8Array {
  return Uint8Array.from(fields.flatMap((f) => [...f]));
}

/** A decoded field: number, wire type and raw value (varint as number, LEN as bytes). */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  readonly value: number | Uint8Array;
}

/** Splits a message into its fields (wire types 0 and 2, which is all these APIs use besides fixed-width none). */
export function readFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const readVarint = () => {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = bytes[offset++] ?? 0;
      result += (byte & 0x7f) * shift;
      shift *= 128;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (offset < bytes.length) {
    const key = readVarint();
    const wireType = key & 7;
    const field = Math.floor(key / 8);
    if (wireType === 0) fields.push({ field, wireType, value: readVarint() });
    else if (wireType === 2) {
      const length = readVarint();
      fields.push({ field, wireType, value: bytes.subarray(offset, offset + length) });
      offset += length;
    } else throw new Error(`unexpected wire type ${wireType}`);
  }
  return fields;
}

/** The bytes of the first occurrence of a LEN field. */
export function lenOf(bytes: Uint8Array, field: number): Uint8Array | undefined {
  const found = readFields(bytes).find((f) => f.field === field && f.wireType === 2);
  return found?.value as Uint8Array | undefined;
}

/** A LEN field decoded as UTF-8. */
export function stringOf(bytes: Uint8Array, field: number): string | undefined {
  const value = lenOf(bytes, field);
  return value === undefined ? undefined : new TextDecoder().decode(value);
}

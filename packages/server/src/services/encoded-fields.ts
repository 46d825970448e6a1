import type { Message } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { HandlerContext } from "@connectrpc/connect";

/** Whether a call's messages travel as protobuf binary (gRPC, gRPC-Web, Connect binary) rather than JSON. */
export function isBinaryCall(context: HandlerContext): boolean {
  return !(context.requestHeader.get("content-type") ?? "").includes("json");
}

/**
 * Puts already-encoded messages into field `fieldNumber` of `message` without
 * decoding them: protobuf-es writes unknown fields out verbatim, so the stored
 * bytes go on the wire as they are (a repeated field is a concatenation of its
 * elements). Only for binary calls: JSON has no unknown fields.
 */
export function withEncodedField<T extends Message>(
  message: T,
  fieldNumber: number,
  encoded: readonly Uint8Array[],
): T {
  message.$unknown = encoded.map((bytes) => ({
    no: fieldNumber,
    wireType: WireType.LengthDelimited,
    data: lengthPrefixed(bytes),
  }));
  return message;
}

/** An unknown length-delimited field's data holds its length varint, then its bytes. */
function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  let length = bytes.length;
  let prefixSize = 1;
  while (length >= 0x80) {
    length >>>= 7;
    prefixSize += 1;
  }
  const data = new Uint8Array(prefixSize + bytes.length);
  let offset = 0;
  for (length = bytes.length; length >= 0x80; length >>>= 7) data[offset++] = (length & 0x7f) | 0x80;
  data[offset++] = length;
  data.set(bytes, offset);
  return data;
}

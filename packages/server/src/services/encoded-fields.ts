import { create, type DescMessage, isFieldSet, type Message, type MessageShape } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import type { HandlerContext } from "@connectrpc/connect";
import { binaryMessagesKey } from "./context.js";

/** Whether a call's messages travel as protobuf binary (gRPC, gRPC-Web, Connect binary) rather than JSON. */
export function isBinaryCall(context: HandlerContext): boolean {
  return context.values.get(binaryMessagesKey) ?? isBinaryContentType(context.requestHeader.get("content-type"));
}

/** Whether a request content type carries protobuf binary (every protocol's JSON variant names `json`). */
export function isBinaryContentType(contentType: string | null | undefined): boolean {
  return !(contentType ?? "").includes("json");
}

/** A message's wire encoding in two parts; the encoding is the one followed by the other. */
export type EncodedParts = readonly [tag: Uint8Array, data: Uint8Array];

/**
 * A new message of `schema` whose field `fieldNumber` holds already-encoded
 * messages, not decoded: protobuf-es writes unknown fields out verbatim, so the
 * stored bytes go on the wire as they are. Only for binary calls: JSON has no
 * unknown fields.
 *
 * A repeated field on the wire is its elements one after another, each with its
 * tag and length. All of them are laid out in one buffer, held as one unknown
 * field: its number and wire type write the first tag, its data holds the rest
 * (the first length and bytes, then every further tag, length and bytes). The
 * encoded message is the same as with one unknown field per element, for one
 * allocation instead of one per element, and {@link encodingOf} can hand the
 * data to a transport without protobuf-es copying it again.
 */
export function encodedMessage<Desc extends DescMessage>(
  schema: Desc,
  fieldNumber: number,
  encoded: readonly Uint8Array[],
): MessageShape<Desc> {
  const message = create(schema);
  if (encoded.length === 0) return message;
  const tag = (fieldNumber << 3) | WireType.LengthDelimited;
  const tagSize = varintSize(tag);
  let size = -tagSize;
  for (const bytes of encoded) size += tagSize + varintSize(bytes.length) + bytes.length;
  // Every byte is written below, so the buffer need not be zeroed first (a third of the cost for a large listing).
  const data = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let index = 0; index < encoded.length; index++) {
    const bytes = encoded[index] as Uint8Array;
    if (index > 0) offset = writeVarint(data, offset, tag);
    offset = writeVarint(data, offset, bytes.length);
    data.set(bytes, offset);
    offset += bytes.length;
  }
  message.$unknown = [{ no: fieldNumber, wireType: WireType.LengthDelimited, data }];
  return message;
}

/**
 * The wire encoding of a message whose only content is one unknown field (what
 * {@link encodedMessage} builds), or undefined for any other message. protobuf-es
 * writes such a message as the field's tag followed by its data; here the data is
 * not copied.
 */
export function encodingOf(schema: DescMessage, message: Message): EncodedParts | undefined {
  const unknown = message.$unknown;
  if (unknown?.length !== 1) return undefined;
  for (const field of schema.fields) if (isFieldSet(message, field)) return undefined;
  const [{ no, wireType, data }] = unknown as [(typeof unknown)[number]];
  const tag = (no << 3) | wireType;
  const tagBytes = new Uint8Array(varintSize(tag));
  writeVarint(tagBytes, 0, tag);
  return [tagBytes, data];
}

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest >>>= 7) size += 1;
  return size;
}

function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  for (; rest >= 0x80; rest >>>= 7) target[at++] = (rest & 0x7f) | 0x80;
  target[at++] = rest;
  return at;
}

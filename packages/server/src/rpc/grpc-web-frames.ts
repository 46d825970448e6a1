import { reencodeGrpcMessage } from "./grpc-message.js";

const HEADER_BYTES = 5;
/** The flag of a gRPC-Web frame that carries the trailers instead of a message. */
const TRAILER_FLAG = 0b1000_0000;

/** A gRPC-Web trailer frame: `name: value` lines after a 5-byte header with the trailer flag. */
export function grpcWebTrailerFrame(trailer: Headers): Uint8Array {
  let text = "";
  trailer.forEach((value, name) => {
    text += `${name}: ${value}\r\n`;
  });
  const data = Buffer.from(text, "utf8");
  const frame = Buffer.allocUnsafe(HEADER_BYTES + data.length);
  frame[0] = TRAILER_FLAG;
  frame.writeUInt32BE(data.length, 1);
  data.copy(frame, HEADER_BYTES);
  return frame;
}

/**
 * The response frames of a gRPC-Web call, one complete frame per chunk, with
 * the `grpc-message` of the trailer frame re-encoded as the gRPC spec says
 * (Connect writes it with `encodeURIComponent`). Message frames pass unchanged.
 */
export async function* withSpecTrailers(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const frame of wholeEnvelopes(body)) {
    yield (frame[0] ?? 0) & TRAILER_FLAG ? rewriteTrailerFrame(frame) : frame;
  }
}

/** Each frame base64-encoded on its own, as gRPC-Web text (`application/grpc-web-text`) sends them. */
export async function* toBase64Frames(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  for await (const frame of body) {
    yield Buffer.from(Buffer.from(frame.buffer, frame.byteOffset, frame.length).toString("base64"), "latin1");
  }
}

/**
 * The bytes of a gRPC-Web text request body. Clients may send several padded
 * base64 pieces one after another, so each piece that ends in padding is
 * decoded by itself; a body that is not base64 raises an error.
 */
export async function* fromBase64(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending = "";
  for await (const chunk of body) {
    pending += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).toString("latin1").replace(/\s+/g, "");
    const whole = pending.length - (pending.length % 4);
    yield* decodePieces(pending.slice(0, whole));
    pending = pending.slice(whole);
  }
  if (pending.length > 0) throw new Error("grpc-web-text body is not base64: trailing partial quantum");
}

function* decodePieces(text: string): Iterable<Uint8Array> {
  if (!/^[A-Za-z0-9+/=]*$/.test(text)) throw new Error("grpc-web-text body is not base64");
  let rest = text;
  while (rest.length > 0) {
    const padding = rest.indexOf("=");
    const end = padding < 0 ? rest.length : Math.ceil((padding + 1) / 4) * 4;
    yield Buffer.from(rest.slice(0, end), "base64");
    rest = rest.slice(end);
  }
}

/**
 * Regroups a byte stream of length-prefixed envelopes (gRPC, gRPC-Web and
 * Connect share the 5-byte prefix) into whole ones, without copying a chunk
 * that already is exactly one.
 */
export async function* wholeEnvelopes(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of body) {
    if (pending.length === 0 && isOneFrame(chunk)) {
      yield chunk;
      continue;
    }
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES) {
      const end = HEADER_BYTES + pending.readUInt32BE(1);
      if (pending.length < end) break;
      yield pending.subarray(0, end);
      pending = pending.subarray(end);
    }
  }
  if (pending.length > 0) yield pending;
}

function isOneFrame(chunk: Uint8Array): boolean {
  if (chunk.length < HEADER_BYTES) return false;
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
  return chunk.length === HEADER_BYTES + view.getUint32(1);
}

function rewriteTrailerFrame(frame: Uint8Array): Uint8Array {
  const text = Buffer.from(frame.buffer, frame.byteOffset + HEADER_BYTES, frame.length - HEADER_BYTES).toString("utf8");
  const trailer = new Headers();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    trailer.append(name, name.toLowerCase() === "grpc-message" ? reencodeGrpcMessage(value) : value);
  }
  return grpcWebTrailerFrame(trailer);
}

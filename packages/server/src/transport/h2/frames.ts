/** HTTP/2 frame layout and codes (RFC 9113 §4, §6, §7). */

/** Length, type, flags and stream id: every frame starts with them. */
export const FRAME_HEADER_BYTES = 9;
/** What every HTTP/2 connection starts with, from the client. */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Frame types (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags; END_STREAM and ACK share a bit on different frame types. */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 §7). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** SETTINGS identifiers (RFC 9113 §6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The initial flow-control window of a connection and of every stream. */
export const DEFAULT_WINDOW = 65_535;
/** The largest frame payload a peer must accept, and the largest berthd accepts. */
export const DEFAULT_MAX_FRAME = 16_384;
/** No window may grow beyond this. */
export const MAX_WINDOW = 2 ** 31 - 1;

/** A frame's 9-byte header. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUIntBE(length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return header;
}

/** A whole frame with a small payload. */
export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** A 32-bit big-endian payload (RST_STREAM, WINDOW_UPDATE). */
export function uint32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}

/** A SETTINGS payload of [identifier, value] pairs. */
export function settingsPayload(settings: readonly (readonly [number, number])[]): Buffer {
  const out = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    out.writeUInt16BE(id, i * 6);
    out.writeUInt32BE(value, i * 6 + 2);
  });
  return out;
}

/**
 * Whether a frame costs work but moves nothing along: empty DATA, HEADERS or
 * CONTINUATION that end neither the stream nor the header block, and frames of
 * types HTTP/2 does not define.
 */
export function carriesNothing(type: number, flags: number, payload: Uint8Array): boolean {
  if (type > FrameType.CONTINUATION) return true;
  if (payload.length > 0) return false;
  if (type === FrameType.DATA) return (flags & Flag.END_STREAM) === 0;
  if (type === FrameType.HEADERS || type === FrameType.CONTINUATION) {
    return (flags & (Flag.END_STREAM | Flag.END_HEADERS)) === 0;
  }
  return false;
}

const EMPTY = new Uint8Array(0);

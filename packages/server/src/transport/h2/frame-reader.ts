import { H2ConnectionError } from "./errors.js";
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME, ErrorCode, FRAME_HEADER_BYTES } from "./frames.js";

/** Told of each whole frame, in order. */
export type FrameListener = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/**
 * Cuts the bytes a peer sends into frames (RFC 9113 §4.1), after checking
 * that a client's start with the client preface (§3.4). Bytes of an unfinished
 * frame wait for the next chunk. Throws {@link H2ConnectionError} for a bad
 * preface or a frame larger than berthd accepts.
 */
export class FrameReader {
  private leftover: Buffer | undefined;
  private prefaceSeen: boolean;

  /** @param fromServer - the bytes come from a server, whose frames start at once (no preface). */
  constructor(
    private readonly onFrame: FrameListener,
    fromServer = false,
  ) {
    this.prefaceSeen = fromServer;
  }

  /** Reads `chunk`; `stopped` is asked after each frame whether to read on. */
  push(chunk: Buffer, stopped: () => boolean): void {
    let input = chunk;
    if (!this.prefaceSeen) {
      input = this.leftover === undefined ? chunk : Buffer.concat([this.leftover, chunk]);
      this.leftover = undefined;
      const seen = Math.min(input.length, CLIENT_PREFACE.length);
      if (!input.subarray(0, seen).equals(CLIENT_PREFACE.subarray(0, seen))) {
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad connection preface");
      }
      if (input.length < CLIENT_PREFACE.length) {
        this.leftover = input;
        return;
      }
      this.prefaceSeen = true;
      input = input.subarray(CLIENT_PREFACE.length);
    }
    let offset = 0;
    // A frame begun in an earlier chunk is completed with just the bytes it lacks, not the whole chunk.
    while (this.leftover !== undefined && offset < input.length) {
      const held = this.leftover;
      const wanted = held.length < FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES : FRAME_HEADER_BYTES + frameLength(held);
      const take = Math.min(wanted - held.length, input.length - offset);
      const joined = Buffer.concat([held, input.subarray(offset, offset + take)]);
      offset += take;
      if (joined.length < FRAME_HEADER_BYTES || joined.length < FRAME_HEADER_BYTES + frameLength(joined)) {
        this.leftover = joined;
        continue;
      }
      this.leftover = undefined;
      this.emit(joined, 0);
      if (stopped()) return;
    }
    while (input.length - offset >= FRAME_HEADER_BYTES) {
      const length = frameLength(input.subarray(offset));
      if (input.length - offset < FRAME_HEADER_BYTES + length) break;
      offset = this.emit(input, offset);
      if (stopped()) return;
    }
    if (offset < input.length) {
      this.leftover = input.subarray(offset);
      if (this.leftover.length >= FRAME_HEADER_BYTES) frameLength(this.leftover);
    }
  }

  /** Hands on the whole frame at `offset`; returns the offset after it. */
  private emit(input: Buffer, offset: number): number {
    const length = input.readUIntBE(offset, 3);
    const type = input[offset + 3] as number;
    const flags = input[offset + 4] as number;
    const streamId = input.readUInt32BE(offset + 5) & 0x7fffffff;
    const end = offset + FRAME_HEADER_BYTES + length;
    this.onFrame(type, flags, streamId, input.subarray(offset + FRAME_HEADER_BYTES, end));
    return end;
  }
}

/** The payload length a frame header announces; throws for one larger than berthd accepts. */
function frameLength(header: Buffer): number {
  const length = header.readUIntBE(0, 3);
  if (length > DEFAULT_MAX_FRAME) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "frame too large");
  return length;
}

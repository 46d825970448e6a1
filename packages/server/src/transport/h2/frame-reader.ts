import { H2ConnectionError } from "./errors.js";
import { CLIENT_PREFACE, DEFAULT_MAX_FRAME, ErrorCode, FRAME_HEADER_BYTES } from "./frames.js";

/** Told of each whole frame, in order. */
export type FrameListener = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/**
 * Cuts the bytes a client sends into frames (RFC 9113 §4.1), after checking
 * that they start with the client preface (§3.4). Bytes of an unfinished frame
 * wait for the next chunk. Throws {@link H2ConnectionError} for a bad preface or
 * a frame larger than berthd accepts.
 */
export class FrameReader {
  private leftover: Buffer | undefined;
  private prefaceSeen = false;

  constructor(private readonly onFrame: FrameListener) {}

  /** Reads `chunk`; `stopped` is asked after each frame whether to read on. */
  push(chunk: Buffer, stopped: () => boolean): void {
    let input = this.leftover === undefined ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = undefined;
    if (!this.prefaceSeen) {
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
    while (input.length - offset >= FRAME_HEADER_BYTES) {
      const length = input.readUIntBE(offset, 3);
      if (length > DEFAULT_MAX_FRAME) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "frame too large");
      if (input.length - offset < FRAME_HEADER_BYTES + length) break;
      const type = input[offset + 3] as number;
      const flags = input[offset + 4] as number;
      const streamId = input.readUInt32BE(offset + 5) & 0x7fffffff;
      const payload = input.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
      offset += FRAME_HEADER_BYTES + length;
      this.onFrame(type, flags, streamId, payload);
      if (stopped()) return;
    }
    if (offset < input.length) this.leftover = input.subarray(offset);
  }
}

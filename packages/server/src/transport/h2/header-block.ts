import { H2ConnectionError } from "./errors.js";
import { ErrorCode, Flag } from "./frames.js";
import { type HpackDecoder, HpackError } from "./hpack.js";

/** A request's header block, whole and decoded. */
export interface HeaderBlock {
  readonly streamId: number;
  /** The HEADERS frame ended the stream. */
  readonly endStream: boolean;
  /** Its priority fields made the stream depend on itself (RFC 9113 §5.3.1). */
  readonly selfDependent: boolean;
  /** The decoded fields, flat: [name, value, ...]. */
  readonly fields: string[];
  /** The list was larger than the limit; `fields` holds what fit. */
  readonly oversized: boolean;
}

/**
 * Joins a HEADERS frame and its CONTINUATION frames into one header block
 * (RFC 9113 §4.3, §6.10) and decodes it. A block that keeps growing past twice
 * the header-list limit is a CONTINUATION flood: the connection ends with
 * ENHANCE_YOUR_CALM before more of it is kept.
 */
export class HeaderBlockReader {
  private open:
    | { streamId: number; endStream: boolean; selfDependent: boolean; parts: Buffer[]; bytes: number }
    | undefined;

  constructor(
    private readonly decoder: HpackDecoder,
    private readonly maxHeaderListSize: number,
  ) {}

  /** Whether a block is open: until it ends, no other frame may come (§6.10). */
  get inProgress(): boolean {
    return this.open !== undefined;
  }

  /** A HEADERS frame's fragment (padding removed); the decoded block when it ends here. */
  headers(streamId: number, flags: number, fragment: Buffer): HeaderBlock | undefined {
    let block = fragment;
    let selfDependent = false;
    if ((flags & Flag.PRIORITY) !== 0) {
      if (block.length < 5) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "short PRIORITY fields");
      selfDependent = (block.readUInt32BE(0) & 0x7fffffff) === streamId;
      block = block.subarray(5);
    }
    this.open = {
      streamId,
      endStream: (flags & Flag.END_STREAM) !== 0,
      selfDependent,
      parts: [block],
      bytes: block.length,
    };
    return (flags & Flag.END_HEADERS) !== 0 ? this.finish() : undefined;
  }

  /** A CONTINUATION frame; the decoded block when it ends here. */
  continuation(streamId: number, flags: number, fragment: Buffer): HeaderBlock | undefined {
    const open = this.open;
    if (open === undefined || open.streamId !== streamId) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    }
    open.parts.push(fragment);
    open.bytes += fragment.length;
    // Encoded headers can be at most about as long as decoded ones: more is a flood.
    if (open.bytes > 2 * this.maxHeaderListSize) {
      throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
    }
    return (flags & Flag.END_HEADERS) !== 0 ? this.finish() : undefined;
  }

  private finish(): HeaderBlock {
    const { streamId, endStream, selfDependent, parts, bytes } = this.open as NonNullable<HeaderBlockReader["open"]>;
    this.open = undefined;
    try {
      const decoded = this.decoder.decode(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes));
      return { streamId, endStream, selfDependent, ...decoded };
    } catch (error) {
      if (error instanceof HpackError) throw new H2ConnectionError(ErrorCode.COMPRESSION_ERROR, error.message);
      throw error;
    }
  }
}

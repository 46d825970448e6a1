import { decodeUtf8 } from "./utf8.js";

/**
 * A filter string that containerd's parser would reject. The `message` is containerd's text byte for
 * byte, e.g. `filters: parse error: [id >|=|< c1]: unsupported operator "="`: the input is shown cut
 * at the offending byte, or whole as `[<input>]` when the problem is at the end of the input. Input
 * longer than 128 bytes on either side of the mark is cut there with `…`, so an error never echoes
 * a 64 KiB filter back.
 *
 * The mark is placed on one byte, as containerd does; when that byte is part of a multi-byte
 * character, the halves Go would print as raw bytes appear here as U+FFFD.
 *
 * containerd's `ParseAll` (the List and Subscribe path) wraps this error with the invalid-argument
 * class, so callers map it to `InvalidArgument` and append the class suffix themselves.
 */
export class FilterParseError extends Error {
  /** The reason alone, e.g. `unsupported operator "="`. */
  readonly reason: string;
  /** Byte offset of the offending byte in the UTF-8 encoded input; the input's length when at the end. */
  readonly offset: number;

  constructor(input: Uint8Array, offset: number, reason: string) {
    super(`filters: parse error: ${locate(input, offset)}: ${reason}`);
    this.name = "FilterParseError";
    this.reason = reason;
    this.offset = offset;
  }
}

/** Bytes of input shown on each side of the mark; longer input is cut with `…` (containerd shows it all). */
const SHOWN_CONTEXT_BYTES = 128;

function locate(input: Uint8Array, offset: number): string {
  if (offset >= input.length) return `[${shownBefore(input, input.length)}]`;
  const at = decodeUtf8(input.subarray(offset, offset + 1));
  return `[${shownBefore(input, offset)} >|${at}|< ${shownAfter(input, offset + 1)}]`;
}

function shownBefore(input: Uint8Array, end: number): string {
  if (end <= SHOWN_CONTEXT_BYTES) return decodeUtf8(input.subarray(0, end));
  return `…${decodeUtf8(input.subarray(end - SHOWN_CONTEXT_BYTES, end))}`;
}

function shownAfter(input: Uint8Array, start: number): string {
  if (input.length - start <= SHOWN_CONTEXT_BYTES) return decodeUtf8(input.subarray(start));
  return `${decodeUtf8(input.subarray(start, start + SHOWN_CONTEXT_BYTES))}…`;
}

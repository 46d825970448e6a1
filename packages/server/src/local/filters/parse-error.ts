import { decodeUtf8 } from "./utf8.js";

/**
 * A filter string that containerd's parser would reject. The `message` is containerd's text byte for
 * byte, e.g. `filters: parse error: [id >|=|< c1]: unsupported operator "="`: the input is shown cut
 * at the offending byte, or whole as `[<input>]` when the problem is at the end of the input.
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

function locate(input: Uint8Array, offset: number): string {
  if (offset >= input.length) return `[${decodeUtf8(input)}]`;
  const before = decodeUtf8(input.subarray(0, offset));
  const at = decodeUtf8(input.subarray(offset, offset + 1));
  const after = decodeUtf8(input.subarray(offset + 1));
  return `[${before} >|${at}|< ${after}]`;
}

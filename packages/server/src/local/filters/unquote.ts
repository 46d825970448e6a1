import { digitValue } from "./runes.js";
import { appendRune } from "./utf8.js";

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/** Bytes produced by the single-letter escapes. */
const SIMPLE_ESCAPES: ReadonlyMap<number, number> = new Map([
  [0x61, 0x07], // \a
  [0x62, 0x08], // \b
  [0x66, 0x0c], // \f
  [0x6e, 0x0a], // \n
  [0x72, 0x0d], // \r
  [0x74, 0x09], // \t
  [0x76, 0x0b], // \v
  [BACKSLASH, BACKSLASH],
]);

/** The delimiters the scanner produces: `"`, `/` and `|`. */
const DELIMITERS: ReadonlySet<number> = new Set([0x22, 0x2f, 0x7c]);

/**
 * Decodes a quoted literal (delimiters included) with Go string-literal escapes, where the delimiter
 * may be `"`, `/` or `|` (containerd's variant of `strconv.Unquote`). Returns the decoded bytes, or
 * undefined for Go's `quote syntax error`.
 *
 * `\xNN` and `\NNN` (octal, at most 255) give one raw byte each, so the result need not be UTF-8;
 * `\uNNNN` and `\UNNNNNNNN` give a code point (at most U+10FFFF; a surrogate becomes U+FFFD).
 */
export function unquote(literal: Uint8Array): Uint8Array | undefined {
  const n = literal.length;
  if (n < 2) return undefined;
  const quote = literal[0] as number;
  if (literal[n - 1] !== quote || !DELIMITERS.has(quote)) return undefined;
  const body = literal.subarray(1, n - 1);
  if (body.includes(NEWLINE)) return undefined;

  const out: number[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as number;
    if (c === quote) return undefined;
    if (c !== BACKSLASH) {
      // Bytes of multi-byte characters are copied through unchanged.
      out.push(c);
      i++;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) return undefined;
    i += 2;
    const simple = SIMPLE_ESCAPES.get(e);
    if (simple !== undefined) {
      out.push(simple);
    } else if (e === 0x78 || e === 0x75 || e === 0x55) {
      const digits = e === 0x78 ? 2 : e === 0x75 ? 4 : 8;
      const value = readDigits(body, i, digits, 16);
      if (value === undefined) return undefined;
      i += digits;
      if (e === 0x78) {
        out.push(value);
      } else {
        if (value > 0x10ffff) return undefined;
        appendRune(out, value);
      }
    } else if (e >= 0x30 && e <= 0x37) {
      const rest = readDigits(body, i, 2, 8);
      if (rest === undefined) return undefined;
      const value = (e - 0x30) * 64 + rest;
      if (value > 255) return undefined;
      i += 2;
      out.push(value);
    } else if (e === quote) {
      // Only the literal's own delimiter may be escaped.
      out.push(e);
    } else {
      return undefined;
    }
  }
  return Uint8Array.from(out);
}

/** Reads exactly `count` digits of `base` starting at `start`; undefined if there are fewer. */
function readDigits(bytes: Uint8Array, start: number, count: number, base: number): number | undefined {
  if (start + count > bytes.length) return undefined;
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = digitValue(bytes[i] as number);
    if (digit >= base) return undefined;
    value = value * base + digit;
  }
  return value;
}

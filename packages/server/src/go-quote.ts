const HEX_DIGITS = "0123456789abcdef";

/** Go's `unicode.IsPrint` outside ASCII: letters, marks, numbers, punctuation and symbols. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

const NAMED_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x07, "\\a"],
  [0x08, "\\b"],
  [0x0c, "\\f"],
  [0x0a, "\\n"],
  [0x0d, "\\r"],
  [0x09, "\\t"],
  [0x0b, "\\v"],
]);

/**
 * Quotes `s` as Go's `strconv.Quote` (and so `fmt`'s `%q`) does, for use in error texts that must
 * match containerd byte for byte.
 *
 * The result is wrapped in double quotes; `"` and `\` are backslash-escaped; `\a \b \f \n \r \t \v`
 * use their short forms; other control characters below U+0020 and U+007F become `\xNN`; other
 * non-printable characters become `\uNNNN` or `\UNNNNNNNN` (lower-case hex); printable characters,
 * ASCII or not, are kept as they are.
 *
 * Printability approximates Go's `unicode.IsPrint` with the JavaScript engine's Unicode tables:
 * categories L, M, N, P and S plus U+0020 are printable; everything else (C* and Z* except the
 * ASCII space) is escaped. Characters assigned in a newer Unicode version than the one the Go
 * toolchain used may therefore come out differently.
 *
 * A JavaScript string cannot hold invalid UTF-8, which Go would print as `\xNN` per byte. The
 * nearest counterpart, a lone surrogate, is treated as U+FFFD (what a UTF-8 encoder turns it into),
 * and Go prints U+FFFD as is, since it is a printable symbol.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    let cp = ch.codePointAt(0) ?? 0xfffd;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    out += quoteRune(cp);
  }
  return `${out}"`;
}

function quoteRune(cp: number): string {
  if (cp === 0x22) return '\\"';
  if (cp === 0x5c) return "\\\\";
  if (cp >= 0x20 && cp < 0x7f) return String.fromCharCode(cp);
  if (cp >= 0x80 && PRINTABLE.test(String.fromCodePoint(cp))) return String.fromCodePoint(cp);
  const named = NAMED_ESCAPES.get(cp);
  if (named !== undefined) return named;
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

function hex(value: number, width: number): string {
  let out = "";
  for (let shift = (width - 1) * 4; shift >= 0; shift -= 4) out += HEX_DIGITS[(value >> shift) & 0xf];
  return out;
}

/** Characters of user input an error message quotes at most. */
export const MAX_QUOTED_INPUT = 256;

/**
 * Quotes user input for an error text as {@link goQuote} does, but cut to its
 * first {@link MAX_QUOTED_INPUT} characters, with `…` and the full length after
 * the closing quote: a 1 MiB id must not come back as a 1 MiB trailer.
 * Input within the bound (every valid identifier) is quoted exactly as containerd quotes it.
 */
export function quoteInput(s: string): string {
  if (s.length <= MAX_QUOTED_INPUT) return goQuote(s);
  // Cut on a code point boundary: a lone surrogate half would print as U+FFFD.
  let end = MAX_QUOTED_INPUT;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${goQuote(s.slice(0, end))}… (${Buffer.byteLength(s, "utf8")} bytes)`;
}

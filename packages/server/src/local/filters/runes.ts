/** Character classes of containerd's filter scanner. All take a rune (code point); negative values are never members. */

/** Go's `unicode.IsSpace`: the Unicode White_Space property (in Latin-1: `\t \n \v \f \r`, space, U+0085, U+00A0). */
const WHITE_SPACE = /^\p{White_Space}$/u;

/** Go's `unicode.IsGraphic` minus the spaces: letters, marks, numbers, punctuation, symbols. */
const GRAPHIC = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** `[A-Za-z0-9_]`: the characters of an unquoted field name. */
export function isFieldRune(r: number): boolean {
  return r === 0x5f || (r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a) || (r >= 0x30 && r <= 0x39);
}

/** `=`, `!` or `~`: a maximal run of these is one operator token. */
export function isOperatorRune(r: number): boolean {
  return r === 0x3d || r === 0x21 || r === 0x7e;
}

/** `"`, `/` or `|`: these open a quoted token wherever a token starts. */
export function isQuoteRune(r: number): boolean {
  return r === 0x22 || r === 0x2f || r === 0x7c;
}

/** `,` (between selectors) or `.` (between field names). */
export function isSeparatorRune(r: number): boolean {
  return r === 0x2c || r === 0x2e;
}

/** Whitespace, skipped before a token. */
export function isSpaceRune(r: number): boolean {
  if (r < 0) return false;
  if (r < 0x80) return r === 0x20 || (r >= 0x09 && r <= 0x0d);
  return WHITE_SPACE.test(String.fromCodePoint(r));
}

/** A character that may continue a bare value: any graphic character except `,` and spaces. */
export function isValueRune(r: number): boolean {
  if (r < 0 || r === 0x2c) return false;
  if (r < 0x80) return r > 0x20 && r < 0x7f;
  return !isSpaceRune(r) && GRAPHIC.test(String.fromCodePoint(r));
}

/** The value of a hexadecimal digit, or 16 (larger than any base used) for anything else. */
export function digitValue(r: number): number {
  if (r >= 0x30 && r <= 0x39) return r - 0x30;
  if (r >= 0x61 && r <= 0x66) return r - 0x61 + 10;
  if (r >= 0x41 && r <= 0x46) return r - 0x41 + 10;
  return 16;
}

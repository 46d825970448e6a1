/** U+FFFD, which Go's UTF-8 decoder also returns for an invalid or missing sequence. */
export const RUNE_ERROR = 0xfffd;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The UTF-8 bytes of `s`; a lone surrogate becomes the bytes of U+FFFD. */
export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes bytes leniently: each invalid sequence becomes U+FFFD, where Go would keep the raw bytes. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Decodes the rune starting at `offset`, like Go's `utf8.DecodeRune`: returns `[rune, width]`,
 * `[RUNE_ERROR, 1]` for an invalid or truncated sequence (overlong forms, surrogates and values above
 * U+10FFFF are invalid) and `[RUNE_ERROR, 0]` at the end. A well-formed U+FFFD gives `[RUNE_ERROR, 3]`.
 */
export function decodeRune(bytes: Uint8Array, offset: number): [rune: number, width: number] {
  const b0 = bytes[offset];
  if (b0 === undefined) return [RUNE_ERROR, 0];
  if (b0 < 0x80) return [b0, 1];
  if (b0 < 0xc2 || b0 > 0xf4) return [RUNE_ERROR, 1];
  const size = b0 < 0xe0 ? 2 : b0 < 0xf0 ? 3 : 4;
  // The second byte's range is narrower after E0, ED, F0 and F4 (no overlongs, surrogates or > U+10FFFF).
  const low = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
  const high = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
  const b1 = bytes[offset + 1];
  if (b1 === undefined || b1 < low || b1 > high) return [RUNE_ERROR, 1];
  let rune = (b0 & (0xff >> (size + 1))) * 64 + (b1 & 0x3f);
  for (let i = 2; i < size; i++) {
    const b = bytes[offset + i];
    if (b === undefined || (b & 0xc0) !== 0x80) return [RUNE_ERROR, 1];
    rune = rune * 64 + (b & 0x3f);
  }
  return [rune, size];
}

/** Appends the UTF-8 encoding of `rune` to `out`, like Go's `utf8.EncodeRune` (surrogates become U+FFFD). */
export function appendRune(out: number[], rune: number): void {
  const r = rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff) ? RUNE_ERROR : rune;
  if (r < 0x80) {
    out.push(r);
  } else if (r < 0x800) {
    out.push(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  } else if (r < 0x10000) {
    out.push(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  } else {
    out.push(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  }
}

import {
  digitValue,
  isFieldRune,
  isOperatorRune,
  isQuoteRune,
  isSeparatorRune,
  isSpaceRune,
  isValueRune,
} from "./runes.js";
import { decodeRune, RUNE_ERROR } from "./utf8.js";

/** Returned by {@link Scanner.next} and {@link Scanner.peek} at the end of the input. */
export const EOF = -1;
/** Returned by {@link Scanner.next} and {@link Scanner.peek} for a NUL or an invalid (or U+FFFD) character. */
export const ILLEGAL = -2;

/**
 * What a token is. `"rune"` is a single character that starts no token in the current state
 * (e.g. `'` or `-`); it is not consumed further.
 */
export type TokenKind = "eof" | "illegal" | "quoted" | "value" | "field" | "separator" | "operator" | "rune";

/** One token: its kind, its byte offset in the input and its bytes (empty for eof, rune and illegal runes). */
export interface Token {
  readonly kind: TokenKind;
  readonly pos: number;
  readonly text: Uint8Array;
}

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/**
 * The tokenizer of containerd's filter language, over the UTF-8 bytes of the input.
 *
 * It keeps containerd's cursor model because error positions depend on it: `pos` is the start of
 * the rune read last and `ppos` the offset just after it; `peek` reads a rune and restores both.
 * After an operator the scanner is in value mode, where any character that does not start another
 * kind of token starts a bare value; a bare value or a separator ends value mode. The first problem
 * met is kept in {@link Scanner.error}.
 */
export class Scanner {
  readonly #input: Uint8Array;
  #pos = 0;
  #ppos = 0;
  #valueMode = false;
  #error = "";

  constructor(input: Uint8Array) {
    this.#input = input;
  }

  /** The first problem met so far, e.g. `illegal escape sequence`; `""` if none. */
  get error(): string {
    return this.#error;
  }

  /** The byte offset just after the rune read last. */
  get ppos(): number {
    return this.#ppos;
  }

  /** Reads the next rune: a code point, {@link EOF} or {@link ILLEGAL}. */
  next(): number {
    if (this.#pos >= this.#input.length) return EOF;
    this.#pos = this.#ppos;
    const [rune, width] = decodeRune(this.#input, this.#ppos);
    this.#ppos += width;
    if (rune === RUNE_ERROR) {
      if (width === 0) return EOF;
      this.#fail("rune error");
      return ILLEGAL;
    }
    if (rune === 0) {
      this.#fail("unexpected null");
      return ILLEGAL;
    }
    return rune;
  }

  /** Returns the rune {@link Scanner.next} would read, without moving. Whitespace is not skipped. */
  peek(): number {
    const pos = this.#pos;
    const ppos = this.#ppos;
    const rune = this.next();
    this.#pos = pos;
    this.#ppos = ppos;
    return rune;
  }

  /** Skips whitespace and reads one token. */
  scan(): Token {
    let ch = this.next();
    let pos = this.#pos;
    for (;;) {
      if (ch === EOF || ch === ILLEGAL) break;
      if (isQuoteRune(ch)) {
        const legal = this.#scanQuoted(ch);
        return this.#token(legal ? "quoted" : "illegal", pos);
      }
      if (isSeparatorRune(ch)) {
        this.#valueMode = false;
        return this.#token("separator", pos);
      }
      if (isOperatorRune(ch)) {
        while (isOperatorRune(this.peek())) this.next();
        this.#valueMode = true;
        return this.#token("operator", pos);
      }
      if (isSpaceRune(ch)) {
        ch = this.next();
        pos = this.#pos;
        continue;
      }
      if (this.#valueMode) {
        while (isValueRune(this.peek())) this.next();
        this.#valueMode = false;
        return this.#token("value", pos);
      }
      if (isFieldRune(ch)) {
        while (isFieldRune(this.peek())) this.next();
        return this.#token("field", pos);
      }
      break;
    }
    const kind: TokenKind = ch === EOF ? "eof" : ch === ILLEGAL ? "illegal" : "rune";
    return { kind, pos: this.#pos, text: this.#input.subarray(this.#pos, this.#pos) };
  }

  #token(kind: TokenKind, pos: number): Token {
    return { kind, pos, text: this.#input.subarray(pos, this.#ppos) };
  }

  /** Reads up to the closing `quote`; false if the literal is unterminated or holds a bad escape. */
  #scanQuoted(quote: number): boolean {
    let legal = true;
    let ch = this.next();
    while (ch !== quote) {
      if (ch === NEWLINE || ch < 0) {
        this.#fail("quoted literal not terminated");
        return false;
      }
      if (ch === BACKSLASH) {
        const [after, ok] = this.#scanEscape(quote);
        ch = after;
        if (!ok) legal = false;
      } else {
        ch = this.next();
      }
    }
    return legal;
  }

  /** Checks the escape after a backslash; returns the rune after it and whether it was legal. */
  #scanEscape(quote: number): [next: number, legal: boolean] {
    const ch = this.next();
    switch (ch) {
      case 0x61: // a
      case 0x62: // b
      case 0x66: // f
      case 0x6e: // n
      case 0x72: // r
      case 0x74: // t
      case 0x76: // v
      case BACKSLASH:
      case quote:
        return [this.next(), true];
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35:
      case 0x36:
      case 0x37:
        return this.#scanDigits(ch, 8, 3);
      case 0x78: // x
        return this.#scanDigits(this.next(), 16, 2);
      case 0x75: // u
        return this.#scanDigits(this.next(), 16, 4);
      case 0x55: // U
        return this.#scanDigits(this.next(), 16, 8);
      default:
        this.#fail("illegal escape sequence");
        return [ch, false];
    }
  }

  #scanDigits(first: number, base: number, count: number): [next: number, legal: boolean] {
    let ch = first;
    let n = count;
    while (n > 0 && digitValue(ch) < base) {
      ch = this.next();
      n--;
    }
    if (n > 0) {
      this.#fail("illegal numeric escape sequence");
      return [ch, false];
    }
    return [ch, true];
  }

  #fail(message: string): void {
    if (this.#error === "") this.#error = message;
  }
}

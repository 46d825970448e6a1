import { quoteInput } from "../../go-quote.js";
import { FilterParseError } from "./parse-error.js";
import { EOF, Scanner, type Token } from "./scanner.js";
import { unquote } from "./unquote.js";
import { decodeUtf8, encodeUtf8 } from "./utf8.js";

/** `present` (no operator), `==`, `!=` or `~=`. */
export type Operator = "present" | "==" | "!=" | "~=";

/** One parsed `<fieldpath>[<operator><value>]` term; `value` is `""` for a presence test. */
export interface Selector {
  readonly fieldpath: readonly string[];
  readonly operator: Operator;
  readonly value: string;
}

const COMMA = 0x2c;
const DOT = 0x2e;
const DOUBLE_QUOTE = 0x22;

/**
 * Parses one non-empty filter string into its selectors (to be ANDed), following containerd's
 * recursive-descent parser token for token so that accepted inputs and error texts agree.
 *
 * @throws FilterParseError at the first problem.
 */
export function parseSelectors(input: string): Selector[] {
  return new Parser(encodeUtf8(input)).selectors();
}

class Parser {
  readonly #input: Uint8Array;
  readonly #scanner: Scanner;

  constructor(input: Uint8Array) {
    this.#input = input;
    this.#scanner = new Scanner(input);
  }

  selectors(): Selector[] {
    const selectors = [this.#selector()];
    for (;;) {
      const ch = this.#scanner.peek();
      if (ch === EOF) return selectors;
      if (ch !== COMMA) {
        // Anything left after a complete selector, whitespace included, is an error.
        throw this.#error(this.#scanner.ppos, `unexpected input: ${runeText(ch)}`);
      }
      const separator = this.#scanner.scan();
      if (separator.kind !== "separator") throw this.#error(separator.pos, "expected a separator");
      selectors.push(this.#selector());
    }
  }

  #selector(): Selector {
    const fieldpath = this.#fieldpath();
    const ch = this.#scanner.peek();
    if (ch === COMMA || ch === EOF) return { fieldpath, operator: "present", value: "" };
    const operator = this.#operator();
    // `/…/` and `|…|` quoting is meant for regular expressions only.
    const value = this.#value(operator === "~=");
    return { fieldpath, operator, value };
  }

  #fieldpath(): string[] {
    const fields = [this.#field()];
    while (this.#scanner.peek() === DOT) {
      const separator = this.#scanner.scan();
      if (separator.kind !== "separator") throw this.#error(separator.pos, "expected a field separator (`.`)");
      fields.push(this.#field());
    }
    return fields;
  }

  #field(): string {
    const token = this.#scanner.scan();
    switch (token.kind) {
      case "field":
        return decodeUtf8(token.text);
      case "quoted":
        return this.#unquote(token, false);
      case "illegal":
        throw this.#error(token.pos, this.#scanner.error);
      default:
        throw this.#error(token.pos, "expected field or quoted");
    }
  }

  #operator(): Exclude<Operator, "present"> {
    const token = this.#scanner.scan();
    switch (token.kind) {
      case "operator": {
        const text = decodeUtf8(token.text);
        if (text === "==" || text === "!=" || text === "~=") return text;
        throw this.#error(token.pos, `unsupported operator ${quoteInput(text)}`);
      }
      case "illegal":
        throw this.#error(token.pos, this.#scanner.error);
      default:
        throw this.#error(token.pos, 'expected an operator ("=="|"!="|"~=")');
    }
  }

  #value(allowAltQuotes: boolean): string {
    const token = this.#scanner.scan();
    switch (token.kind) {
      case "value":
      case "field":
        return decodeUtf8(token.text);
      case "quoted":
        return this.#unquote(token, allowAltQuotes);
      case "illegal":
        throw this.#error(token.pos, this.#scanner.error);
      default:
        throw this.#error(token.pos, "expected value or quoted");
    }
  }

  #unquote(token: Token, allowAltQuotes: boolean): string {
    if (!allowAltQuotes && token.text[0] !== DOUBLE_QUOTE) throw this.#error(token.pos, "invalid quote encountered");
    const bytes = unquote(token.text);
    if (bytes === undefined) throw this.#error(token.pos, "unquoting failed: quote syntax error");
    return decodeUtf8(bytes);
  }

  #error(offset: number, reason: string): FilterParseError {
    return new FilterParseError(this.#input, offset, reason);
  }
}

/** A rune as Go's `string(rune)` prints it: the scanner's negative markers become U+FFFD. */
function runeText(rune: number): string {
  return rune < 0 ? "\ufffd" : String.fromCodePoint(rune);
}

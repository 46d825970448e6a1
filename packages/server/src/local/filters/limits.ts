import { invalidArgument } from "../../errdefs.js";
import { goQuote } from "../../go-quote.js";
import { estimateRegexSize } from "./regex-size.js";

/**
 * Bounds on what one request's filters may cost. containerd has none; these sit far above anything
 * its clients send (`ctr` sends one filter string per argument, a few selectors each), so they only
 * ever refuse hostile input. See docs/compatibility.md.
 */

/** Most filter strings in one List, ListStream or Subscribe request. */
export const MAX_FILTERS = 1000;

/** Longest single filter string, in UTF-8 bytes. */
export const MAX_FILTER_BYTES = 64 * 1024;

/**
 * Largest estimated RE2 program size of all `~=` operands of one request together. Matching costs up to
 * (instructions × value length) steps per object, and compiling about 5 µs per instruction; `x{1000}`,
 * the largest repetition RE2 allows, fits.
 */
export const MAX_REGEX_INSTRUCTIONS = 4096;

/**
 * Checks the number and length of a request's filter strings, before any is parsed.
 *
 * @throws BerthError (invalid argument) naming the limit.
 */
export function checkFilterList(inputs: readonly string[]): void {
  if (inputs.length > MAX_FILTERS) {
    throw invalidArgument(`filters: ${inputs.length} filters given, at most ${MAX_FILTERS} allowed`);
  }
  inputs.forEach((input, index) => {
    // Each UTF-16 unit is at most 3 UTF-8 bytes, so most strings are cleared without being measured.
    if (input.length * 3 <= MAX_FILTER_BYTES) return;
    const bytes = Buffer.byteLength(input, "utf8");
    if (bytes > MAX_FILTER_BYTES) {
      throw invalidArgument(`filters: filter ${index} is ${bytes} bytes long, at most ${MAX_FILTER_BYTES} allowed`);
    }
  });
}

/**
 * The regex allowance of one request: every `~=` operand is charged its estimated program size before
 * it is compiled.
 */
export interface RegexBudget {
  /**
   * Charges one pattern.
   * @throws BerthError (invalid argument) when the pattern alone, or the request's patterns together, are too large.
   */
  charge(pattern: string): void;
}

/** A fresh {@link RegexBudget} for one request. */
export function createRegexBudget(): RegexBudget {
  let spent = 0;
  return {
    charge(pattern) {
      const size = estimateRegexSize(pattern);
      if (size > MAX_REGEX_INSTRUCTIONS) {
        throw invalidArgument(
          `filters: regular expression ${shown(pattern)} is too large (about ${size} instructions, at most ${MAX_REGEX_INSTRUCTIONS})`,
        );
      }
      spent += size;
      if (spent > MAX_REGEX_INSTRUCTIONS) {
        throw invalidArgument(
          `filters: regular expressions are too large together (about ${spent} instructions, at most ${MAX_REGEX_INSTRUCTIONS} per request)`,
        );
      }
    },
  };
}

/** The pattern quoted for a message, cut so that an error never echoes 64 KiB back. */
function shown(pattern: string): string {
  const cut = pattern.length > 64 ? `${pattern.slice(0, 64)}…` : pattern;
  return goQuote(cut);
}

import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import {
  type FieldAdaptor,
  MAX_FILTER_BYTES,
  MAX_FILTERS,
  MAX_REGEX_INSTRUCTIONS,
  parseFilter,
  parseFilters,
} from "../../src/local/filters/index.js";
import { estimateRegexSize } from "../../src/local/filters/regex-size.js";

const withLabel = (value: string): FieldAdaptor => ({
  field: (path) => (path[0] === "labels" && path[1] === "a" ? value : undefined),
});

/** The invalid-argument message a call throws, or undefined when it succeeds. */
function refusal(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).errorClass).toBe("invalid argument");
    return (error as Error).message;
  }
}

describe("filter list limits", () => {
  it("accepts 1,000 filters and refuses 1,001 with InvalidArgument", () => {
    const filters = Array.from({ length: MAX_FILTERS }, (_, i) => `labels.k${i}==v`);
    expect(refusal(() => parseFilters(filters))).toBeUndefined();
    expect(refusal(() => parseFilters([...filters, "id==x"]))).toBe(
      "filters: 1001 filters given, at most 1000 allowed: invalid argument",
    );
    expect(refusal(() => parseFilters(Array.from({ length: 10_000 }, () => "")))).toBe(
      "filters: 10000 filters given, at most 1000 allowed: invalid argument",
    );
  });

  it("accepts a 64 KiB filter and refuses one byte more, counting UTF-8 bytes", () => {
    const exact = `id==${"x".repeat(MAX_FILTER_BYTES - 4)}`;
    expect(refusal(() => parseFilters([exact]))).toBeUndefined();
    expect(refusal(() => parseFilters(["id==a", `${exact}x`]))).toBe(
      "filters: filter 1 is 65537 bytes long, at most 65536 allowed: invalid argument",
    );
    // 21,846 characters of two bytes each: under the limit in characters, over it in bytes.
    expect(refusal(() => parseFilters([`id==${"é".repeat(32_767)}`]))).toBe(
      "filters: filter 0 is 65538 bytes long, at most 65536 allowed: invalid argument",
    );
  });
});

describe("regex size limits", () => {
  it.each([
    ["^/containers/", 20],
    ["docker[.]io/library/(redis|busybox):[0-9]+", 60],
    ["[a-f0-9]{64}", 200],
    ["^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$", 100],
  ])("leaves everyday patterns far below the bound: %s", (pattern, atMost) => {
    const estimate = estimateRegexSize(pattern);
    expect(estimate).toBeLessThanOrEqual(atMost);
    expect(estimate).toBeGreaterThanOrEqual(RE2JS.compile(pattern).programSize());
  });

  it.each([
    "(a*)*b",
    "x{1000}",
    "(?:[a-z]{30}){30}",
    "(x|y{100})(x|y{100})",
    "\\Qa{1000}\\E+",
    "[\\]{]{20}\\p{Greek}{10}\\x{41}{7}",
    "(?i)(ab|cd|ef)+[[:alpha:]]{5,}",
  ])("never estimates below re2js's program size: %s", (pattern) => {
    expect(estimateRegexSize(pattern)).toBeGreaterThanOrEqual(RE2JS.compile(pattern).programSize());
  });

  it("refuses an expensive pattern before compiling it", () => {
    // re2js takes about ten seconds to compile this 1.3-million-instruction program.
    const huge = "a{1000}".repeat(1300);
    const started = performance.now();
    expect(refusal(() => parseFilters([`labels.a~=${huge}`]))).toMatch(
      /^filters: regular expression "a\{1000\}a.*…" is too large \(about \d+ instructions, at most 4096\): invalid argument$/,
    );
    expect(refusal(() => parseFilter("labels.a~=((x{30}){30}){30}"))).toMatch(/too large/);
    expect(refusal(() => parseFilter("labels.a~=x{1000}"))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("refuses patterns that are small alone but large together", () => {
    const each = "x{900}";
    expect(estimateRegexSize(each)).toBeLessThanOrEqual(MAX_REGEX_INSTRUCTIONS);
    expect(refusal(() => parseFilters([`labels.a~=${each}`]))).toBeUndefined();
    expect(refusal(() => parseFilters(Array.from({ length: 5 }, () => `labels.a~=${each}`)))).toMatch(
      /^filters: regular expressions are too large together \(about \d+ instructions, at most 4096 per request\): invalid argument$/,
    );
  });
});

describe("regex matching is linear", () => {
  it("matches pathological patterns against a 1 MB value within the default timeout", () => {
    const value = "a".repeat(1_000_000);
    for (const pattern of ["(a*)*b", "(a|aa)+$b", "^(a+)+$!", "(a|a?)+b", "(.*a){20}b"]) {
      expect(parseFilters([`labels.a~="${pattern}"`]).match(withLabel(value))).toBe(false);
    }
    expect(parseFilters(['labels.a~="(a*)*$"']).match(withLabel(value))).toBe(true);
  });

  it("reads the input a number of times proportional to its length, whatever the pattern", () => {
    // Time would be flaky on a shared machine, so count the engine's character reads instead:
    // re2js reads UTF-16 input through String.prototype.charCodeAt, one call per step.
    const reads = (pattern: string, length: number) => {
      const filter = parseFilters([`labels.a~="${pattern}"`]);
      const subject = withLabel("a".repeat(length));
      const original = String.prototype.charCodeAt;
      let count = 0;
      String.prototype.charCodeAt = function (this: string, index: number) {
        count++;
        return original.call(this, index);
      };
      try {
        filter.match(subject);
      } finally {
        String.prototype.charCodeAt = original;
      }
      return count;
    };
    // Patterns without a required literal: re2js cannot skip the input by searching for one.
    for (const pattern of ["(a*)*[b-c]", "(a|a?)+[^a]", "(.*a){12}[^a]"]) {
      const small = reads(pattern, 20_000);
      const large = reads(pattern, 80_000);
      expect(small).toBeGreaterThan(0);
      // Four times the input: about four times the reads (exponential backtracking would be astronomically more).
      expect(large / small).toBeLessThan(4.5);
    }
  });
});

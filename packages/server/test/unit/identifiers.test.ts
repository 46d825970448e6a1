import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { MAX_IDENTIFIER_LENGTH, validateIdentifier } from "../../src/local/identifiers.js";

const PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";

/** The exact texts of spec §3.1; `quoted` is Go's `%q` of the identifier. */
const EMPTY = "identifier must not be empty: invalid argument";
const tooLong = (quoted: string) =>
  `identifier ${quoted} greater than maximum length (76 characters): invalid argument`;
const mustMatch = (quoted: string) => `identifier ${quoted} must match ${PATTERN}: invalid argument`;

/** The error `validateIdentifier` throws, or undefined when it accepts the input. */
function thrownBy(s: string): BerthError | undefined {
  try {
    validateIdentifier(s);
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  return undefined;
}

describe("validateIdentifier", () => {
  it("allows at most 76 bytes", () => {
    expect(MAX_IDENTIFIER_LENGTH).toBe(76);
  });

  it.each<[name: string, input: string]>([
    ["single letter", "a"],
    ["single digit", "0"],
    ["lower case", "default"],
    ["upper case", "DEFAULT"],
    ["mixed case", "MyContainer"],
    ["leading digits", "123abc"],
    ["digits only", "20240101"],
    ["single dot", "k8s.io"],
    ["single underscore", "a_b"],
    ["single dash", "a-b"],
    ["every separator once", "a.b_c-d"],
    ["separators between digits", "1.2-3_4"],
    ["many segments", "a.b.c.d.e.f.g.h"],
    ["exactly 76 letters", "a".repeat(76)],
    ["exactly 76 bytes with separators", `${"ab-".repeat(25)}c`],
  ])("accepts %s", (_name, input) => {
    expect(Buffer.byteLength(input)).toBeLessThanOrEqual(76);
    expect(() => validateIdentifier(input)).not.toThrow();
  });

  it.each<[name: string, input: string, message: string]>([
    ["empty", "", EMPTY],
    ["77 letters", "a".repeat(77), tooLong(`"${"a".repeat(77)}"`)],
    ["77 bytes with separators", `${"ab-".repeat(25)}cd`, tooLong(`"${"ab-".repeat(25)}cd"`)],
    // Too long is checked before the pattern, and counted in bytes: 39 characters are 78 bytes here.
    ["77 separators (length wins over pattern)", "-".repeat(77), tooLong(`"${"-".repeat(77)}"`)],
    ["39 two-byte characters = 78 bytes", "é".repeat(39), tooLong(`"${"é".repeat(39)}"`)],
    ["leading dot", ".a", mustMatch('".a"')],
    ["leading dash", "-a", mustMatch('"-a"')],
    ["leading underscore", "_a", mustMatch('"_a"')],
    ["trailing dot", "a.", mustMatch('"a."')],
    ["trailing dash", "a-", mustMatch('"a-"')],
    ["trailing underscore", "a_", mustMatch('"a_"')],
    ["separator only", "-", mustMatch('"-"')],
    ["double dot", "a..b", mustMatch('"a..b"')],
    ["double dash", "a--b", mustMatch('"a--b"')],
    ["mixed double separator", "a._b", mustMatch('"a._b"')],
    ["inner space", "Bad NS", mustMatch('"Bad NS"')],
    ["leading space", " a", mustMatch('" a"')],
    ["trailing space", "a ", mustMatch('"a "')],
    ["slash", "a/b", mustMatch('"a/b"')],
    ["colon", "a:b", mustMatch('"a:b"')],
    ["percent verb kept verbatim (the server mangles it later)", "a%d", mustMatch('"a%d"')],
    ["double quote, escaped by %q", 'a"b', mustMatch('"a\\"b"')],
    ["backslash, escaped by %q", "a\\b", mustMatch('"a\\\\b"')],
    ["trailing newline ($ anchors at the very end)", "abc\n", mustMatch('"abc\\n"')],
    ["tab, escaped by %q", "a\tb", mustMatch('"a\\tb"')],
    ["NUL byte, escaped by %q", "a\x00b", mustMatch('"a\\x00b"')],
    ["non-ASCII letter", "café", mustMatch('"café"')],
    ["fullwidth digit", "a１", mustMatch('"a１"')],
    ["emoji", "a😀", mustMatch('"a😀"')],
    ["non-ASCII space, escaped by %q", "a\u00a0b", mustMatch('"a\\u00a0b"')],
  ])("rejects %s", (_name, input, message) => {
    const error = thrownBy(input);
    expect(error?.errorClass).toBe("invalid argument");
    expect(error?.message).toBe(message);
  });

  it("counts the 76-byte limit in UTF-8 bytes, not UTF-16 units", () => {
    // 38 × "é" is 76 bytes (and 38 UTF-16 units): under the limit, so the pattern decides.
    const error = thrownBy("é".repeat(38));
    expect(error?.message).toBe(mustMatch(`"${"é".repeat(38)}"`));
  });
});

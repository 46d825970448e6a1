import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { NAMESPACE_HEADER, resolveNamespace } from "../../src/local/namespace.js";

const PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const REQUIRED = "namespace is required: failed precondition";
const mustMatch = (quoted: string) =>
  `namespace validation: identifier ${quoted} must match ${PATTERN}: invalid argument`;
const tooLong = (quoted: string) =>
  `namespace validation: identifier ${quoted} greater than maximum length (76 characters): invalid argument`;

/** The error `require()` throws, or fails the test. */
function requireError(raw: string | undefined): BerthError {
  const resolved = resolveNamespace(raw);
  try {
    resolved.require();
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  throw new Error(`require() accepted ${JSON.stringify(raw)}`);
}

describe("resolveNamespace", () => {
  it("reads the containerd-namespace header", () => {
    expect(NAMESPACE_HEADER).toBe("containerd-namespace");
  });

  it.each<[name: string, raw: string]>([
    ["default", "default"],
    ["dotted", "k8s.io"],
    ["mixed case", "MyNamespace"],
    ["leading digit", "1ns"],
    ["separators", "a-b_c.d"],
    ["76 bytes", "n".repeat(76)],
  ])("returns a valid name (%s)", (_name, raw) => {
    const resolved = resolveNamespace(raw);
    expect(resolved.raw).toBe(raw);
    expect(resolved.require()).toBe(raw);
    expect(resolved.require()).toBe(raw);
  });

  it.each<[name: string, raw: string | undefined, errorClass: string, message: string]>([
    ["missing header", undefined, "failed precondition", REQUIRED],
    ["empty header", "", "failed precondition", REQUIRED],
    ["space inside", "Bad NS", "invalid argument", mustMatch('"Bad NS"')],
    ["only spaces", " ", "invalid argument", mustMatch('" "')],
    ["two values joined by a WHATWG Headers.get()", "a, b", "invalid argument", mustMatch('"a, b"')],
    ["leading separator", "-ns", "invalid argument", mustMatch('"-ns"')],
    ["double separator", "a..b", "invalid argument", mustMatch('"a..b"')],
    ["slash", "a/b", "invalid argument", mustMatch('"a/b"')],
    ["non-ASCII", "naïve", "invalid argument", mustMatch('"naïve"')],
    ["control character, quoted", "a\tb", "invalid argument", mustMatch('"a\\tb"')],
    ["77 bytes", "n".repeat(77), "invalid argument", tooLong(`"${"n".repeat(77)}"`)],
  ])("rejects %s", (_name, raw, errorClass, message) => {
    const error = requireError(raw);
    expect(error.errorClass).toBe(errorClass);
    expect(error.message).toBe(message);
  });

  it.each<[raw: string | undefined]>([[undefined], [""], ["Bad NS"], ["n".repeat(200)], ["default"]])(
    "never throws while resolving %j; require() is what throws",
    (raw) => {
      expect(() => resolveNamespace(raw)).not.toThrow();
      expect(resolveNamespace(raw).raw).toBe(raw);
    },
  );

  it("throws the same error on every require() call", () => {
    const resolved = resolveNamespace("Bad NS");
    const messages: string[] = [];
    for (let i = 0; i < 2; i++) {
      try {
        resolved.require();
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages).toEqual([mustMatch('"Bad NS"'), mustMatch('"Bad NS"')]);
  });
});

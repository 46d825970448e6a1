import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { MAX_LABEL_SIZE, ownEntry, setEntry, validateLabels, withoutEmptyLabels } from "../../src/local/labels.js";

const tooBig = (shownKey: string) =>
  `label key and value greater than maximum size (4096 bytes), key: ${shownKey}: invalid argument`;

/** The error `validateLabels` throws, or undefined when it accepts the labels. */
function thrownBy(labels: Record<string, string>): BerthError | undefined {
  try {
    validateLabels(labels);
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  return undefined;
}

/** A record with own entries only, built without ever assigning through `__proto__`. */
function record(entries: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of entries)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

describe("validateLabels", () => {
  it("allows 4096 bytes per label", () => {
    expect(MAX_LABEL_SIZE).toBe(4096);
  });

  it.each<[name: string, labels: Record<string, string>]>([
    ["no labels", {}],
    ["small labels", { a: "1", "com.example/x": "y" }],
    ["empty key", { "": "value" }],
    ["empty value", { key: "" }],
    ["key + value = 4096 bytes", { k: "v".repeat(4095) }],
    ["key alone = 4096 bytes", { ["k".repeat(4096)]: "" }],
    ["value alone = 4096 bytes", { "": "v".repeat(4096) }],
    ["two-byte key + value = 4096 bytes", { é: "v".repeat(4094) }],
    ["four-byte key + value = 4096 bytes", { "😀": "v".repeat(4092) }],
    ["three-byte value, 4096 bytes in all", { key: `${"€".repeat(1364)}v` }],
    ["many labels each at the limit", { a: "v".repeat(4095), b: "v".repeat(4095), c: "v".repeat(4095) }],
  ])("accepts %s", (_name, labels) => {
    expect(thrownBy(labels)).toBeUndefined();
  });

  it.each<[name: string, labels: Record<string, string>, message: string]>([
    ["key + value = 4097 bytes", { k: "v".repeat(4096) }, tooBig("k")],
    ["key alone = 4097 bytes", { ["k".repeat(4097)]: "" }, tooBig("kkkkkkkkkk")],
    ["value alone = 4097 bytes", { "": "v".repeat(4097) }, tooBig("")],
    // 4096 UTF-16 units but 4097 bytes: counted in bytes.
    ["two-byte key + value = 4097 bytes", { é: "v".repeat(4095) }, tooBig("é")],
    // 4095 UTF-16 units, 4094 code points, 4097 bytes.
    ["four-byte key + value = 4097 bytes", { "😀": "v".repeat(4093) }, tooBig("😀")],
    // 1367 UTF-16 units, 4097 bytes.
    ["three-byte characters in the value", { ab: "€".repeat(1365) }, tooBig("ab")],
    ["key cut to its first 10 bytes", { "com.example.very/long-key": "v".repeat(4096) }, tooBig("com.exampl")],
    ["key of exactly 10 bytes kept whole", { "0123456789": "v".repeat(4087) }, tooBig("0123456789")],
    ["key of 11 bytes cut to 10", { "0123456789A": "v".repeat(4086) }, tooBig("0123456789")],
    ["key of two-byte characters cut on a boundary", { éééééé: "v".repeat(4086) }, tooBig("ééééé")],
    // Go prints the stray lead byte as is; a JavaScript string can only hold U+FFFD in its place.
    ["key cut inside a character", { "€€€€": "v".repeat(4085) }, tooBig("€€€\ufffd")],
    ["key shown without quotes or escapes", { 'a"b\\c': "v".repeat(4092) }, tooBig('a"b\\c')],
    ["only the oversized label is reported", { ok: "1", big: "v".repeat(4094), fine: "2" }, tooBig("big")],
  ])("rejects %s", (_name, labels, message) => {
    const error = thrownBy(labels);
    expect(error?.errorClass).toBe("invalid argument");
    expect(error?.message).toBe(message);
  });

  it("reports one of several oversized labels", () => {
    const error = thrownBy({ first: "v".repeat(4096), second: "v".repeat(4096) });
    expect([tooBig("first"), tooBig("second")]).toContain(error?.message);
  });

  it.each<[name: string, key: string]>([
    ["__proto__", "__proto__"],
    ["constructor", "constructor"],
    ["toString", "toString"],
  ])("checks an own %s key like any other", (_name, key) => {
    expect(thrownBy(record([[key, "v".repeat(4096 - key.length)]]))).toBeUndefined();
    expect(thrownBy(record([[key, "v".repeat(4097 - key.length)]]))?.message).toBe(tooBig(key.slice(0, 10)));
  });

  it("does not see inherited properties as labels", () => {
    const inherited = Object.create({ big: "v".repeat(5000) }) as Record<string, string>;
    expect(thrownBy(inherited)).toBeUndefined();
  });
});

describe("withoutEmptyLabels", () => {
  it.each<[name: string, input: Record<string, string>, expected: Record<string, string>]>([
    ["no labels", {}, {}],
    ["nothing empty", { a: "1", b: "2" }, { a: "1", b: "2" }],
    ["one empty value", { a: "1", b: "" }, { a: "1" }],
    ["all empty", { a: "", b: "" }, {}],
    ["empty key with a value kept", { "": "x" }, { "": "x" }],
    ["empty key with an empty value dropped", { "": "" }, {}],
    ["whitespace is not empty", { a: " ", b: "\n" }, { a: " ", b: "\n" }],
    ["keys with dots and slashes kept", { "a.b/c": "1", "a.b": "" }, { "a.b/c": "1" }],
  ])("%s", (_name, input, expected) => {
    const result = withoutEmptyLabels(input);
    expect(result).toEqual(expected);
    expect(Object.keys(result)).toEqual(Object.keys(expected));
  });

  it("returns a new record and leaves its input unchanged", () => {
    const input = { a: "1", b: "" };
    const result = withoutEmptyLabels(input);
    expect(result).not.toBe(input);
    expect(input).toEqual({ a: "1", b: "" });
    result.c = "3";
    expect(Object.keys(input)).toEqual(["a", "b"]);
  });

  it("keeps the order of the remaining keys", () => {
    expect(Object.keys(withoutEmptyLabels({ z: "1", y: "", x: "2", w: "3" }))).toEqual(["z", "x", "w"]);
  });

  it("keeps __proto__ and constructor as plain own entries", () => {
    const input = record([
      ["__proto__", "p"],
      ["constructor", "c"],
      ["hasOwnProperty", ""],
      ["a", "1"],
    ]);
    const result = withoutEmptyLabels(input);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(["__proto__", "constructor", "a"]);
    expect(Object.getOwnPropertyDescriptor(result, "__proto__")?.value).toBe("p");
    expect(Object.getOwnPropertyDescriptor(result, "constructor")?.value).toBe("c");
    expect(Object.hasOwn(result, "hasOwnProperty")).toBe(false);
    expect(typeof result.hasOwnProperty).toBe("function");
  });

  it("drops an empty __proto__ label without touching the prototype", () => {
    const result = withoutEmptyLabels(record([["__proto__", ""]]));
    expect(Object.keys(result)).toEqual([]);
    expect(Object.hasOwn(result, "__proto__")).toBe(false);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});

describe("ownEntry", () => {
  it.each<[name: string, source: Record<string, string>, key: string, expected: string | undefined]>([
    ["present key", { a: "1" }, "a", "1"],
    ["missing key", { a: "1" }, "b", undefined],
    ["empty value is returned as is", { a: "" }, "a", ""],
    ["empty key", { "": "x" }, "", "x"],
    ["dotted key", { "a.b": "1" }, "a.b", "1"],
    ["inherited constructor is not an entry", {}, "constructor", undefined],
    ["inherited toString is not an entry", {}, "toString", undefined],
    ["inherited hasOwnProperty is not an entry", {}, "hasOwnProperty", undefined],
    ["__proto__ accessor is not an entry", {}, "__proto__", undefined],
    ["own constructor entry", record([["constructor", "c"]]), "constructor", "c"],
    ["own __proto__ entry", record([["__proto__", "p"]]), "__proto__", "p"],
  ])("%s", (_name, source, key, expected) => {
    expect(ownEntry(source, key)).toBe(expected);
  });

  it("does not read entries of the prototype chain", () => {
    const source = Object.create({ inherited: "x" }) as Record<string, string>;
    expect(ownEntry(source, "inherited")).toBeUndefined();
  });

  it("works on records without a prototype", () => {
    const source = Object.create(null) as Record<string, string>;
    source.a = "1";
    expect(ownEntry(source, "a")).toBe("1");
    expect(ownEntry(source, "constructor")).toBeUndefined();
  });
});

describe("setEntry", () => {
  it.each<[key: string]>([["a"], [""], ["a.b/c"], ["__proto__"], ["constructor"], ["toString"], ["hasOwnProperty"]])(
    "sets %j as an own, enumerable, writable entry",
    (key) => {
      const target: Record<string, string> = {};
      setEntry(target, key, "v");
      expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
      expect(Object.keys(target)).toEqual([key]);
      expect(Object.getOwnPropertyDescriptor(target, key)).toEqual({
        value: "v",
        enumerable: true,
        writable: true,
        configurable: true,
      });
      expect(ownEntry(target, key)).toBe("v");
      expect({ ...target }).toEqual(record([[key, "v"]]));
      expect(JSON.stringify(target)).toBe(JSON.stringify(Object.fromEntries([[key, "v"]])));
    },
  );

  it("overwrites an existing entry and keeps the key order", () => {
    const target: Record<string, string> = { a: "1", b: "2" };
    setEntry(target, "a", "3");
    expect(target).toEqual({ a: "3", b: "2" });
    expect(Object.keys(target)).toEqual(["a", "b"]);
  });

  it("leaves other objects' prototypes alone when the key is __proto__", () => {
    const target: Record<string, string> = {};
    setEntry(target, "__proto__", "polluted");
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(target, "__proto__")?.value).toBe("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("can be deleted again, so removal stays plain data too", () => {
    const target: Record<string, string> = {};
    setEntry(target, "constructor", "c");
    expect(Reflect.deleteProperty(target, "constructor")).toBe(true);
    expect(Object.hasOwn(target, "constructor")).toBe(false);
    expect(target.constructor).toBe(Object);
  });
});

import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { collectLabel, compareUtf8, formatLabels, parseLabel, parseLabels } from "../src/labels.js";

describe("parseLabel", () => {
  it.each([
    ["a=1", ["a", "1"]],
    ["a=", ["a", ""]],
    ["a=b=c", ["a", "b=c"]],
    ["com.example/x=y z", ["com.example/x", "y z"]],
    ["k==", ["k", "="]],
  ])("%s", (argument, want) => {
    expect(parseLabel(argument)).toEqual(want);
  });

  it("rejects an argument without '='", () => {
    expect(() => parseLabel("novalue")).toThrow('invalid label "novalue": expected key=value');
  });

  it("rejects an empty key", () => {
    expect(() => parseLabel("=v")).toThrow('invalid label "=v": key must not be empty');
  });
});

describe("parseLabels", () => {
  it("keeps the last value of a repeated key and keeps empty values", () => {
    expect(parseLabels(["a=1", "b=", "a=2"])).toEqual({ a: "2", b: "" });
  });

  it("stores __proto__ as an ordinary key", () => {
    const labels = parseLabels(["__proto__=x"]);
    expect(Object.keys(labels)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("fails on the first bad argument", () => {
    expect(() => parseLabels(["a=1", "bad"])).toThrow('"bad"');
  });
});

describe("formatLabels", () => {
  it("sorts the joined pairs in byte order, as ctr's sort.Strings", () => {
    // "a.b=3" < "a=1" because '.' (0x2e) < '=' (0x3d): ctr sorts pairs, not keys.
    expect(formatLabels({ b: "2", a: "1", "a.b": "3", c: "x y" })).toBe("a.b=3,a=1,b=2,c=x y");
  });

  it("is empty for no labels", () => {
    expect(formatLabels({})).toBe("");
  });
});

describe("compareUtf8", () => {
  it("orders by UTF-8 bytes, not UTF-16 code units", () => {
    // U+FF5E is 0xEF… in UTF-8 and 0xFF5E in UTF-16; U+1F642 is 0xF0… and 0xD83D…
    expect(["🙂", "～", "a"].sort(compareUtf8)).toEqual(["a", "～", "🙂"]);
    expect(["🙂", "～", "a"].sort()).toEqual(["a", "🙂", "～"]);
  });
});

describe("collectLabel", () => {
  it("collects valid arguments", () => {
    expect(collectLabel("b=2", collectLabel("a=1"))).toEqual(["a=1", "b=2"]);
  });

  it("turns a bad argument into a commander usage error", () => {
    expect(() => collectLabel("novalue")).toThrow(InvalidArgumentError);
  });
});

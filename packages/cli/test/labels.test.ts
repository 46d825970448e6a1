import { describe, expect, it } from "vitest";
import { parseLabel, parseLabels } from "../src/labels.js";

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

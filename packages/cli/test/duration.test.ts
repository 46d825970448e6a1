import { describe, expect, it } from "vitest";
import { parseDuration, parseTimeout } from "../src/duration.js";

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["5s", 5000],
    ["500ms", 500],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5s", 1500],
    [".5s", 500],
    ["1.s", 1000],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["2000000ns", 2],
    ["+2s", 2000],
    ["-1s", -1000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(["", "5", "s", "5x", "1 s", "5s ", " 5s", "--1s", "1.5", ".s", "1d", "-"])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(`invalid duration "${text}"`);
  });
});

describe("parseTimeout", () => {
  it("rounds up to whole milliseconds", () => {
    expect(parseTimeout("1us")).toBe(1);
    expect(parseTimeout("1500us")).toBe(2);
    expect(parseTimeout("5s")).toBe(5000);
  });

  it("treats 0 as no timeout", () => {
    expect(parseTimeout("0")).toBeUndefined();
    expect(parseTimeout("0s")).toBeUndefined();
  });

  it("rejects negative durations", () => {
    expect(() => parseTimeout("-1s")).toThrow("timeout must not be negative");
  });
});

import { describe, expect, it } from "vitest";
import { goQuote, MAX_QUOTED_INPUT, quoteInput } from "../../src/go-quote.js";
import { fitHeaderList } from "../../src/transport/h2/stream.js";

describe("quoteInput", () => {
  it("quotes input within the bound exactly as goQuote", () => {
    for (const s of ["", "c1", 'a"b', "x".repeat(MAX_QUOTED_INPUT), "é\n"]) expect(quoteInput(s)).toBe(goQuote(s));
  });

  it("cuts longer input and names its full size in bytes", () => {
    expect(quoteInput("é".repeat(300))).toBe(`${goQuote("é".repeat(256))}… (600 bytes)`);
  });

  it("never cuts a surrogate pair in half", () => {
    const s = `${"a".repeat(255)}😀${"b".repeat(10)}`;
    expect(quoteInput(s)).toBe(`${goQuote("a".repeat(255))}… (269 bytes)`);
  });
});

describe("fitHeaderList", () => {
  const size = (fields: readonly string[]) => {
    let total = 0;
    for (let i = 0; i < fields.length; i += 2)
      total += (fields[i] as string).length + (fields[i + 1] as string).length + 32;
    return total;
  };

  it("leaves a list that fits alone", () => {
    const fields = ["grpc-status", "5", "grpc-message", "not found"];
    expect(fitHeaderList(fields, 1000)).toBe(fields);
  });

  it("cuts the longest value to fit exactly", () => {
    const fields = ["grpc-status", "5", "grpc-message", "m".repeat(500)];
    const fitted = fitHeaderList(fields, 200);
    expect(size(fitted)).toBe(200);
    expect(fitted[3]).toBe("m".repeat(200 - (11 + 1 + 32) - (12 + 32)));
  });

  it("does not leave half a percent escape at the cut", () => {
    const fields = ["grpc-message", "%20".repeat(100)];
    for (let limit = 60; limit < 70; limit++) {
      const value = fitHeaderList(fields, limit)[1] as string;
      expect(value).toMatch(/^(%20)*$/);
      expect(size(fitHeaderList(fields, limit))).toBeLessThanOrEqual(limit);
    }
  });

  it("gives up on a list whose names alone are too large", () => {
    const fields = ["x".repeat(100), "v"];
    expect(fitHeaderList(fields, 50)).toBe(fields);
  });
});

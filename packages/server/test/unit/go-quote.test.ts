import { describe, expect, it } from "vitest";
import { goQuote } from "../../src/go-quote.js";

describe("goQuote (Go strconv.Quote / %q)", () => {
  it.each<[name: string, input: string, expected: string]>([
    ["empty", "", '""'],
    ["plain ASCII", "abc", '"abc"'],
    ["space and punctuation kept", "it's 100% {ok}", `"it's 100% {ok}"`],
    ["double quote escaped", 'a"b', '"a\\"b"'],
    ["backslash escaped", "\\", '"\\\\"'],
    ["named control escapes", "\x07\b\f\r\n\t\v", '"\\a\\b\\f\\r\\n\\t\\v"'],
    ["other control bytes as \\x", "\x00\x04\x1f", '"\\x00\\x04\\x1f"'],
    ["DEL as \\x", "\x7f", '"\\x7f"'],
    ["printable non-ASCII kept", "é牛☺😀", '"é牛☺😀"'],
    ["combining mark kept", "e\u0301", '"e\u0301"'],
    ["C1 control as \\u", "\u0085\u009f", '"\\u0085\\u009f"'],
    ["non-ASCII spaces escaped", "!\u00a0!\u2000!\u3000!", '"!\\u00a0!\\u2000!\\u3000!"'],
    ["line and paragraph separators escaped", "\u2028\u2029", '"\\u2028\\u2029"'],
    ["format characters escaped", "\u00ad\u200b\ufeff", '"\\u00ad\\u200b\\ufeff"'],
    ["private use escaped", "\ue000", '"\\ue000"'],
    ["unassigned escaped", "\u0378", '"\\u0378"'],
    ["astral non-printable as \\U", "\u{10ffff}\u{e0001}", '"\\U0010ffff\\U000e0001"'],
    ["U+FFFD is printable", "\ufffd", '"\ufffd"'],
    ["lone surrogate reads as U+FFFD", "a\ud800b\udc00", '"a\ufffdb\ufffd"'],
    ["hex digits are lower case", "\x1b\u00ad", '"\\x1b\\u00ad"'],
  ])("%s", (_name, input, expected) => {
    expect(goQuote(input)).toBe(expected);
  });
});

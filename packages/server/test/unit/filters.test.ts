import { RE2JS } from "re2js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FieldAdaptor, FilterParseError, parseFilter, parseFilters } from "../../src/local/filters/index.js";

interface Sample {
  readonly [field: string]: string | Readonly<Record<string, string>> | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

/** Top-level string fields are present when non-empty; `labels.<rest joined with ".">` when the key exists. */
function adapt(object: Sample): FieldAdaptor {
  return {
    field(path) {
      if (path[0] === "labels") {
        const key = path.slice(1).join(".");
        return path.length > 1 && Object.hasOwn(object.labels, key) ? object.labels[key] : undefined;
      }
      const value = object[path.join(".")];
      return typeof value === "string" && value !== "" ? value : undefined;
    },
  };
}

const container: Sample = {
  id: "c1",
  image: "docker.io/library/busybox:latest",
  "runtime.name": "io.containerd.runc.v2",
  labels: { a: "1", "com.example/x": "y", "a.b": "c", 'q"uote': "z", "": "empty-key" },
};
const subject = adapt(container);

/** Parses and expects containerd's exact error text. */
function parseError(input: string): string {
  try {
    parseFilter(input);
  } catch (error) {
    expect(error).toBeInstanceOf(FilterParseError);
    return (error as FilterParseError).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to fail`);
}

describe("parse errors: containerd's exact text (spec §6.2, §5.3)", () => {
  it.each<[input: string, message: string]>([
    // §5.3 and §6.1: a maximal run of = ! ~ is one operator.
    ["id=c1", 'filters: parse error: [id >|=|< c1]: unsupported operator "="'],
    ["id=x", 'filters: parse error: [id >|=|< x]: unsupported operator "="'],
    ["id===x", 'filters: parse error: [id >|=|< ==x]: unsupported operator "==="'],
    ["id=!x", 'filters: parse error: [id >|=|< !x]: unsupported operator "=!"'],
    ["id~x", 'filters: parse error: [id >|~|< x]: unsupported operator "~"'],
    ["id!x", 'filters: parse error: [id >|!|< x]: unsupported operator "!"'],
    // A bare value may not start with an operator rune: it joins the operator.
    ["id==!x", 'filters: parse error: [id >|=|< =!x]: unsupported operator "==!"'],
    ["id==~x", 'filters: parse error: [id >|=|< =~x]: unsupported operator "==~"'],
    // §6.1 whitespace: an error after a value or after a presence-only field.
    ["id==x ,id==y", "filters: parse error: [id==x >| |< ,id==y]: unexpected input:  "],
    ["id==x ", "filters: parse error: [id==x >| |< ]: unexpected input:  "],
    ['id=="x" ,id==y', 'filters: parse error: [id=="x" >| |< ,id==y]: unexpected input:  '],
    ["labels.a ,id==x", 'filters: parse error: [labels.a  >|,|< id==x]: expected an operator ("=="|"!="|"~=")'],
    ["labels.a ", 'filters: parse error: [labels.a ]: expected an operator ("=="|"!="|"~=")'],
    [" ", "filters: parse error: [ ]: expected field or quoted"],
    ["id==x y", "filters: parse error: [id==x >| |< y]: unexpected input:  "],
    ['id=="x"y', 'filters: parse error: [id=="x" >|y|< ]: unexpected input: y'],
    ['id=="x".y', 'filters: parse error: [id=="x" >|.|< y]: unexpected input: .'],
    // expected an operator
    ["labels . a", 'filters: parse error: [labels  >|.|<  a]: expected an operator ("=="|"!="|"~=")'],
    ["runtime-name==x", 'filters: parse error: [runtime >|-|< name==x]: expected an operator ("=="|"!="|"~=")'],
    ["id:c1", 'filters: parse error: [id >|:|< c1]: expected an operator ("=="|"!="|"~=")'],
    ['labels."a"b', 'filters: parse error: [labels."a" >|b|< ]: expected an operator ("=="|"!="|"~=")'],
    // expected value or quoted: a bare value may not start with a separator, and may not be missing.
    ["id==", "filters: parse error: [id==]: expected value or quoted"],
    ["id==  ", "filters: parse error: [id==  ]: expected value or quoted"],
    ["nope!=", "filters: parse error: [nope!=]: expected value or quoted"],
    ["nope~=.", "filters: parse error: [nope~= >|.|< ]: expected value or quoted"],
    ["id==,labels.a", "filters: parse error: [id== >|,|< labels.a]: expected value or quoted"],
    ["id==.x", "filters: parse error: [id== >|.|< x]: expected value or quoted"],
    ["id== =x", "filters: parse error: [id==  >|=|< x]: expected value or quoted"],
    ["image~=,id?=?fbaq", "filters: parse error: [image~= >|,|< id?=?fbaq]: expected value or quoted"],
    // expected field or quoted
    ["id==x,", "filters: parse error: [id==x,]: expected field or quoted"],
    [",id==x", "filters: parse error: [ >|,|< id==x]: expected field or quoted"],
    ["id==x,,labels.a", "filters: parse error: [id==x, >|,|< labels.a]: expected field or quoted"],
    ["labels.", "filters: parse error: [labels.]: expected field or quoted"],
    ["labels..a", "filters: parse error: [labels. >|.|< a]: expected field or quoted"],
    [".id", "filters: parse error: [ >|.|< id]: expected field or quoted"],
    ["==x", "filters: parse error: [ >|=|< =x]: expected field or quoted"],
    ["labels.'a'", "filters: parse error: [labels. >|'|< a']: expected field or quoted"],
    ["labels.-a", "filters: parse error: [labels. >|-|< a]: expected field or quoted"],
    ['labels.?"a b"==c', 'filters: parse error: [labels. >|?|< "a b"==c]: expected field or quoted'],
    // invalid quote encountered: `/…/` and `|…|` only after `~=`.
    [
      "labels.|foo|==omg_asdf.asdf-qwer",
      "filters: parse error: [labels. >|||< foo|==omg_asdf.asdf-qwer]: invalid quote encountered",
    ],
    ["labels./a/", "filters: parse error: [labels. >|/|< a/]: invalid quote encountered"],
    ["id==/c1/", "filters: parse error: [id== >|/|< c1/]: invalid quote encountered"],
    ["id!=|c1|", "filters: parse error: [id!= >|||< c1|]: invalid quote encountered"],
    // illegal escape sequence: only Go escapes; `\.`, `\d` and escaping another delimiter are not.
    ['image~="docker\\.io"', 'filters: parse error: [image~= >|"|< docker\\.io"]: illegal escape sequence'],
    ["image~=/\\d+/", "filters: parse error: [image~= >|/|< \\d+/]: illegal escape sequence"],
    ['labels."a\\/b"', 'filters: parse error: [labels. >|"|< a\\/b"]: illegal escape sequence'],
    ['labels."a\\\'b"', 'filters: parse error: [labels. >|"|< a\\\'b"]: illegal escape sequence'],
    ['labels."\\g"', 'filters: parse error: [labels. >|"|< \\g"]: illegal escape sequence'],
    ['id=="\\', 'filters: parse error: [id== >|"|< \\]: illegal escape sequence'],
    // The first problem wins: an illegal escape before the missing closing quote.
    ['id=="\\q', 'filters: parse error: [id== >|"|< \\q]: illegal escape sequence'],
    ['labels."\\\nx"', 'filters: parse error: [labels. >|"|< \\\nx"]: illegal escape sequence'],
    // Numeric escapes with too few digits.
    ['labels."\\xaz"', 'filters: parse error: [labels. >|"|< \\xaz"]: illegal numeric escape sequence'],
    ['id=="\\x4"', 'filters: parse error: [id== >|"|< \\x4"]: illegal numeric escape sequence'],
    ['id=="\\u12"', 'filters: parse error: [id== >|"|< \\u12"]: illegal numeric escape sequence'],
    ['id=="\\18"', 'filters: parse error: [id== >|"|< \\18"]: illegal numeric escape sequence'],
    // quoted literal not terminated: at the end of input or at a raw newline.
    ['id=="c1', 'filters: parse error: [id== >|"|< c1]: quoted literal not terminated'],
    ['labels."a', 'filters: parse error: [labels. >|"|< a]: quoted literal not terminated'],
    ["image~=/busy", "filters: parse error: [image~= >|/|< busy]: quoted literal not terminated"],
    [
      "labels.containerd.io/key==value",
      "filters: parse error: [labels.containerd.io >|/|< key==value]: quoted literal not terminated",
    ],
    ['labels."a\nb"==c', 'filters: parse error: [labels. >|"|< a\nb"==c]: quoted literal not terminated'],
    [
      'labels."containerd.io\nkey"==value',
      'filters: parse error: [labels. >|"|< containerd.io\nkey"==value]: quoted literal not terminated',
    ],
    // unquoting failed: escapes the scanner admits but whose value is out of range.
    ['id=="\\400"', 'filters: parse error: [id== >|"|< \\400"]: unquoting failed: quote syntax error'],
    ['id=="\\777"', 'filters: parse error: [id== >|"|< \\777"]: unquoting failed: quote syntax error'],
    ['id=="\\U00110000"', 'filters: parse error: [id== >|"|< \\U00110000"]: unquoting failed: quote syntax error'],
    // NUL and U+FFFD are illegal characters anywhere (a lone surrogate encodes as U+FFFD).
    ["foo\x00bar", "filters: parse error: [foo >|\x00|< bar]: unexpected null"],
    ["id==a\x00b", "filters: parse error: [id==a >|\x00|< b]: unexpected input: \ufffd"],
    ['labels."a\x00"', 'filters: parse error: [labels. >|"|< a\x00"]: unexpected null'],
    ["id==\ufffd", "filters: parse error: [id== >|\ufffd|< \ufffd\ufffd]: rune error"],
    ["id==\ud800", "filters: parse error: [id== >|\ufffd|< \ufffd\ufffd]: rune error"],
    // The mark covers one byte; the halves of a split character print as U+FFFD.
    ["labels.aé", 'filters: parse error: [labels.a >|\ufffd|< \ufffd]: expected an operator ("=="|"!="|"~=")'],
    ["id==x,é", "filters: parse error: [id==x, >|\ufffd|< \ufffd]: expected field or quoted"],
    ["id==x\u00a0", "filters: parse error: [id==x >|\ufffd|< \ufffd]: unexpected input: \u00a0"],
    ["id==x\u200b", "filters: parse error: [id==x >|\ufffd|< \ufffd\ufffd]: unexpected input: \u200b"],
  ])("%j", (input, message) => {
    expect(parseError(input)).toBe(message);
  });

  it("exposes the reason and the byte offset", () => {
    try {
      parseFilter("labels.é=x");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FilterParseError);
      const parseError = error as FilterParseError;
      expect(parseError.reason).toBe("expected field or quoted");
      expect(parseError.offset).toBe(7);
      expect(parseError.name).toBe("FilterParseError");
    }
  });

  it("cannot produce `expected a separator` or ``expected a field separator (`.`)``", () => {
    // containerd checks these after peeking `,` or `.`, which always scan as separators; the checks are
    // kept for fidelity, and every input that gets near them parses or fails otherwise.
    for (const input of ["id==x,labels.a", "a.b.c", "a.b,c.d", "a. b", "a , b"]) {
      try {
        parseFilter(input);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/expected a (field )?separator/);
      }
    }
  });
});

describe("syntax accepted (spec §6.1)", () => {
  it.each<[input: string]>([
    ["id"],
    ["id==c1"],
    ["  id==c1"],
    ["id ==c1"],
    ["id== c1"],
    ["id == c1"],
    ["\tid\t==\tc1"],
    ["id==c1, image"],
    ["id==c1,\n image"],
    ["labels.a,id"],
    ["id==x=y"],
    ["id==a!=b"],
    ["id==a~b"],
    ['id==a"b'],
    ["id==a|b"],
    ["id==a/b"],
    ["image==docker.io/library/busybox:latest"],
    ["id=='x'"],
    ["0abc==1"],
    ["_==1"],
    ['"leading quote".postquote==value'],
    ['labels."a\\"b"'],
    ['labels."\\a\\b\\f\\n\\r\\t\\v\\\\"'],
    ["image~=/a\\/b/"],
    ["image~=|a\\|b|"],
    ['image~=/[abc]{0,1}"\\//'],
    ["image~=[abc]\\+"],
    ["image~=牛"],
    ["name~=|牛|,labels.moo==true"],
    ['id=="\\uD800"'],
  ])("%j", (input) => {
    expect(() => parseFilter(input)).not.toThrow();
  });
});

describe("matching one filter string (spec §6.1, §6.3, §6.4)", () => {
  it.each<[input: string, matches: boolean]>([
    // Empty string and presence.
    ["", true],
    ["id", true],
    ["image", true],
    ["runtime.name", true],
    ["labels.a", true],
    ["labels.nope", false],
    ["labels", false],
    ["nope", false],
    ["snapshotter", false],
    // ==: present and equal.
    ["id==c1", true],
    ["id==c2", false],
    ["id==C1", false],
    ["image==docker.io/library/busybox:latest", true],
    ["runtime.name==io.containerd.runc.v2", true],
    ["labels.a==1", true],
    ["labels.a==2", false],
    ['nope==""', false],
    // !=: an absent field counts as "".
    ["id!=c1", false],
    ["id!=c2", true],
    ["nope!=y", true],
    ['nope!=""', false],
    ["labels.nope!=1", true],
    // ~=: unanchored RE2; absent reads as "".
    ["image~=busybox", true],
    ["image~=busy.ox", true],
    ["image~=^busybox", false],
    ["image~=^docker", true],
    ["image~=latest$", true],
    ["id~=^c1$", true],
    ["id~=^c$", false],
    ["nope~=^$", true],
    ["nope~=a", false],
    ["image~=(?i)BUSYBOX", true],
    // Bare regexes take backslashes as they are; quoted ones need Go escapes.
    ["image~=docker\\.io", true],
    ["image~=docker[.]io", true],
    ['image~="docker\\\\.io"', true],
    ['image~="docker\\\\.com"', false],
    ["image~=/library\\/busybox/", true],
    ["image~=|busybox\\|nothing|", true],
    ["image~=/\\x2f/", true],
    // An invalid regex is not a parse error and never matches, even against an absent field.
    ["image~=[", false],
    ["nope~=(", false],
    ["image~=(a)\\1", false],
    ["image~=(?=busy)", false],
    ["image!=x,image~=[", false],
    // AND within one string.
    ["id==c1,labels.a==1", true],
    ["id==c1,labels.a==2", false],
    ["id==c1,image~=busybox,runtime.name~=runc,labels.a", true],
    ["id==c1, labels.nope", false],
    // Quoted field paths; segments after the first are joined with "." for label lookup.
    ['labels."com.example/x"==y', true],
    ['labels."com.example/x"', true],
    ["labels.a.b==c", true],
    ['labels."a.b"==c', true],
    ['labels."a".b==c', true],
    ['labels."q\\"uote"==z', true],
    ['labels.""==empty-key', true],
    // Quoted values and escapes.
    ['id=="c1"', true],
    ['id=="c\\x31"', true],
    ['id=="c\\061"', true],
    ['id=="\\u0063\\U00000031"', true],
    ['labels."\\141"==1', true],
    ['labels."a\\x2eb"==c', true],
    ['id=="c1 "', false],
    ["id=='c1'", false],
    // Values that look like other syntax after their first character.
    ["id==c1=", false],
    ["id!=x=y", true],
    // §6.4: unfilterable fields are simply absent.
    ["snapshotter==overlayfs", false],
    ["snapshotter!=overlayfs", true],
    ["spec==x", false],
    ["spec!=x", true],
  ])("%j → %s", (input, matches) => {
    expect(parseFilter(input).match(subject)).toBe(matches);
  });

  it("reads a surrogate escape, and invalid UTF-8 from byte escapes, as U+FFFD", () => {
    const withReplacement = adapt({ labels: { k: "\ufffd" } });
    expect(parseFilter('labels.k=="\\uD800"').match(withReplacement)).toBe(true);
    expect(parseFilter('labels.k=="\\xff"').match(withReplacement)).toBe(true);
  });

  it("decodes multi-byte characters built from byte escapes", () => {
    const accented = adapt({ labels: { k: "é" } });
    expect(parseFilter('labels.k=="\\xc3\\xa9"').match(accented)).toBe(true);
    expect(parseFilter('labels.k=="\\303\\251"').match(accented)).toBe(true);
    expect(parseFilter('labels.k=="\\u00e9"').match(accented)).toBe(true);
  });

  it("passes the path segments to the adaptor", () => {
    const seen: string[][] = [];
    const recorder: FieldAdaptor = {
      field(path) {
        seen.push([...path]);
        return undefined;
      },
    };
    parseFilter('labels."com.example/x",labels.a.b,runtime.name!=x').match(recorder);
    expect(seen).toEqual([["labels", "com.example/x"]]);
    parseFilter('labels."a.b"!=x,labels.a.b!=x,runtime.name!=x').match(recorder);
    expect(seen.slice(1)).toEqual([
      ["labels", "a.b"],
      ["labels", "a", "b"],
      ["runtime", "name"],
    ]);
  });
});

describe("parseFilters: several strings are ORed (spec §5.3)", () => {
  it.each<[inputs: string[], matches: boolean]>([
    [[], true],
    [[""], true],
    [["id==c2", ""], true],
    [["id==c2"], false],
    [["id==c2", "id==c1"], true],
    [["id==c2", "id==c3"], false],
    [["id==c1,labels.a==2", "labels.a==1,image~=busybox"], true],
    [["id==c1,labels.a==2", "labels.a==1,image~=alpine"], false],
    [["image~=[", "id==c1"], true],
  ])("%j → %s", (inputs, matches) => {
    expect(parseFilters(inputs).match(subject)).toBe(matches);
  });

  it("applies to an object without fields", () => {
    const empty = adapt({ labels: {} });
    expect(parseFilters([]).match(empty)).toBe(true);
    expect(parseFilters(["id"]).match(empty)).toBe(false);
    expect(parseFilters(["id", "nope!=x"]).match(empty)).toBe(true);
  });

  it("still parses every string, so a bad one fails even next to an empty one", () => {
    expect(() => parseFilters(["", "id=c1"])).toThrow(
      new FilterParseError(new TextEncoder().encode("id=c1"), 2, 'unsupported operator "="'),
    );
    expect(() => parseFilters(["", "id=c1"])).toThrow('filters: parse error: [id >|=|< c1]: unsupported operator "="');
  });

  it("reports the first bad string", () => {
    expect(() => parseFilters(["id==c1", "id=", "labels.a "])).toThrow(
      /^filters: parse error: \[id >\|=\|< \]: unsupported operator "="$/,
    );
    expect(() => parseFilters(["id==c1", "labels.a ", "id="])).toThrow(
      'filters: parse error: [labels.a ]: expected an operator ("=="|"!="|"~=")',
    );
  });
});

describe("containerd's own filter_test corpus", () => {
  const corpus: Sample[] = [
    { name: "foo", labels: { foo: "true" } },
    { name: "bar", labels: {} },
    { name: "foo", labels: { foo: "present", "more complex label": "present" } },
    { name: "bar", labels: { bar: "true" } },
    { name: "fooer", labels: { 'more complex label with \\ and "': "present" } },
    { name: "fooer", labels: { 'more complex label with \\ and ".post': "present" } },
    { name: "baz", other: "too complex, yo", labels: {} },
    { name: "bazo", other: "abc", labels: {} },
    { name: "compound", labels: { foo: "omg_asdf.asdf-qwer" } },
  ];
  const all = corpus.map((_, i) => i);

  it.each<[name: string, input: string, expected: number[]]>([
    ["Empty", "", all],
    ["Present", "name", all],
    ["LabelPresent", "labels.foo", [0, 2, 8]],
    ["NameAndLabelPresent", "labels.foo,name", [0, 2, 8]],
    ["LabelValue", "labels.foo==true", [0]],
    ["LabelValuePunctuated", "labels.foo==omg_asdf.asdf-qwer", [8]],
    ["Name", "name==bar", [1, 3]],
    ["NameNotEqual", "name!=bar", [0, 2, 4, 5, 6, 7, 8]],
    ["NameAndLabelPresent", "name==bar,labels.bar", [3]],
    ["QuotedValue", 'other=="too complex, yo"', [6]],
    ["RegexpValue", "other~=[abc]+,name!=foo", [6, 7]],
    ["RegexpQuotedValue", "other~=/[abc]+/,name!=foo", [6, 7]],
    ["RegexpQuotedValue", "other~=/[abc]{1,2}/,name!=foo", [6, 7]],
    ["RegexpQuotedValueGarbage", 'other~=/[abc]{0,1}"\\//,name!=foo', []],
    ["NameAndLabelValue", "name==bar,labels.bar==true", [3]],
    ["NameAndLabelValueNoMatch", "name==bar,labels.bar==wrong", []],
    ["LabelQuotedFieldPathPresent", 'name==foo,labels."more complex label"', [2]],
    ["LabelQuotedFieldPathPresentWithQuoted", 'labels."more complex label with \\\\ and \\""==present', [4]],
    ["LabelQuotedFieldPathPresentWithQuotedEmbed", 'labels."more complex label with \\\\ and \\"".post==present', [5]],
  ])("%s: %j", (_name, input, expected) => {
    const filter = parseFilter(input);
    const matched = corpus.flatMap((entry, i) => (filter.match(adapt(entry)) ? [i] : []));
    expect(matched).toEqual(expected);
  });
});

describe("cost", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("compiles each regex once, at parse time", () => {
    const compile = vi.spyOn(RE2JS, "compile");
    const filter = parseFilters(["image~=busybox,labels.a~=/1/", "id~=[", "id==c1"]);
    expect(compile).toHaveBeenCalledTimes(3);
    for (let i = 0; i < 10; i++) filter.match(subject);
    expect(compile).toHaveBeenCalledTimes(3);
  });

  it("parses long inputs and matches pathological regexes in linear time", () => {
    const selectors = Array.from({ length: 20_000 }, (_, i) => `labels."k${i}"!=x`).join(",");
    const started = performance.now();
    expect(parseFilter(selectors).match(subject)).toBe(true);
    const long = adapt({ labels: { a: `${"a".repeat(100_000)}!` } });
    expect(parseFilter("labels.a~=^(a+)+$").match(long)).toBe(false);
    expect(parseFilter("labels.a~=^(a|aa)+$").match(long)).toBe(false);
    expect(parseFilter("labels.a~=(a|aa)+!$").match(long)).toBe(true);
    expect(parseFilter(`labels.a==${"a".repeat(100_000)}!`).match(long)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

/**
 * A JSON reader that keeps where each value is in the text, so a member can be
 * taken byte for byte (an OCI spec carried in an Any round-trips exactly).
 */
export type JsonNode =
  | { readonly kind: "object"; readonly start: number; readonly end: number; readonly members: readonly JsonMember[] }
  | { readonly kind: "array"; readonly start: number; readonly end: number; readonly items: readonly JsonNode[] }
  | { readonly kind: "string"; readonly start: number; readonly end: number; readonly value: string }
  | { readonly kind: "literal"; readonly start: number; readonly end: number };

/** One `"key": value` of an object. */
export interface JsonMember {
  readonly key: string;
  readonly value: JsonNode;
}

/** Raised for text that is not JSON; the message names the offset. */
export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

/** Nesting deeper than this is refused, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 256;

/** Parses one JSON value (with surrounding whitespace) into a tree of spans. */
export function parseJsonTree(text: string): JsonNode {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`invalid JSON at offset ${at}: ${what}`);
  };
  const skipSpace = () => {
    while (at < text.length && " \t\n\r".includes(text[at] as string)) at++;
  };
  const readString = (): JsonNode => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') at += text[at] === "\\" ? 2 : 1;
    if (at >= text.length) fail("unterminated string");
    at++;
    try {
      return { kind: "string", start, end: at, value: JSON.parse(text.slice(start, at)) as string };
    } catch {
      return fail("bad string");
    }
  };
  const readValue = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    skipSpace();
    const start = at;
    const first = text[at];
    if (first === '"') return readString();
    if (first === "{") {
      at++;
      const members: JsonMember[] = [];
      skipSpace();
      if (text[at] === "}") return { kind: "object", start, end: ++at, members };
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail("expected a member name");
        const key = readString() as { value: string };
        skipSpace();
        if (text[at] !== ":") fail("expected ':'");
        at++;
        members.push({ key: key.value, value: readValue(depth + 1) });
        skipSpace();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "}") return { kind: "object", start, end: ++at, members };
        fail("expected ',' or '}'");
      }
    }
    if (first === "[") {
      at++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[at] === "]") return { kind: "array", start, end: ++at, items };
      for (;;) {
        items.push(readValue(depth + 1));
        skipSpace();
        if (text[at] === ",") {
          at++;
          continue;
        }
        if (text[at] === "]") return { kind: "array", start, end: ++at, items };
        fail("expected ',' or ']'");
      }
    }
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(at, at + 512));
    if (literal === null) return fail("unexpected character");
    at += literal[0].length;
    return { kind: "literal", start, end: at };
  };
  const root = readValue(0);
  skipSpace();
  if (at !== text.length) fail("text after the value");
  return root;
}

/** Connection-specific header fields that HTTP/2 forbids (RFC 9113 §8.2.2). */
const FORBIDDEN_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const REQUEST_PSEUDO_HEADERS = new Set([":method", ":scheme", ":path", ":authority"]);
/** A header name: lowercase token characters (RFC 9110 §5.6.2, RFC 9113 §8.2.1). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Characters no header value may hold (RFC 9113 §8.2.1). */
const BAD_VALUE = /[\0\r\n]/;
/** A content-length berthd can count to. */
const CONTENT_LENGTH = /^\d{1,15}$/;

/**
 * A request's decoded header list by name (repeated names joined with ", ",
 * as Node does), or undefined when the request is malformed (RFC 9113 §8.1.1,
 * §8.2, §8.3.1): pseudo-headers after regular ones, unknown or repeated;
 * names that are not lowercase tokens; values with NUL, CR or LF;
 * connection-specific headers; `te` other than `trailers`; a content-length
 * that is no number; a missing `:method` or `:scheme`, or a missing or empty `:path`.
 */
export function parseRequestHeaders(fields: readonly string[]): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  let regularSeen = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name.startsWith(":")) {
      if (regularSeen || !REQUEST_PSEUDO_HEADERS.has(name) || name in headers) return undefined;
    } else {
      regularSeen = true;
      if (!HEADER_NAME.test(name) || FORBIDDEN_HEADERS.has(name)) return undefined;
      if (name === "te" && value !== "trailers") return undefined;
    }
    if (BAD_VALUE.test(value)) return undefined;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  if (headers[":method"] === undefined || headers[":scheme"] === undefined || !headers[":path"]) {
    return undefined;
  }
  const length = headers["content-length"];
  if (length !== undefined && !CONTENT_LENGTH.test(length)) return undefined;
  return headers;
}

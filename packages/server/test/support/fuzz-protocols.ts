import type { DescMethod } from "@bufbuild/protobuf";
import type { RawResponse } from "./fuzz-transport.js";

/** The RPC protocols berthd serves, each in the encoding under test. */
export type ProtocolName = "grpc" | "grpc-web" | "connect-proto" | "connect-json";

/** How one protocol frames requests and reports statuses. */
export interface Protocol {
  readonly name: ProtocolName;
  /** Which transport it is sent over in the suite. */
  readonly transport: "h2" | "h1";
  /** Whether bodies are JSON rather than binary protobuf. */
  readonly json: boolean;
  /** Whether this method's request body is a sequence of 5-byte envelopes (false: Connect unary's bare body). */
  enveloped(method: DescMethod): boolean;
  /** The content type of a well-formed request. */
  contentType(method: DescMethod): string;
  /** Protocol headers of a well-formed request, with a deadline when `deadlineMs` is set. */
  headers(method: DescMethod, deadlineMs: number | undefined): Record<string, string>;
  /** The status the response reports, or undefined when it reports none. */
  status(response: RawResponse, method: DescMethod): Status | undefined;
}

/** A call's outcome as a gRPC code and message. */
export interface Status {
  readonly code: number;
  readonly message: string;
}

/** Connect's code names, in gRPC code order. */
const CONNECT_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

const isUnary = (method: DescMethod) => method.methodKind === "unary";

/** Wraps one message in a gRPC-style envelope with the given flags. */
export function envelope(body: Uint8Array, flags = 0, declaredLength = body.length): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = flags;
  out.writeUInt32BE(declaredLength >>> 0, 1);
  out.set(body, 5);
  return out;
}

/** Splits enveloped bytes into frames; a cut last frame is returned as far as it goes. */
export function frames(data: Buffer): { flags: number; body: Buffer }[] {
  const out: { flags: number; body: Buffer }[] = [];
  for (let offset = 0; offset + 5 <= data.length; ) {
    const length = data.readUInt32BE(offset + 1);
    out.push({ flags: data[offset] ?? 0, body: data.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return out;
}

function grpcStatus(fields: Readonly<Record<string, string>>): Status | undefined {
  const code = fields["grpc-status"];
  if (code === undefined || !/^\d+$/.test(code)) return undefined;
  return { code: Number(code), message: decodeURIComponent(fields["grpc-message"] ?? "") };
}

/** The gRPC-Web trailer frame (flag 0x80): `name: value` lines. */
function webTrailers(body: Buffer): Record<string, string> {
  const trailer = frames(body).find((frame) => (frame.flags & 0x80) !== 0);
  const fields: Record<string, string> = {};
  for (const line of trailer?.body.toString("utf8").split("\r\n") ?? []) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return fields;
}

function connectError(json: unknown): Status | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { code, message } = json as { code?: unknown; message?: unknown };
  const index = typeof code === "string" ? CONNECT_CODES.indexOf(code) : -1;
  if (index <= 0) return undefined;
  return { code: index, message: typeof message === "string" ? message : "" };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
}

function connectStatus(response: RawResponse, method: DescMethod): Status | undefined {
  if (response.httpStatus === undefined) return undefined;
  if (isUnary(method)) {
    if (response.httpStatus === 200) return { code: 0, message: "" };
    return connectError(parseJson(response.body));
  }
  if (response.httpStatus !== 200) return connectError(parseJson(response.body));
  // Connect streams end with an end-stream envelope (flag 0x02) holding `{"error"?: …}`.
  const end = frames(response.body).find((frame) => (frame.flags & 0x02) !== 0);
  if (end === undefined) return undefined;
  const json = parseJson(end.body) as { error?: unknown } | undefined;
  if (json === undefined) return undefined;
  return json.error === undefined ? { code: 0, message: "" } : connectError(json.error);
}

function deadlineHeader(name: string, value: (ms: number) => string, ms: number | undefined): Record<string, string> {
  return ms === undefined ? {} : { [name]: value(ms) };
}

/**
 * The status of a response, read the way its own content type says: a request sent in one protocol
 * with another protocol's content type is answered in that other protocol.
 */
export function responseStatus(response: RawResponse, method: DescMethod, sent: Protocol): Status | undefined {
  const type = (response.headers["content-type"] ?? "").toLowerCase();
  if (type.startsWith("application/grpc-web")) return GRPC_WEB.status(response, method);
  if (type.startsWith("application/grpc")) return GRPC.status(response, method);
  if (type.startsWith("application/connect+"))
    return connectStatus(response, { ...method, methodKind: "server_streaming" } as DescMethod);
  if (type.startsWith("application/json") || type.startsWith("application/proto")) {
    return connectStatus(response, { ...method, methodKind: "unary" } as DescMethod);
  }
  return (
    grpcStatus(response.trailers) ??
    grpcStatus(response.headers) ??
    (type === "" ? undefined : sent.status(response, method))
  );
}

/** gRPC over HTTP/2: binary envelopes, status in the trailers (or the headers, when trailers-only). */
export const GRPC: Protocol = {
  name: "grpc",
  transport: "h2",
  json: false,
  enveloped: () => true,
  contentType: () => "application/grpc",
  headers: (_, ms) => ({ te: "trailers", ...deadlineHeader("grpc-timeout", (v) => `${v}m`, ms) }),
  status: (response) => grpcStatus(response.trailers) ?? grpcStatus(response.headers),
};

/** gRPC-Web over HTTP/1.1: envelopes both ways, status in a 0x80 trailer frame (or the headers). */
export const GRPC_WEB: Protocol = {
  name: "grpc-web",
  transport: "h1",
  json: false,
  enveloped: () => true,
  contentType: () => "application/grpc-web+proto",
  headers: (_, ms) => ({ "x-grpc-web": "1", ...deadlineHeader("grpc-timeout", (v) => `${v}m`, ms) }),
  status: (response) => grpcStatus(response.headers) ?? grpcStatus(webTrailers(response.body)),
};

function connect(name: ProtocolName, codec: "proto" | "json"): Protocol {
  return {
    name,
    transport: "h1",
    json: codec === "json",
    enveloped: (method) => !isUnary(method),
    contentType: (method) => (isUnary(method) ? `application/${codec}` : `application/connect+${codec}`),
    headers: (_, ms) => ({
      "connect-protocol-version": "1",
      ...deadlineHeader("connect-timeout-ms", String, ms),
    }),
    status: connectStatus,
  };
}

/** Connect with binary protobuf over HTTP/1.1: bare unary bodies, enveloped streams. */
export const CONNECT_PROTO = connect("connect-proto", "proto");

/** Connect with JSON over HTTP/1.1. */
export const CONNECT_JSON = connect("connect-json", "json");

/** Every protocol of the suite. */
export const PROTOCOLS: readonly Protocol[] = [GRPC, GRPC_WEB, CONNECT_PROTO, CONNECT_JSON];

import type { DescMethod } from "@bufbuild/protobuf";
import { Code, createContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { serveConnectJson, transcodesJson } from "../rpc/connect-json.js";
import type { HttpExchange, HttpHandler } from "../rpc/exchange.js";
import { decodeGrpcMessage } from "../rpc/grpc-message.js";
import { fromBase64, grpcWebTrailerFrame, toBase64Frames } from "../rpc/grpc-web-frames.js";
import { type BearerTokens, createAccessCheck, type Refusal } from "../rpc/interceptors/auth.js";
import type { JsonCodec } from "../rpc/json-codec.js";
import { type RpcProtocol, rpcProtocolOf } from "../rpc/protocol.js";
import { statusResponse } from "../rpc/status-response.js";
import type { H2ClientConnection } from "../transport/h2/client.js";
import {
  connectToGrpcHeaders,
  type GrpcOutcome,
  streamResponseFromGrpc,
  unaryRequestAsGrpc,
  unaryResponseFromGrpc,
} from "./connect-binary.js";
import { CONTAINERD_METHODS } from "./containerd-api.js";
import { NOT_FORWARDED, relayGrpc } from "./grpc-relay.js";
import type { ForwardedCall, GatewayMetrics } from "./metrics.js";
import type { Upstream } from "./upstream.js";
import { startCall, type UpstreamCall, type UpstreamResponse } from "./upstream-call.js";

/** Options of {@link createForwarder}. */
export interface ForwarderOptions {
  /** Bearer tokens of calls that did not arrive on the unix socket (see `createAccessCheck`); not forwarded. */
  readonly tokens?: BearerTokens | undefined;
  /** Measures each forwarded call. */
  readonly metrics?: GatewayMetrics | undefined;
  /** Told of each call the tokens refused. */
  readonly onRefused?: ((refusal: Refusal, path: string) => void) | undefined;
  /** Requests that are no RPC: the web app, or 404. */
  readonly fallback: HttpHandler;
  /** Reads and writes Connect's JSON for the methods of `CONTAINERD_SERVICES`. */
  readonly json: JsonCodec;
}

/**
 * Forwards every call, whatever its service, to containerd as gRPC. A gRPC
 * call is relayed frame payload by payload (see `grpc-relay.ts`). gRPC-Web
 * (binary and text) and Connect binary are carried as gRPC upstream without
 * decoding, and their answers framed back in the client's protocol; Connect
 * JSON is translated to binary for the methods whose schema Berth restates.
 * Flow control holds on each side, so a slow reader slows its own call only,
 * and cancellation travels both ways.
 */
export function createForwarder(upstream: Upstream, options: ForwarderOptions): HttpHandler {
  const check = options.tokens === undefined ? undefined : createAccessCheck(options.tokens);
  return (exchange) => {
    const header = new Headers({ "content-type": String(exchange.headers["content-type"] ?? "") });
    const protocol = rpcProtocolOf({ method: exchange.method, url: exchange.url, header });
    if (protocol === undefined) {
      options.fallback(exchange);
      return;
    }
    const path = exchange.url.split("?", 1)[0] ?? exchange.url;
    let json: { method: DescMethod; codec: JsonCodec } | undefined;
    if (!isBinary(protocol, exchange)) {
      const method = CONTAINERD_METHODS.get(path);
      const transcodable = transcodesJson({ method: exchange.method, header: headersOf(exchange) });
      if (method === undefined || !transcodable) {
        const message =
          method === undefined
            ? `berthd knows no schema for ${path}, which Connect's JSON needs: send binary messages (application/proto)`
            : "berthd translates Connect JSON only when it is POSTed uncompressed";
        answer(exchange, statusResponse(protocol, Code.Unimplemented, message));
        return;
      }
      json = { method, codec: options.json };
    }
    if (check !== undefined && !exchange.viaUnixSocket) {
      const authorization = exchange.headers.authorization;
      const refusal = check(typeof authorization === "string" ? authorization : undefined, path);
      if (refusal !== undefined) {
        options.onRefused?.(refusal, path);
        answer(exchange, statusResponse(protocol, refusal.code, refusal.message));
        return;
      }
    }
    const call = options.metrics?.start(path);
    const io = protocol === "grpc" ? exchange.callIo() : undefined;
    if (io !== undefined) {
      relayGrpc(io, upstream, call).then(
        (code) => call?.end(code),
        () => {
          call?.end(Code.Unknown);
          exchange.fail();
        },
      );
      return;
    }
    forward(upstream, exchange, protocol, call, json).then(
      (code) => call?.end(code),
      () => {
        call?.end(Code.Unknown);
        exchange.fail();
      },
    );
  };
}

/**
 * Forwards one call and answers it; resolves with the gRPC status code it
 * ended with (Unknown when containerd's answer carried none, as when it reset
 * the stream). A Connect JSON call (`json` given) is carried as the binary
 * call of its method and its messages translated both ways.
 */
async function forward(
  upstream: Upstream,
  exchange: HttpExchange,
  protocol: RpcProtocol,
  call: ForwardedCall | undefined,
  json: { readonly method: DescMethod; readonly codec: JsonCodec } | undefined,
): Promise<number> {
  // Every forwarded call may stream its request: the gateway does not know the method.
  const request = exchange.universalRequest(createContextValues(), true);
  const headers = forwardedHeaders(exchange.url, exchange.rawHeaders, protocol);
  if (json === undefined) {
    const relayed = relay(upstream, request, headers, protocol, call);
    try {
      await exchange.answer(await relayed.response);
    } finally {
      relayed.done();
    }
    return relayed.code();
  }
  let relayed: Relayed | undefined;
  const serveBinary = (binary: UniversalServerRequest) => {
    relayed = relay(upstream, binary, headers, protocol, call);
    return relayed.response;
  };
  try {
    await exchange.answer(await serveConnectJson(serveBinary, json.method, request, json.codec));
  } finally {
    relayed?.done();
  }
  // No relay: the request was no JSON of the method, and Connect's answer said so.
  return relayed?.code() ?? Code.InvalidArgument;
}

/** One call on its way to containerd and back. */
interface Relayed {
  /** containerd's answer in the client's protocol, once its headers have come. */
  readonly response: Promise<UniversalServerResponse>;
  /** Call when the answer has been sent (or failed): stops relaying cancellation. */
  done(): void;
  /** The gRPC status code the call ended with, once its answer has been read. */
  code(): number;
}

/** Sends `request` to containerd as gRPC with header `fields`, and translates the answer. */
function relay(
  upstream: Upstream,
  request: UniversalServerRequest,
  fields: readonly string[],
  protocol: RpcProtocol,
  call: ForwardedCall | undefined,
): Relayed {
  let status: () => number = () => Code.Unknown;
  let done: () => void = () => undefined;
  const response = (async (): Promise<UniversalServerResponse> => {
    let connection: H2ClientConnection;
    try {
      connection = await upstream.session();
    } catch (error) {
      status = () => Code.Unavailable;
      return statusResponse(protocol, Code.Unavailable, (error as Error).message);
    }
    const upstreamCall = startCall(connection, fields);
    const cancel = () => upstreamCall.cancel();
    if (request.signal.aborted) cancel();
    request.signal.addEventListener("abort", cancel, { once: true });
    done = () => request.signal.removeEventListener("abort", cancel);
    const requestBody = request.body as AsyncIterable<Uint8Array>;
    const sent = counted(requestBody, call?.received) ?? requestBody;
    const upstreamBody =
      protocol === "grpc-web-text" ? fromBase64(sent) : protocol === "connect-unary" ? unaryRequestAsGrpc(sent) : sent;
    void upstreamCall.send(upstreamBody).catch(cancel);
    let answered: UpstreamResponse;
    try {
      answered = await upstreamCall.response;
    } catch {
      status = () => (request.signal.aborted ? Code.Canceled : Code.Unavailable);
      const message = `containerd (${upstream.socketPath}) closed the stream before answering`;
      return statusResponse(protocol, Code.Unavailable, message);
    }
    const translated = translateResponse(protocol, answered, upstreamCall);
    status = () => {
      if (request.signal.aborted) return Code.Canceled;
      const code = translated.status();
      return code === undefined ? Code.Unknown : Number(code);
    };
    const answer = await translated.answer;
    const body = counted(answer.body, call?.sent);
    return body === undefined ? answer : { ...answer, body };
  })();
  return { response, done: () => done(), code: () => status() };
}

/** `body` with each chunk's size told to `count`. */
function counted(
  body: AsyncIterable<Uint8Array> | undefined,
  count: ((bytes: number) => void) | undefined,
): AsyncIterable<Uint8Array> | undefined {
  if (body === undefined || count === undefined) return body;
  return (async function* () {
    for await (const chunk of body) {
      count(chunk.length);
      yield chunk;
    }
  })();
}

/**
 * The request's own header fields (flat), for containerd: hop-by-hop ones and
 * Berth's credential left out, Connect's and gRPC-Web's own turned into gRPC's.
 */
function forwardedHeaders(path: string, rawHeaders: readonly string[], protocol: RpcProtocol): string[] {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (name.startsWith(":") || NOT_FORWARDED.has(name)) continue;
    if (name === "x-grpc-web" || name === "x-user-agent" || name === "origin") continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  if (protocol === "connect-unary" || protocol === "connect-stream") connectToGrpcHeaders(headers);
  headers["content-type"] = "application/grpc";
  headers.te = "trailers";
  const fields = [":method", "POST", ":scheme", "http", ":path", path, ":authority", "localhost"];
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) fields.push(name, one);
  }
  return fields;
}

/** The headers that decide whether a Connect call's JSON can be translated. */
function headersOf(exchange: HttpExchange): Headers {
  const header = new Headers();
  for (const name of ["content-type", "content-encoding", "connect-content-encoding"]) {
    const value = exchange.headers[name];
    if (typeof value === "string") header.set(name, value);
  }
  return header;
}

/** Whether the call's messages are protobuf binary, which the gateway can forward without their schema. */
function isBinary(protocol: RpcProtocol, exchange: HttpExchange): boolean {
  const type = String(exchange.headers["content-type"] ?? "").toLowerCase();
  switch (protocol) {
    case "connect-unary":
      return exchange.method === "POST" && /^application\/proto(?:;|$)/.test(type);
    case "connect-stream":
      return /^application\/connect\+proto(?:;|$)/.test(type);
    default:
      return !/\+json(?:;|$)/.test(type);
  }
}

/**
 * containerd's answer in the client's protocol. A gRPC answer passes as it
 * is: headers, messages, trailers (or headers alone, for a trailers-only
 * answer). For gRPC-Web the status moves into a trailer frame after the
 * messages; for Connect into its end-of-stream envelope or JSON error.
 */
function translateResponse(
  protocol: RpcProtocol,
  response: UpstreamResponse,
  call: UpstreamCall,
): { readonly answer: UniversalServerResponse | Promise<UniversalServerResponse>; status(): string | undefined } {
  const fields = response.fields;
  const status = Number(fields[0] === ":status" ? fields[1] : 200);
  const header = toHeaders(fields);
  const trailer = new Headers();
  const trailersOnly = response.endStream;
  // The body, then containerd's trailers into `trailer` once it has ended.
  const messages = trailersOnly
    ? undefined
    : (async function* () {
        yield* call.body();
        toHeaders(call.trailers ?? []).forEach((value, name) => {
          trailer.append(name, value);
        });
      })();
  const headerStatus = header.get("grpc-status") ?? undefined;
  const grpcStatus = () => headerStatus ?? trailer.get("grpc-status") ?? undefined;
  if (protocol === "grpc") {
    if (messages === undefined) return { answer: { status, header }, status: grpcStatus };
    return { answer: { status, header, body: messages, trailer }, status: grpcStatus };
  }
  if (protocol === "connect-unary" || protocol === "connect-stream") {
    const outcome = (): GrpcOutcome => {
      const statusFields = trailersOnly ? header : trailer;
      const metadata = new Headers();
      statusFields.forEach((value, name) => {
        if (!name.startsWith("grpc-")) metadata.append(name, value);
      });
      return {
        code: Number(grpcStatus() ?? Code.Unknown),
        message: decodeGrpcMessage(statusFields.get("grpc-message") ?? ""),
        metadata,
      };
    };
    const answer =
      protocol === "connect-unary"
        ? unaryResponseFromGrpc(header, messages, outcome)
        : streamResponseFromGrpc(header, messages, outcome);
    return { answer, status: grpcStatus };
  }
  // gRPC-Web: the status travels in the body's trailer frame, also for a trailers-only answer.
  const statusFields = new Headers();
  for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
    const value = header.get(name);
    if (value !== null) {
      statusFields.set(name, value);
      header.delete(name);
    }
  }
  header.set(
    "content-type",
    protocol === "grpc-web-text" ? "application/grpc-web-text+proto" : "application/grpc-web+proto",
  );
  const frames = grpcWebBody(messages, trailersOnly ? statusFields : trailer);
  const body = protocol === "grpc-web-text" ? toBase64Frames(frames) : frames;
  return { answer: { status, header, body }, status: grpcStatus };
}

async function* grpcWebBody(
  messages: AsyncIterable<Uint8Array> | undefined,
  trailer: Headers,
): AsyncIterable<Uint8Array> {
  if (messages !== undefined) yield* messages;
  yield grpcWebTrailerFrame(trailer);
}

/** Flat header fields as WHATWG Headers, pseudo-headers left out. */
function toHeaders(fields: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    if (!name.startsWith(":")) headers.append(name, fields[i + 1] as string);
  }
  return headers;
}

function answer(exchange: HttpExchange, response: UniversalServerResponse): void {
  exchange.answer(response).catch(() => exchange.fail());
}

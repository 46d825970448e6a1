import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import { serveConnectJson, transcodesJson } from "./connect-json.js";
import { reencodeGrpcMessage } from "./grpc-message.js";
import { fromBase64, toBase64Frames, withSpecTrailers } from "./grpc-web-frames.js";
import type { JsonCodec } from "./json-codec.js";
import { type RpcProtocol, rpcProtocolOf } from "./protocol.js";
import { unimplementedResponse, unknownRpcMessage } from "./status-response.js";

/**
 * Serves every RPC that the gRPC fast path leaves, on every listener, through
 * Connect's handlers, and makes their answers read as containerd's do: unknown
 * services and methods get grpc-go's Unimplemented in the call's protocol,
 * `grpc-message` is encoded as the gRPC spec says, and gRPC-Web text (base64,
 * the default of Google's grpc-web) is carried over the binary handlers, and so is
 * Connect JSON when a codec is given (see `connect-json.ts`).
 */
export interface RpcPipeline {
  /**
   * How to answer a request, found from its method, URL and content type alone;
   * undefined when it is no RPC (left to the web app, or 404).
   */
  route(request: RpcRequestLine): RpcCall | undefined;
}

/** What the pipeline routes by. */
export type RpcRequestLine = Pick<UniversalServerRequest, "method" | "url" | "header">;

/** One routed call. */
export interface RpcCall {
  /** Whether the method takes a stream of requests (client or bidi streaming): its request stays open. */
  readonly streamsRequest: boolean;
  /** Answers the full request. */
  answer(request: UniversalServerRequest): Promise<UniversalServerResponse>;
}

/** Builds the pipeline over Connect's handlers (one per method, as a Connect router makes them). */
export function createRpcPipeline(handlers: readonly UniversalHandler[], json?: JsonCodec): RpcPipeline {
  const byPath = new Map(handlers.map((handler) => [handler.requestPath, handler]));
  const services = new Set(handlers.map((handler) => handler.service.typeName));
  return {
    route(line) {
      const protocol = rpcProtocolOf(line);
      const path = pathOf(line.url);
      const handler = byPath.get(path);
      if (handler === undefined) {
        if (protocol === undefined) return undefined;
        const message = unknownRpcMessage(path, services);
        return { streamsRequest: false, answer: async () => unimplementedResponse(protocol, message) };
      }
      const kind = handler.method.methodKind;
      const streamsRequest = kind === "client_streaming" || kind === "bidi_streaming";
      if (protocol === "grpc-web-text")
        return { streamsRequest, answer: (request) => serveGrpcWebText(handler, request) };
      return {
        streamsRequest,
        answer: (request) =>
          json !== undefined && transcodesJson(request)
            ? serveConnectJson(handler, handler.method, request, json)
            : serveWith(handler, request, protocol),
      };
    },
  };
}

async function serveWith(
  handler: UniversalHandler,
  request: UniversalServerRequest,
  protocol: RpcProtocol | undefined,
): Promise<UniversalServerResponse> {
  const response = await handler(request);
  if (protocol === "grpc") return withSpecStatus(response);
  if (protocol === "grpc-web") {
    return withSpecStatus({ ...response, ...(response.body && { body: withSpecTrailers(response.body) }) });
  }
  return response;
}

/** A gRPC-Web text call, served as the binary call it encodes and answered in base64 again. */
async function serveGrpcWebText(
  handler: UniversalHandler,
  request: UniversalServerRequest,
): Promise<UniversalServerResponse> {
  const header = new Headers(request.header);
  header.set("content-type", (header.get("content-type") ?? "").replace(/grpc-web-text/i, "grpc-web"));
  const body = request.body as AsyncIterable<Uint8Array>;
  const response = await serveWith(handler, { ...request, header, body: fromBase64(body) }, "grpc-web");
  const responseHeader = new Headers(response.header);
  const type = responseHeader.get("content-type");
  if (type !== null) responseHeader.set("content-type", type.replace(/grpc-web/i, "grpc-web-text"));
  responseHeader.delete("content-length");
  return {
    ...response,
    header: responseHeader,
    ...(response.body && { body: toBase64Frames(response.body) }),
  };
}

/**
 * The response with `grpc-message` re-encoded where Connect puts it: in the
 * headers (trailers-only) or in the trailers, which Connect fills in only once
 * the body has ended.
 */
function withSpecStatus(response: UniversalServerResponse): UniversalServerResponse {
  const rewrite = () => {
    for (const fields of [response.header, response.trailer]) {
      const message = fields?.get("grpc-message");
      if (message !== null && message !== undefined) fields?.set("grpc-message", reencodeGrpcMessage(message));
    }
  };
  rewrite();
  if (response.body === undefined) return response;
  return { ...response, body: thenRun(response.body, rewrite) };
}

async function* thenRun(body: AsyncIterable<Uint8Array>, after: () => void): AsyncIterable<Uint8Array> {
  yield* body;
  after();
}

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const path = start < 0 ? "/" : url.slice(start);
  return path.split("?", 1)[0] ?? path;
}

import type { UniversalServerRequest } from "@connectrpc/connect/protocol";

/** The RPC protocols berthd serves, told apart by the request's content type. */
export type RpcProtocol = "grpc" | "grpc-web" | "grpc-web-text" | "connect-unary" | "connect-stream";

const GRPC = /^application\/grpc(?:\+[\w.-]+)?(?:;.*)?$/i;
const GRPC_WEB = /^application\/grpc-web(?:\+[\w.-]+)?(?:;.*)?$/i;
const GRPC_WEB_TEXT = /^application\/grpc-web-text(?:\+[\w.-]+)?(?:;.*)?$/i;
const CONNECT_UNARY = /^application\/(?:json|proto)(?:;.*)?$/i;
const CONNECT_STREAM = /^application\/connect\+[\w.-]+(?:;.*)?$/i;

/**
 * The protocol of a request, or undefined when it is no RPC at all (a page of
 * the web app, a scrape): such requests are left to the static files.
 */
export function rpcProtocolOf(
  request: Pick<UniversalServerRequest, "method" | "url" | "header">,
): RpcProtocol | undefined {
  const type = request.header.get("content-type") ?? "";
  if (request.method === "GET") return isConnectGet(request.url) ? "connect-unary" : undefined;
  if (GRPC.test(type)) return "grpc";
  if (GRPC_WEB.test(type)) return "grpc-web";
  if (GRPC_WEB_TEXT.test(type)) return "grpc-web-text";
  if (CONNECT_STREAM.test(type)) return "connect-stream";
  if (CONNECT_UNARY.test(type)) return "connect-unary";
  return undefined;
}

/** A Connect unary call made with GET carries its message in the query. */
function isConnectGet(url: string): boolean {
  const query = url.indexOf("?");
  if (query < 0) return false;
  const params = new URLSearchParams(url.slice(query + 1));
  return params.has("message") && params.has("encoding");
}

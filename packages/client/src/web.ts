/**
 * Transports for browsers: Connect or gRPC-Web over `fetch`, to berthd's TCP
 * listener (usually the origin that served the page).
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";

/** Wire protocol of a browser transport. */
export type WebProtocol = "connect" | "grpc-web";

/** Options of {@link createWebTransport}. */
export interface WebTransportOptions {
  /** berthd's HTTP address, e.g. `http://127.0.0.1:8080` or `location.origin`. */
  readonly baseUrl: string;
  /** Default `connect`. */
  readonly protocol?: WebProtocol;
  /** Run around every call, first to last (e.g. to add an `authorization` header). */
  readonly interceptors?: Interceptor[];
}

/**
 * Creates a browser transport. Binary protobuf is used on the wire: containers
 * carry `google.protobuf.Any` values of types no JSON registry knows.
 */
export function createWebTransport(options: WebTransportOptions): Transport {
  const common = { baseUrl: options.baseUrl, useBinaryFormat: true, interceptors: options.interceptors ?? [] };
  return options.protocol === "grpc-web" ? createGrpcWebTransport(common) : createConnectTransport(common);
}

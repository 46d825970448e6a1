import type { ContextValues } from "@connectrpc/connect";
import type { RequestSource } from "./call-io.js";
import type { HttpHandler } from "./exchange.js";
import type { GrpcFastPath } from "./grpc-fast-path.js";
import type { RpcPipeline } from "./pipeline.js";

/** What {@link createRpcHandler} serves calls with. */
export interface RpcHandlerOptions {
  /** Plain gRPC calls with one request message, on HTTP/2. */
  readonly fastPath: GrpcFastPath;
  /** Every other call (gRPC streams, gRPC-Web, Connect), through Connect's handlers. */
  readonly pipeline: RpcPipeline;
  readonly contextValues: (request: RequestSource) => ContextValues;
  /** Requests that are no RPC: the web app, or 404. */
  readonly fallback: HttpHandler;
}

/**
 * The step of the request chain that serves RPCs, on every listener and HTTP
 * version: the gRPC fast path where it applies, Connect's handlers otherwise.
 */
export function createRpcHandler(options: RpcHandlerOptions): HttpHandler {
  return (exchange) => {
    const io = exchange.callIo();
    if (io !== undefined && options.fastPath.serve(io, exchange.method)) return;
    let header: Headers;
    try {
      header = new Headers({ "content-type": String(exchange.headers["content-type"] ?? "") });
    } catch {
      exchange.answer({ status: 400 }).catch(() => exchange.fail());
      return;
    }
    const call = options.pipeline.route({ method: exchange.method, url: `http://localhost${exchange.url}`, header });
    if (call === undefined) {
      options.fallback(exchange);
      return;
    }
    const request = exchange.universalRequest(options.contextValues(exchange), call.streamsRequest);
    call
      .answer(request)
      .then((answer) => exchange.answer(answer))
      .catch(() => exchange.fail());
  };
}

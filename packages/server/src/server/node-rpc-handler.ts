import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { constants } from "node:http2";
import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { HttpResponse } from "./http-response.js";
import type { RequestHandler } from "./listeners.js";
import type { RpcPipeline } from "./rpc-pipeline.js";

type NodeRequest = IncomingMessage | Http2ServerRequest;

/**
 * Serves the RPC pipeline on Node's HTTP servers (the TCP listener: HTTP/1.1
 * and Node's HTTP/2); requests that are no RPC go to `fallback`.
 */
export function nodeRpcHandler(
  pipeline: RpcPipeline,
  contextValues: (request: NodeRequest) => ContextValues,
  fallback: RequestHandler,
): RequestHandler {
  return (request, response) => {
    const header = new Headers();
    const type = request.headers["content-type"];
    if (type !== undefined) header.set("content-type", type);
    const method = request.method ?? "";
    const call = pipeline.route({ method, url: `http://localhost${request.url ?? "/"}`, header });
    if (call === undefined) {
      fallback(request, response);
      return;
    }
    const universal = universalRequestFromNodeRequest(
      request as never,
      response as never,
      undefined,
      contextValues(request),
    );
    call
      .answer(universal)
      .then((answer) => {
        if ("stream" in response && answer.body === undefined && answer.trailer === undefined) {
          respondHeadersOnly(response, request, answer);
        } else return universalResponseToNodeResponse(answer, response as never);
      })
      .catch(() => abort(response));
  };
}

/**
 * gRPC's trailers-only answer on Node's HTTP/2: one HEADERS frame that ends the
 * stream. Node's compatibility response would end it with an empty DATA frame
 * instead, and gRPC clients then find no status. The unread request is discarded.
 */
function respondHeadersOnly(
  response: Http2ServerResponse,
  request: NodeRequest,
  answer: UniversalServerResponse,
): void {
  const fields: Record<string, string> = { ":status": String(answer.status) };
  answer.header?.forEach((value, name) => {
    fields[name] = value;
  });
  response.stream.respond(fields, { endStream: true });
  request.resume();
}

/** Ends a response that failed half-way: the client must not take it for complete. */
function abort(response: HttpResponse): void {
  if ("stream" in response) response.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else response.destroy();
}

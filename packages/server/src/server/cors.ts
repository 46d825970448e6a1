import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { cors } from "@connectrpc/connect";
import { NAMESPACE_HEADER } from "../local/namespace.js";
import { type HttpResponse, writeHead } from "./http-response.js";
import type { RequestHandler } from "./listeners.js";

const ALLOWED_METHODS = cors.allowedMethods.join(", ");
const ALLOWED_HEADERS = [...cors.allowedHeaders, NAMESPACE_HEADER, "containerd-lease", "authorization"].join(", ");
const EXPOSED_HEADERS = cors.exposedHeaders.join(", ");

/**
 * Lets browser pages from the listed origins call the API (off when the list is
 * empty). Requests from other origins get no CORS headers, so browsers refuse
 * to read their answers; preflights from them are answered 403.
 */
export function withCors(allowedOrigins: readonly string[], handler: RequestHandler): RequestHandler {
  if (allowedOrigins.length === 0) return handler;
  const allowed = new Set(allowedOrigins);
  return (request: IncomingMessage | Http2ServerRequest, response: HttpResponse) => {
    const origin = request.headers.origin;
    const permitted = typeof origin === "string" && allowed.has(origin);
    if (permitted) {
      response.setHeader("access-control-allow-origin", origin);
      response.setHeader("vary", "Origin");
      response.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
    }
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      if (!permitted) {
        writeHead(response, 403);
        response.end();
        return;
      }
      writeHead(response, 204, {
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "7200",
      });
      response.end();
      return;
    }
    handler(request, response);
  };
}

import { LEASE_HEADER, NAMESPACE_HEADER } from "@berth/shared/headers";
import { cors } from "@connectrpc/connect";
import type { HttpHandler } from "../../rpc/exchange.js";

const ALLOWED_METHODS = cors.allowedMethods.join(", ");
const ALLOWED_HEADERS = [...cors.allowedHeaders, NAMESPACE_HEADER, LEASE_HEADER, "authorization"].join(", ");
const EXPOSED_HEADERS = cors.exposedHeaders.join(", ");

/**
 * Lets browser pages from the listed origins call the API (off when the list is
 * empty). Requests from other origins get no CORS headers, so browsers refuse
 * to read their answers; preflights from them are answered 403.
 */
export function withCors(allowedOrigins: readonly string[], handler: HttpHandler): HttpHandler {
  if (allowedOrigins.length === 0) return handler;
  const allowed = new Set(allowedOrigins);
  return (exchange) => {
    const origin = exchange.headers.origin;
    const permitted = typeof origin === "string" && allowed.has(origin);
    if (permitted) {
      exchange.responseHeaders.set("access-control-allow-origin", origin);
      exchange.responseHeaders.set("vary", "Origin");
      exchange.responseHeaders.set("access-control-expose-headers", EXPOSED_HEADERS);
    }
    if (exchange.method === "OPTIONS" && exchange.headers["access-control-request-method"] !== undefined) {
      const header = permitted
        ? new Headers({
            "access-control-allow-methods": ALLOWED_METHODS,
            "access-control-allow-headers": ALLOWED_HEADERS,
            "access-control-max-age": "7200",
          })
        : undefined;
      exchange.answer({ status: permitted ? 204 : 403, header }).catch(() => exchange.fail());
      return;
    }
    handler(exchange);
  };
}

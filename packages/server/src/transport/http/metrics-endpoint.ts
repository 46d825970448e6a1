import type { Registry } from "prom-client";
import { answerText, bodyOf, type HttpHandler } from "../../rpc/exchange.js";
import { type BearerTokens, createAccessCheck } from "../../rpc/interceptors/auth.js";

/** A scrape reads, as a health check does: the read-only token may make it too. */
const SCRAPE_AS = "/grpc.health.v1.Health/Check";

/** Options of {@link withMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  readonly registry: Registry;
  /** The TCP listener's bearer tokens; a scrape needs one of them when given. */
  readonly tokens?: BearerTokens | undefined;
}

/**
 * Serves `GET /metrics` in Prometheus' text format on TCP listeners (where
 * Prometheus scrapes; the unix socket serves the API only). With `--token-file`
 * a scrape needs the same bearer token as an API call. Every other request goes
 * on to `next`.
 */
export function withMetricsEndpoint(options: MetricsEndpointOptions, next: HttpHandler): HttpHandler {
  const check = options.tokens === undefined ? undefined : createAccessCheck(options.tokens);
  return (exchange) => {
    const url = exchange.url;
    if (!url.startsWith("/metrics") || url.split("?", 1)[0] !== "/metrics" || exchange.viaUnixSocket) {
      next(exchange);
      return;
    }
    if (exchange.method !== "GET" && exchange.method !== "HEAD") {
      answerText(exchange, 405, "method not allowed\n", { allow: "GET, HEAD" });
      return;
    }
    const authorization = exchange.headers.authorization;
    if (check?.(typeof authorization === "string" ? authorization : undefined, SCRAPE_AS) !== undefined) {
      answerText(exchange, 401, "a bearer token is required\n", { "www-authenticate": "Bearer" });
      return;
    }
    options.registry.metrics().then(
      (text) => {
        const header = new Headers({ "content-type": options.registry.contentType, "cache-control": "no-store" });
        const body = exchange.method === "HEAD" ? undefined : bodyOf(Buffer.from(text));
        exchange.answer({ status: 200, header, body }).catch(() => exchange.fail());
      },
      () => answerText(exchange, 503, "metrics are unavailable\n"),
    );
  };
}

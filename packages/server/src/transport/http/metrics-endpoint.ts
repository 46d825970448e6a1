import type { Registry } from "prom-client";
import { answerText, bodyOf, type HttpHandler } from "../../rpc/exchange.js";

/** Options of {@link withMetricsEndpoint}. */
export interface MetricsEndpointOptions {
  readonly registry: Registry;
  /** Whether a scrape with this `authorization` header may read the metrics. */
  readonly authorize: (authorization: string | undefined) => boolean;
}

/**
 * Serves `GET /metrics` in Prometheus' text format on TCP listeners (where
 * Prometheus scrapes; the unix socket serves the API only). With `--token-file`
 * a scrape needs the same bearer token as an API call. Every other request goes
 * on to `next`.
 */
export function withMetricsEndpoint(options: MetricsEndpointOptions, next: HttpHandler): HttpHandler {
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
    if (!options.authorize(typeof authorization === "string" ? authorization : undefined)) {
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

import type { Registry } from "prom-client";
import { writeHead } from "./http-response.js";
import { arrivedOnUnixSocket, type RequestHandler } from "./listeners.js";

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
export function withMetricsEndpoint(options: MetricsEndpointOptions, next: RequestHandler): RequestHandler {
  return (request, response) => {
    const url = request.url ?? "";
    if (!url.startsWith("/metrics") || url.split("?", 1)[0] !== "/metrics" || arrivedOnUnixSocket(request)) {
      next(request, response);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      writeHead(response, 405, { allow: "GET, HEAD", "content-type": "text/plain" });
      response.end("method not allowed\n");
      return;
    }
    if (!options.authorize(request.headers.authorization)) {
      writeHead(response, 401, { "www-authenticate": "Bearer", "content-type": "text/plain" });
      response.end("a bearer token is required\n");
      return;
    }
    options.registry.metrics().then(
      (text) => {
        writeHead(response, 200, { "content-type": options.registry.contentType, "cache-control": "no-store" });
        response.end(request.method === "HEAD" ? "" : text);
      },
      () => {
        writeHead(response, 503, { "content-type": "text/plain" });
        response.end("metrics are unavailable\n");
      },
    );
  };
}

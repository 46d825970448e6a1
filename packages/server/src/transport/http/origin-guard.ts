import { isIP } from "node:net";
import { answerText, type HttpExchange, type HttpHandler } from "../../rpc/exchange.js";

/** Host names every cleartext listener answers to, whatever `--allowed-host` says. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
/** `Sec-Fetch-Site` values of requests a page of another origin made. */
const FOREIGN_FETCH_SITES = new Set(["cross-site", "same-site"]);
/** A Connect or gRPC method path, `/package.Service/Method`, or the metrics page. */
const API_PATH = /^\/(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*\/[A-Za-z_]\w*(?:\?|$)|^\/metrics(?:\?|$)/;

/** Options of {@link withOriginGuard}. */
export interface OriginGuardOptions {
  /**
   * Check `Host` / `:authority` against the allowed names (DNS rebinding). Only
   * for listeners without TLS: with TLS a rebound name fails the certificate check.
   */
  readonly checkHost: boolean;
  /** Names allowed besides loopback (`--allowed-host`), with or without a port. */
  readonly allowedHosts: readonly string[];
  /** The host the listener was bound to; an IP literal other than a wildcard is allowed too. */
  readonly listenHost?: string | undefined;
  /** Origins whose pages may call the API (`--cors-origin`). */
  readonly corsOrigins: readonly string[];
}

/**
 * Refuses, before any routing, requests that a browser page of a foreign site
 * made: with a `Host` (HTTP/1.1) or `:authority` (HTTP/2) that is not one of
 * this listener's names — a page on a domain that re-resolves to 127.0.0.1 —
 * with 421, and API calls whose `Sec-Fetch-Site` says another site made them
 * (unless their `Origin` is allowed by `--cors-origin`) with 403.
 */
export function withOriginGuard(options: OriginGuardOptions, handler: HttpHandler): HttpHandler {
  const names = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map(normalizeHost)]);
  const listenHost = options.listenHost;
  if (listenHost !== undefined && isIP(listenHost) !== 0 && listenHost !== "0.0.0.0" && listenHost !== "::") {
    names.add(isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost);
  }
  const corsOrigins = new Set(options.corsOrigins);
  return (exchange) => {
    if (options.checkHost && !hostAllowed(exchange, names)) {
      answerText(exchange, 421, "misdirected request: this server does not answer to that host name\n");
      return;
    }
    const site = exchange.headers["sec-fetch-site"];
    if (typeof site === "string" && FOREIGN_FETCH_SITES.has(site) && API_PATH.test(exchange.url)) {
      const origin = exchange.headers.origin;
      if (typeof origin !== "string" || !corsOrigins.has(origin)) {
        answerText(exchange, 403, "forbidden: cross-site API calls need the page's origin in --cors-origin\n");
        return;
      }
    }
    handler(exchange);
  };
}

/**
 * Whether the request names one of `names`, with the listener's own port (or
 * none, when that port is 80).
 */
function hostAllowed(exchange: HttpExchange, names: ReadonlySet<string>): boolean {
  const authority = exchange.headers[":authority"] ?? exchange.headers.host;
  if (typeof authority !== "string") return false;
  const match = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(authority.toLowerCase());
  if (match === null) return false;
  const [, host = "", port] = match;
  const localPort = exchange.localPort;
  if (port === undefined ? localPort !== 80 : Number(port) !== localPort) return false;
  return names.has(host);
}

/** `Name`, `name:8080` and `::1` as the host part the guard compares. */
function normalizeHost(name: string): string {
  const lower = name.trim().toLowerCase();
  if (isIP(lower) === 6) return `[${lower}]`;
  const withoutPort = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(lower)?.[1];
  return withoutPort ?? lower;
}

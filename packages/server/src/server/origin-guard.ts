import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { isIP } from "node:net";
import { type HttpResponse, writeHead } from "./http-response.js";
import type { RequestHandler } from "./listeners.js";

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
export function withOriginGuard(options: OriginGuardOptions, handler: RequestHandler): RequestHandler {
  const names = new Set([...LOOPBACK_NAMES, ...options.allowedHosts.map(normalizeHost)]);
  const listenHost = options.listenHost;
  if (listenHost !== undefined && isIP(listenHost) !== 0 && listenHost !== "0.0.0.0" && listenHost !== "::") {
    names.add(isIP(listenHost) === 6 ? `[${listenHost}]` : listenHost);
  }
  const corsOrigins = new Set(options.corsOrigins);
  return (request, response) => {
    if (options.checkHost && !hostAllowed(request, names)) {
      refuse(response, 421, "misdirected request: this server does not answer to that host name");
      return;
    }
    const site = request.headers["sec-fetch-site"];
    if (typeof site === "string" && FOREIGN_FETCH_SITES.has(site) && API_PATH.test(request.url ?? "")) {
      const origin = request.headers.origin;
      if (typeof origin !== "string" || !corsOrigins.has(origin)) {
        refuse(response, 403, "forbidden: cross-site API calls need the page's origin in --cors-origin");
        return;
      }
    }
    handler(request, response);
  };
}

/**
 * Whether the request names one of `names`, with the listener's own port (or
 * none, when that port is 80).
 */
function hostAllowed(request: IncomingMessage | Http2ServerRequest, names: ReadonlySet<string>): boolean {
  const authority = request.headers[":authority"] ?? request.headers.host;
  if (typeof authority !== "string") return false;
  const match = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(authority.toLowerCase());
  if (match === null) return false;
  const [, host = "", port] = match;
  const localPort = request.socket.localPort;
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

function refuse(response: HttpResponse, status: number, text: string): void {
  writeHead(response, status, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${text}\n`);
}

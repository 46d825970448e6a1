import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { answerText, type HttpExchange, type HttpHandler } from "../../rpc/exchange.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The web app may load only its own scripts, styles and images, and talk only to
 * the origin that served it; nothing may frame it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Serves a built single-page app from `root`: files under `assets/` carry a
 * content hash in their name and are cached for a year; everything else,
 * `index.html` above all, is revalidated on every load. Unknown paths without an
 * extension get `index.html` (client-side routes); other unknown paths are 404.
 */
export function createStaticHandler(root: string): HttpHandler {
  const base = normalize(root + sep);
  // Symlinks are followed only to files inside the root: compare real paths with the root's own.
  const realBase = realpath(root).then(
    (path) => normalize(path + sep),
    () => base,
  );
  return (exchange) => {
    void serve(base, realBase, exchange).catch(() => exchange.fail());
  };
}

async function serve(base: string, realBase: Promise<string>, exchange: HttpExchange): Promise<void> {
  if (exchange.method !== "GET" && exchange.method !== "HEAD") {
    send(exchange, 405, "method not allowed", { allow: "GET, HEAD" });
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(exchange.url, "http://x").pathname);
  } catch {
    send(exchange, 400, "bad path");
    return;
  }
  const relative = pathname.endsWith("/") ? `${pathname}index.html` : pathname;
  let file = normalize(join(base, relative));
  if (!file.startsWith(base) || relative.includes("\0")) {
    send(exchange, 404, "not found");
    return;
  }
  let info = await stat(file).catch(() => undefined);
  if ((info === undefined || !info.isFile()) && extname(relative) === "") {
    file = join(base, "index.html");
    info = await stat(file).catch(() => undefined);
  }
  const real = info?.isFile() === true ? await realPathInside(file, await realBase) : undefined;
  if (info === undefined || real === undefined) {
    send(exchange, 404, "not found");
    return;
  }
  const immutable = file.startsWith(join(base, "assets") + sep);
  const header = new Headers({
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": String(info.size),
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    ...securityHeaders(),
  });
  const body = exchange.method === "HEAD" ? undefined : createReadStream(real);
  await exchange.answer({ status: 200, header, body });
}

/** The file's real path when it lies inside the root (symlinks resolved), else undefined. */
async function realPathInside(file: string, realBase: string): Promise<string | undefined> {
  const real = await realpath(file).catch(() => undefined);
  return real?.startsWith(realBase) === true ? real : undefined;
}

function securityHeaders(): Record<string, string> {
  return {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
  };
}

function send(exchange: HttpExchange, status: number, text: string, headers: Record<string, string> = {}): void {
  answerText(exchange, status, text, { ...securityHeaders(), ...headers });
}

import type http from "node:http";
import http2 from "node:http2";

/** An answer of either Node HTTP server: HTTP/1.1 (`http`) or HTTP/2's compatibility API. */
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Sends the status line and headers on either HTTP version (their `writeHead` overloads don't unify). */
export function writeHead(response: HttpResponse, status: number, headers?: http.OutgoingHttpHeaders): void {
  if (response instanceof http2.Http2ServerResponse) response.writeHead(status, headers);
  else response.writeHead(status, headers);
}

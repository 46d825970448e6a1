import type { IncomingHttpHeaders } from "node:http";

/** What a request's context values are read from. */
export interface RequestSource {
  readonly rawHeaders: readonly string[];
  readonly headers: IncomingHttpHeaders;
  /** Whether the request arrived on the unix socket, whose file mode decides who may connect. */
  readonly viaUnixSocket: boolean;
}

/** One gRPC call's request and response on an HTTP/2 stream, as the fast path sees them. */
export interface CallIo {
  readonly headers: IncomingHttpHeaders;
  readonly source: RequestSource;
  /** `:authority` and `:path`. */
  readonly authority: string;
  readonly path: string;
  onData(listener: (chunk: Buffer) => void): void;
  onEnd(listener: () => void): void;
  /** The stream is gone (answered, reset, or its connection closed). */
  onClose(listener: () => void): void;
  /**
   * The transport cut the call off for one of its limits (see `transport/h2/limits.ts`):
   * nothing more will be written; the listener may end it at once with
   * {@link abortWith}.
   */
  onLimit(listener: (reason: string) => void): void;
  /** Ends a call that was cut off: trailers, or a headers-only response if nothing was sent. */
  abortWith(headers: Readonly<Record<string, string>>, trailers: Readonly<Record<string, string>>): void;
  readonly destroyed: boolean;
  readonly headersSent: boolean;
  readonly writableNeedDrain: boolean;
  /** Resolves when more may be written, or the stream is gone. */
  drained(): Promise<void>;
  /** Response headers, `:status` 200. */
  respond(headers: Readonly<Record<string, string>>): void;
  /** A headers-only ("trailers-only") response, `:status` 200, that ends the stream. */
  respondOnly(fields: readonly string[]): void;
  /** Response headers as name, value, name, value…, `:status` 200. */
  respondFields(fields: readonly string[]): void;
  /** The last data, if any, then trailers given as name, value, name, value… */
  endFields(trailers: readonly string[]): void;
  /**
   * From now on the client may send only as much request body as was told
   * consumed with {@link consumed}, and the request may stay open as long as
   * the call runs: for a relay that passes the body on at the pace its
   * receiver takes it.
   */
  relayRequest(): void;
  /** `bytes` of the request body were passed on (see {@link relayRequest}). */
  consumed(bytes: number): void;
  write(data: Buffer): void;
  /** The last data, if any, then the trailers. */
  end(trailers: Readonly<Record<string, string>>, data?: readonly Buffer[]): void;
}

/** A request's regular headers (pseudo-headers left out, repeated names kept in order) as WHATWG Headers. */
export function requestHeaders(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (!name.startsWith(":")) headers.append(name, rawHeaders[i + 1] ?? "");
  }
  return headers;
}

import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import type { CallIo, RequestSource } from "./call-io.js";

/** An answer to a request: what Connect's universal handlers produce, and what the web app and /metrics send. */
export interface HttpAnswer {
  readonly status: number;
  readonly header?: Headers | undefined;
  readonly body?: AsyncIterable<Uint8Array> | undefined;
  readonly trailer?: Headers | undefined;
}

/**
 * One request and its response, whichever HTTP version and listener carried it:
 * berthd's own HTTP/2 (unix socket, h2c and TLS on TCP) or Node's HTTP/1.1 (TCP).
 * Every request goes through one chain of {@link HttpHandler}s over this.
 */
export interface HttpExchange extends RequestSource {
  readonly method: string;
  /** Path and query, as in the request line or `:path`. */
  readonly url: string;
  /** The port of the listener that accepted the connection; undefined on a unix socket. */
  readonly localPort: number | undefined;
  /** Headers every answer to this request carries (CORS), set by the handlers it passed. */
  readonly responseHeaders: Headers;
  /** The request as one gRPC call on an HTTP/2 stream, for the fast path; undefined on HTTP/1.1. */
  callIo(): CallIo | undefined;
  /**
   * The request as Connect's universal handlers read it; `streamsRequest` for
   * client- and bidi-streaming methods, whose request may stay open while they run.
   */
  universalRequest(contextValues: ContextValues, streamsRequest: boolean): UniversalServerRequest;
  /** Sends the answer, its body with back-pressure, then its trailers; resolves when it is all out. */
  answer(answer: HttpAnswer): Promise<void>;
  /** Ends an answer that failed: a 500 if nothing was sent, else a cut the client cannot take for complete. */
  fail(): void;
}

/** A step of the request chain: answers the exchange, or hands it to the next step. */
export type HttpHandler = (exchange: HttpExchange) => void;

/** Answers with a short text body, as the web app's and /metrics' errors are. */
export function answerText(
  exchange: HttpExchange,
  status: number,
  text: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const header = new Headers({ "content-type": "text/plain; charset=utf-8", ...headers });
  const body = exchange.method === "HEAD" ? undefined : bodyOf(Buffer.from(text));
  exchange.answer({ status, header, body }).catch(() => exchange.fail());
}

/** A body of one chunk. */
export async function* bodyOf(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  if (chunk.length > 0) yield chunk;
}

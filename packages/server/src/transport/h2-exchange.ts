import type { IncomingHttpHeaders } from "node:http";
import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import { requestHeaders } from "../rpc/call-io.js";
import type { HttpAnswer, HttpExchange } from "../rpc/exchange.js";
import { ErrorCode } from "./h2/frames.js";
import type { H2Stream } from "./h2/stream.js";
import { H2CallIo } from "./h2-call-io.js";

/** Request bytes a handler may leave unread before its stream is reset. */
const MAX_UNREAD_BYTES = 32 * 1024 * 1024;
/** How long a client that was answered early may go on sending before its stream is reset. */
const EARLY_ANSWER_GRACE_MS = 1000;

/** What a listener tells its exchanges of itself. */
export interface ListenerSide {
  readonly viaUnixSocket: boolean;
  /** The listener's port; undefined on a unix socket. */
  readonly localPort: number | undefined;
}

/** A request on a stream of berthd's own HTTP/2 transport. */
export class H2Exchange implements HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly viaUnixSocket: boolean;
  readonly localPort: number | undefined;
  readonly responseHeaders: Headers = new Headers();
  private body: RequestBody | undefined;
  private readonly abort = new AbortController();

  constructor(
    readonly h2Stream: H2Stream,
    side: ListenerSide,
  ) {
    this.method = h2Stream.headers[":method"] ?? "";
    this.url = h2Stream.headers[":path"] ?? "";
    this.viaUnixSocket = side.viaUnixSocket;
    this.localPort = side.localPort;
  }

  get headers(): IncomingHttpHeaders {
    return this.h2Stream.headers;
  }

  get rawHeaders(): readonly string[] {
    return this.h2Stream.rawHeaders;
  }

  callIo(): H2CallIo {
    return new H2CallIo(this.h2Stream, this);
  }

  universalRequest(contextValues: ContextValues, streamsRequest: boolean): UniversalServerRequest {
    if (streamsRequest) this.h2Stream.keepRequestOpen();
    const authority = this.h2Stream.headers[":authority"] ?? this.h2Stream.headers.host ?? "localhost";
    return {
      httpVersion: "2.0",
      method: this.method,
      url: `http://${authority}${this.url}`,
      header: requestHeaders(this.rawHeaders),
      body: this.requestBody(),
      signal: this.abort.signal,
      contextValues,
    };
  }

  async answer(answer: HttpAnswer): Promise<void> {
    const stream = this.h2Stream;
    const body = this.requestBody();
    const header = withExtra(answer.header, this.responseHeaders);
    // Nothing after the headers (gRPC's trailers-only answer): they end the stream, as gRPC requires.
    const headersOnly = answer.body === undefined && answer.trailer === undefined;
    stream.respond(answer.status, fields(header), headersOnly);
    if (!headersOnly) {
      if (answer.body !== undefined) {
        for await (const chunk of answer.body) {
          if (stream.destroyed) break;
          stream.write(chunk);
          if (stream.writableNeedDrain) await stream.drained();
        }
      }
      stream.end(answer.trailer === undefined ? undefined : fields(answer.trailer));
    }
    // Answered before the request ended (refused early, e.g. for its size, or an
    // unknown method): give the client a moment to finish sending, which most do at
    // once (curl reports a reset that meets its upload as an error), then tell it to
    // stop (RFC 9113 §8.1). The unread bytes stay bounded by MAX_UNREAD_BYTES.
    if (stream.localClosed && !stream.remoteClosed) {
      body.discard();
      await Promise.race([body.ended, new Promise((resolve) => setTimeout(resolve, EARLY_ANSWER_GRACE_MS).unref())]);
      if (!stream.remoteClosed) stream.reset(ErrorCode.NO_ERROR);
    }
  }

  fail(): void {
    if (!this.h2Stream.headersSent) this.h2Stream.respond(500, [], true);
    else this.h2Stream.reset(ErrorCode.INTERNAL_ERROR);
  }

  /** The request body, read from the stream's DATA frames from the first call on. */
  private requestBody(): RequestBody {
    if (this.body !== undefined) return this.body;
    const body = new RequestBody(this.h2Stream);
    this.body = body;
    this.h2Stream.onClose = (code) => {
      body.close();
      if (code !== ErrorCode.NO_ERROR) this.abort.abort();
    };
    return body;
  }
}

/**
 * A request body as the async iterable Connect reads, from the stream's DATA
 * frames. The client may send only as much as has been read (HTTP/2 flow
 * control, granted as chunks are taken), so a slow reader holds a fast sender
 * back instead of berthd holding what it sent.
 */
class RequestBody implements AsyncIterable<Uint8Array> {
  private readonly chunks: Buffer[] = [];
  private unread = 0;
  private finished = false;
  private discarding = false;
  private wake: (() => void) | undefined;
  private markEnded: () => void = () => undefined;
  /** Settles when the request has ended or the stream is gone. */
  readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  constructor(private readonly stream: H2Stream) {
    if (stream.remoteClosed) this.close();
    stream.consumeByReading();
    stream.onData = (chunk) => {
      if (this.discarding) {
        stream.consumed(chunk.length);
        return;
      }
      this.chunks.push(chunk);
      this.unread += chunk.length;
      // Flow control bounds what is unread by the stream's window; this bounds a peer that ignores it.
      if (this.unread > MAX_UNREAD_BYTES) stream.reset(ErrorCode.ENHANCE_YOUR_CALM);
      this.notify();
    };
    stream.onEnd = () => this.close();
  }

  /** The answer is complete: what the client still sends is dropped, and it may send it all. */
  discard(): void {
    this.discarding = true;
    this.stream.consumed(this.unread);
    this.chunks.length = 0;
    this.unread = 0;
  }

  /** The request ended, or the stream is gone: the body ends where it is. */
  close(): void {
    this.finished = true;
    this.markEnded();
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.unread -= chunk.length;
        this.stream.consumed(chunk.length);
        yield chunk;
        continue;
      }
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The answer's headers with those the chain added (CORS). */
function withExtra(header: Headers | undefined, extra: Headers): Headers | undefined {
  let merged = header;
  extra.forEach((value, name) => {
    merged ??= new Headers();
    if (!merged.has(name)) merged.set(name, value);
  });
  return merged;
}

function fields(headers: Headers | undefined): string[] {
  const flat: string[] = [];
  headers?.forEach((value, name) => {
    flat.push(name, value);
  });
  return flat;
}

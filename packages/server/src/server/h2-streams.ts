import type { ContextValues } from "@connectrpc/connect";
import { ErrorCode } from "../h2/frames.js";
import type { H2Stream } from "../h2/stream.js";
import { H2CallIo, type RequestSource, requestHeaders } from "./call-io.js";
import type { GrpcFastPath } from "./grpc-fast-path.js";
import type { RpcCall, RpcPipeline } from "./rpc-pipeline.js";

/** Request bytes a Connect handler may leave unread before its stream is reset. */
const MAX_UNREAD_BYTES = 32 * 1024 * 1024;
/** How long a client that was answered early may go on sending before its stream is reset. */
const EARLY_ANSWER_GRACE_MS = 1000;

/** The body of a 404, as Go's net/http writes it. */
const NOT_FOUND = Buffer.from("404 page not found\n");

/** What {@link createStreamHandler} serves calls with. */
export interface StreamHandlerOptions {
  readonly fastPath: GrpcFastPath;
  /** Every call the fast path leaves (gRPC, gRPC-Web and Connect, through Connect's handlers). */
  readonly pipeline: RpcPipeline;
  readonly contextValues: (request: RequestSource) => ContextValues;
}

/**
 * Serves the streams of berthd's own HTTP/2 transport: plain gRPC calls on the
 * fast path, every other call through Connect's handlers (as the Connect adapter
 * does on Node's HTTP/2), unknown paths with 404.
 */
export function createStreamHandler(options: StreamHandlerOptions): (stream: H2Stream) => void {
  return (stream) => {
    const method = stream.headers[":method"] ?? "";
    if (options.fastPath.serve(new H2CallIo(stream), method)) return;
    let header: Headers;
    try {
      header = requestHeaders(stream.rawHeaders);
    } catch {
      stream.respond(400, [], true);
      return;
    }
    const url = `http://${stream.headers[":authority"] ?? stream.headers.host ?? "localhost"}${stream.headers[":path"] ?? ""}`;
    const call = options.pipeline.route({ method, url, header });
    if (call === undefined) {
      stream.respond(404, ["content-type", "text/plain; charset=utf-8"]);
      stream.write(NOT_FOUND);
      stream.end();
      return;
    }
    serveUniversal(stream, call, { method, url, header }, options).catch(() => {
      if (!stream.headersSent) stream.respond(500, [], true);
      else stream.reset(ErrorCode.INTERNAL_ERROR);
    });
  };
}

async function serveUniversal(
  stream: H2Stream,
  call: RpcCall,
  line: { method: string; url: string; header: Headers },
  options: StreamHandlerOptions,
) {
  const abort = new AbortController();
  if (call.streamsRequest) stream.keepRequestOpen();
  const body = new RequestBody(stream);
  stream.onClose = (code) => {
    body.close();
    if (code !== ErrorCode.NO_ERROR) abort.abort();
  };
  const source: RequestSource = { rawHeaders: stream.rawHeaders, headers: stream.headers, viaUnixSocket: true };
  const response = await call.answer({
    httpVersion: "2.0",
    ...line,
    body,
    signal: abort.signal,
    contextValues: options.contextValues(source),
  });
  // Nothing after the headers (gRPC's trailers-only answer): they end the stream, as gRPC requires.
  const headersOnly = response.body === undefined && response.trailer === undefined;
  stream.respond(response.status, fields(response.header), headersOnly);
  if (!headersOnly) {
    if (response.body !== undefined) {
      for await (const chunk of response.body) {
        if (stream.destroyed) break;
        stream.write(chunk);
        if (stream.writableNeedDrain) await stream.drained();
      }
    }
    stream.end(response.trailer === undefined ? undefined : fields(response.trailer));
  }
  // Answered before the request ended (refused early, e.g. for its size, or an
  // unknown method): give the client a moment to finish sending, which most do at
  // once (curl reports a reset that meets its upload as an error), then tell it to
  // stop (RFC 9113 §8.1). The unread bytes stay bounded by MAX_UNREAD_BYTES.
  if (stream.localClosed && !stream.remoteClosed) {
    await Promise.race([body.ended, new Promise((resolve) => setTimeout(resolve, EARLY_ANSWER_GRACE_MS).unref())]);
    if (!stream.remoteClosed) stream.reset(ErrorCode.NO_ERROR);
  }
}

/** A request body as the async iterable Connect reads, from the stream's DATA frames. */
class RequestBody implements AsyncIterable<Uint8Array> {
  private readonly chunks: Buffer[] = [];
  private unread = 0;
  private finished = false;
  private wake: (() => void) | undefined;
  private markEnded: () => void = () => undefined;
  /** Settles when the request has ended or the stream is gone. */
  readonly ended = new Promise<void>((resolve) => {
    this.markEnded = resolve;
  });

  constructor(stream: H2Stream) {
    stream.onData = (chunk) => {
      this.chunks.push(chunk);
      this.unread += chunk.length;
      // The transport grants window as data arrives: a handler that stops reading must not hold it all.
      if (this.unread > MAX_UNREAD_BYTES) stream.reset(ErrorCode.ENHANCE_YOUR_CALM);
      this.notify();
    };
    stream.onEnd = () => {
      this.finished = true;
      this.markEnded();
      this.notify();
    };
  }

  /** The stream is gone: the body ends where it is. */
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

function fields(headers: Headers | undefined): string[] {
  const flat: string[] = [];
  headers?.forEach((value, name) => {
    flat.push(name, value);
  });
  return flat;
}

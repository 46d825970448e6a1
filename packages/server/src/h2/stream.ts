import { ErrorCode } from "./frames.js";
import { encodeHeaderBlock } from "./hpack.js";

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** Sends what the stream has queued, as far as the windows allow. */
  pump(stream: H2Stream): void;
  /** Queues a header block (HEADERS, and CONTINUATION when long) for the stream. */
  sendHeaderBlock(stream: H2Stream, block: Buffer, endStream: boolean): void;
  /** Sends RST_STREAM and forgets the stream. */
  resetStream(stream: H2Stream, code: number): void;
  /** Forgets a stream closed in both directions. */
  release(stream: H2Stream): void;
  /** Whether the socket has more buffered than it should. */
  readonly congested: boolean;
}

/** Bytes a stream may hold unsent before its writer is told to wait. */
const DRAIN_BYTES = 64 * 1024;

/**
 * One request stream of a server connection: the request's headers, its body as
 * callbacks, and the response as headers, DATA and trailers queued in order.
 */
export class H2Stream {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** Called once when the stream is gone: reset by either side, or the connection closed. */
  onClose: ((errorCode: number) => void) | undefined;

  remoteClosed = false;
  localClosed = false;
  closed = false;
  headersSent = false;
  /** Our send window for this stream (the peer's receive window). */
  sendWindow: number;
  /** Bytes the peer may still send before we grant more. */
  receiveWindow: number;
  /** Received bytes not yet granted back. */
  receivedUngranted = 0;
  /** DATA waiting for window, then the trailers. */
  readonly pending: Buffer[] = [];
  pendingBytes = 0;
  /** The trailers' header block (or an empty END_STREAM DATA when undefined) once the response ends. */
  finalBlock: Buffer | undefined;
  ending = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly owner: StreamOwner,
    readonly id: number,
    /** Request headers by name; repeated names joined with ", ", as Node does. */
    readonly headers: Readonly<Record<string, string>>,
    /** Request headers flat, [name, value, ...], pseudo-headers included, in order. */
    readonly rawHeaders: readonly string[],
    sendWindow: number,
    receiveWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindow;
  }

  /** Whether the stream can no longer send. */
  get destroyed(): boolean {
    return this.closed || this.localClosed;
  }

  /** Whether the writer should wait for {@link drained} before writing more. */
  get writableNeedDrain(): boolean {
    return this.pendingBytes > DRAIN_BYTES || this.owner.congested;
  }

  /** Resolves when the writer may write again, or the stream is gone. */
  drained(): Promise<void> {
    if (!this.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends the response headers (`:status` first). */
  respond(status: number, fields: readonly string[], endStream = false): void {
    if (this.destroyed || this.headersSent) return;
    this.headersSent = true;
    this.owner.sendHeaderBlock(this, encodeHeaderBlock([":status", String(status), ...fields]), endStream);
    if (endStream) this.finishLocal();
  }

  /** Queues response data. */
  write(data: Uint8Array): void {
    if (this.destroyed || this.ending || data.length === 0) return;
    this.pending.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length));
    this.pendingBytes += data.length;
    this.owner.pump(this);
  }

  /** Ends the response: with trailers (a HEADERS frame), or with an empty END_STREAM DATA frame. */
  end(trailers?: readonly string[]): void {
    if (this.destroyed || this.ending) return;
    this.ending = true;
    this.finalBlock = trailers === undefined ? undefined : encodeHeaderBlock(trailers);
    this.owner.pump(this);
  }

  /** Resets the stream with `code` (CANCEL by default). */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.owner.resetStream(this, code);
  }

  /** The connection sent the final frame. */
  finishLocal(): void {
    this.localClosed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
    if (this.remoteClosed) this.owner.release(this);
  }

  /** The peer ended its side. */
  receiveEnd(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.onEnd?.();
    if (this.localClosed) this.owner.release(this);
  }

  /** The stream is gone (reset, or its connection closed); `code` is the HTTP/2 error code. */
  terminate(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.notifyDrained();
    this.onClose?.(code);
  }

  /** Wakes writers waiting for room. */
  notifyDrained(): void {
    if (this.drainWaiters.length === 0 || (this.writableNeedDrain && !this.closed)) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

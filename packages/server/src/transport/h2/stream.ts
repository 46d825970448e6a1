import { ReceiveWindow } from "./flow-control.js";
import { ErrorCode } from "./frames.js";
import { encodeHeaderBlock } from "./hpack.js";
import type { LimitReason } from "./limits.js";

/** What a stream needs from its connection. */
export interface StreamOwner {
  /** Queues response data if the pending-bytes limits allow, and sends what the windows allow. */
  enqueue(stream: StreamState, data: Buffer): void;
  /** Forgets the stream's queued data. */
  dropPending(stream: StreamState): void;
  /** Sends what the stream has queued, as far as the windows allow. */
  pump(stream: StreamState): void;
  /** The peer's SETTINGS_MAX_HEADER_LIST_SIZE (unlimited until it says). */
  readonly peerMaxHeaderListSize: number;
  /** Queues a header block (HEADERS, and CONTINUATION when long) for the stream. */
  sendHeaderBlock(stream: StreamState, block: Buffer, endStream: boolean): void;
  /** Sends RST_STREAM and forgets the stream. */
  resetStream(stream: StreamState, code: number): void;
  /** Forgets a stream closed in both directions. */
  release(stream: StreamState): void;
  /** Gives the peer back `bytes` of the stream's receive window (and the connection's share). */
  grantWindow(stream: StreamState, bytes: number): void;
  /** Whether the socket has more buffered than it should. */
  readonly congested: boolean;
}

/** Bytes a stream may hold unsent before its writer is told to wait. */
const DRAIN_BYTES = 64 * 1024;

/**
 * One request stream of a server connection as its connection keeps it: its
 * state (RFC 9113 §5.1), windows, and the response queued as headers, DATA and
 * trailers in order. Only the connection (`connection.ts`) changes it; handlers
 * see it through {@link H2Stream}.
 */
export class StreamState {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  /** Called once when the stream is gone: reset by either side, or the connection closed. */
  onClose: ((errorCode: number) => void) | undefined;
  /**
   * Called when a limit cuts the stream off (see {@link cutOff}); the handler may
   * end the stream with {@link abortWith} at once. Without one, or if it does not,
   * the stream is reset with CANCEL.
   */
  onLimit: ((reason: LimitReason) => void) | undefined;

  remoteClosed = false;
  localClosed = false;
  closed = false;
  headersSent = false;
  /** Our send window for this stream (the peer's receive window). */
  sendWindow: number;
  /** What the peer may still send on this stream. */
  readonly receiveWindow: ReceiveWindow;
  /** DATA waiting for window, then the trailers. */
  readonly pending: Buffer[] = [];
  pendingBytes = 0;
  /** The trailers' header block (or an empty END_STREAM DATA when undefined) once the response ends. */
  finalBlock: Buffer | undefined;
  ending = false;
  /** Set once a limit cut the stream off: writes and ends of its handler are ignored from then on. */
  cut: LimitReason | undefined;
  /** When the HEADERS arrived. */
  readonly openedAt = Date.now();
  /** When the stream last sent DATA, or began to wait for window. */
  lastProgress = this.openedAt;
  /** Set for calls that stream requests: no request timeout applies. */
  requestMayStayOpen = false;
  /** Set when the handler grants the receive window itself, as it consumes the body ({@link H2Stream.consumeByReading}). */
  grantsOnConsumption = false;
  private drainWaiters: (() => void)[] = [];
  /** The request's content-length, when it gave one. */
  private declaredBodyLength: number | undefined;
  private receivedBodyLength = 0;

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
    this.receiveWindow = new ReceiveWindow(receiveWindow);
    this.facade = new H2Stream(this);
  }

  /** What the stream's handler sees of it. */
  readonly facade: H2Stream;

  /** The request declared a content-length: its DATA must add up to it. */
  expectBodyLength(length: number): void {
    this.declaredBodyLength = length;
  }

  /**
   * Counts `bytes` more of request body; false when they make the body longer
   * than its content-length, or when it ends (`final`) shorter than that.
   */
  acceptBodyBytes(bytes: number, final: boolean): boolean {
    this.receivedBodyLength += bytes;
    const declared = this.declaredBodyLength;
    if (declared === undefined) return true;
    return final ? this.receivedBodyLength === declared : this.receivedBodyLength <= declared;
  }

  /** Whether the stream can no longer send. */
  get destroyed(): boolean {
    return this.closed || this.localClosed || this.cut !== undefined;
  }

  /** Whether the writer should wait for {@link drained} before writing more. */
  get writableNeedDrain(): boolean {
    return this.pendingBytes > DRAIN_BYTES || this.owner.congested;
  }

  /** Resolves when the writer may write again, or the stream is gone. */
  drained(): Promise<void> {
    if (!this.writableNeedDrain || this.closed || this.cut !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Sends the response headers (`:status` first). */
  respond(status: number, fields: readonly string[], endStream = false): void {
    if (this.destroyed || this.headersSent) return;
    this.headersSent = true;
    this.sendFields([":status", String(status), ...fields], endStream);
  }

  /** Queues response data. */
  write(data: Uint8Array): void {
    if (this.destroyed || this.ending || data.length === 0) return;
    this.owner.enqueue(this, Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length));
  }

  /** Ends the response: with trailers (a HEADERS frame), or with an empty END_STREAM DATA frame. */
  end(trailers?: readonly string[]): void {
    if (this.destroyed || this.ending) return;
    this.ending = true;
    this.finalBlock = trailers === undefined ? undefined : encodeHeaderBlock(fitHeaderList(trailers, this.limit));
    this.owner.pump(this);
  }

  /**
   * The request may stay open as long as the call runs (client and bidi
   * streams): the request timeout does not apply to it.
   */
  /** The handler will tell of each body byte it consumed; the window is granted then, not on arrival. */
  grantOnConsumption(): void {
    this.grantsOnConsumption = true;
  }

  /** `bytes` of the request body were consumed: the peer may send as many more. */
  consumed(bytes: number): void {
    if (this.grantsOnConsumption && !this.closed && !this.remoteClosed) this.owner.grantWindow(this, bytes);
  }

  keepRequestOpen(): void {
    this.requestMayStayOpen = true;
  }

  /**
   * Called by the connection when a limit is hit: queued data is dropped, the
   * handler's writes are ignored from now on, and its `onLimit` may end the
   * stream with {@link abortWith}; otherwise it is reset.
   */
  cutOff(reason: LimitReason): void {
    if (this.closed || this.cut !== undefined) return;
    this.cut = reason;
    this.owner.dropPending(this);
    this.notifyDrained();
    if (this.localClosed) {
      this.reset(ErrorCode.CANCEL);
      return;
    }
    // Later, so that a handler cut off in the middle of a write is not re-entered.
    queueMicrotask(() => {
      this.onLimit?.(reason);
      if (!this.closed && !this.localClosed) this.reset(ErrorCode.CANCEL);
    });
  }

  /**
   * Ends a stream that was cut off with `trailers` (HEADERS are not flow
   * controlled, so they leave even when the peer's window is shut), or with
   * `headers` + `trailers` as one headers-only response if nothing was sent yet.
   */
  abortWith(status: number, headers: readonly string[], trailers: readonly string[]): void {
    if (this.closed || this.localClosed) return;
    this.owner.dropPending(this);
    this.ending = true;
    if (!this.headersSent) {
      this.headersSent = true;
      this.sendFields([":status", String(status), ...headers, ...trailers], true);
      return;
    }
    this.owner.sendHeaderBlock(this, encodeHeaderBlock(fitHeaderList(trailers, this.limit)), true);
    this.finishLocal();
  }

  private get limit(): number {
    return this.owner.peerMaxHeaderListSize;
  }

  private sendFields(fields: readonly string[], endStream: boolean): void {
    this.owner.sendHeaderBlock(this, encodeHeaderBlock(fitHeaderList(fields, this.limit)), endStream);
    if (endStream) this.finishLocal();
  }

  /** Resets the stream with `code` (CANCEL by default). */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.owner.resetStream(this, code);
  }

  /** The connection sent the final frame. */
  finishLocal(): void {
    this.localClosed = true;
    this.owner.dropPending(this);
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
    this.owner.dropPending(this);
    this.notifyDrained();
    this.onClose?.(code);
  }

  /** Wakes writers waiting for room. */
  notifyDrained(): void {
    if (this.drainWaiters.length === 0 || (this.writableNeedDrain && !this.closed && this.cut === undefined)) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * One request stream as its handler sees it: the request's headers, its body as
 * callbacks, and the response to send — headers, DATA with back-pressure, trailers.
 */
export class H2Stream {
  constructor(private readonly state: StreamState) {}

  /** The stream id. */
  get id(): number {
    return this.state.id;
  }

  /** Request headers by name; repeated names joined with ", ", as Node does. */
  get headers(): Readonly<Record<string, string>> {
    return this.state.headers;
  }

  /** Request headers flat, [name, value, ...], pseudo-headers included, in order. */
  get rawHeaders(): readonly string[] {
    return this.state.rawHeaders;
  }

  /** Called with each chunk of the request body. */
  set onData(listener: ((chunk: Buffer) => void) | undefined) {
    this.state.onData = listener;
  }

  /** Called once the request has ended. */
  set onEnd(listener: (() => void) | undefined) {
    this.state.onEnd = listener;
  }

  /** Called once when the stream is gone: reset by either side, or the connection closed; with the HTTP/2 error code. */
  set onClose(listener: ((errorCode: number) => void) | undefined) {
    this.state.onClose = listener;
  }

  /**
   * Called when a limit cuts the stream off; the handler may end it with
   * {@link abortWith} at once. Without one, or if it does not, the stream is reset with CANCEL.
   */
  set onLimit(listener: ((reason: LimitReason) => void) | undefined) {
    this.state.onLimit = listener;
  }

  /** Whether the client has ended its request. */
  get remoteClosed(): boolean {
    return this.state.remoteClosed;
  }

  /** Whether the response has ended. */
  get localClosed(): boolean {
    return this.state.localClosed;
  }

  get headersSent(): boolean {
    return this.state.headersSent;
  }

  /** Whether the stream can no longer send. */
  get destroyed(): boolean {
    return this.state.destroyed;
  }

  /** Whether the writer should wait for {@link drained} before writing more. */
  get writableNeedDrain(): boolean {
    return this.state.writableNeedDrain;
  }

  /** Resolves when the writer may write again, or the stream is gone. */
  drained(): Promise<void> {
    return this.state.drained();
  }

  /** Sends the response headers (`:status` first); `endStream` for a response of headers only. */
  respond(status: number, fields: readonly string[], endStream = false): void {
    this.state.respond(status, fields, endStream);
  }

  /** Queues response data. */
  write(data: Uint8Array): void {
    this.state.write(data);
  }

  /** Ends the response: with trailers, or with an empty END_STREAM DATA frame. */
  end(trailers?: readonly string[]): void {
    this.state.end(trailers);
  }

  /**
   * From now on the peer may send only as much request body as the handler
   * has consumed, told with {@link consumed}: HTTP/2 flow control then holds a
   * fast sender back instead of berthd buffering what it sends.
   */
  consumeByReading(): void {
    this.state.grantOnConsumption();
  }

  /** `bytes` of the request body were consumed (see {@link consumeByReading}). */
  consumed(bytes: number): void {
    this.state.consumed(bytes);
  }

  /** The request may stay open as long as the call runs (client and bidi streams): no request timeout. */
  keepRequestOpen(): void {
    this.state.keepRequestOpen();
  }

  /** Ends a stream that a limit cut off, with trailers (or headers and trailers if nothing was sent). */
  abortWith(status: number, headers: readonly string[], trailers: readonly string[]): void {
    this.state.abortWith(status, headers, trailers);
  }

  /** Resets the stream with `code` (CANCEL by default). */
  reset(code?: number): void {
    this.state.reset(code);
  }
}

/** Per-field overhead of a header list's size (RFC 9113 §6.5.2). */
const FIELD_OVERHEAD = 32;

/**
 * `fields` made to fit the peer's SETTINGS_MAX_HEADER_LIST_SIZE: the longest
 * value (a long error message, in practice) is cut, never past a percent
 * escape. A list that cannot fit even so is returned as is, and the peer refuses it.
 */
export function fitHeaderList(fields: readonly string[], limit: number): readonly string[] {
  let size = 0;
  let longest = -1;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    size += (fields[i] as string).length + value.length + FIELD_OVERHEAD;
    if (longest < 0 || value.length > (fields[longest] as string).length) longest = i + 1;
  }
  if (size <= limit || longest < 0) return fields;
  const value = fields[longest] as string;
  const keep = value.length - (size - limit);
  if (keep < 0) return fields;
  const fitted = [...fields];
  fitted[longest] = value.slice(0, keep).replace(/%[0-9A-Fa-f]?$/, "");
  return fitted;
}

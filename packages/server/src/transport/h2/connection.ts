import type net from "node:net";
import { type ClosedBy, ClosedStreams } from "./closed-streams.js";
import { H2ConnectionError } from "./errors.js";
import { FloodGuard } from "./flood-guard.js";
import { ReceiveWindow } from "./flow-control.js";
import { FrameReader } from "./frame-reader.js";
import { FrameWriter } from "./frame-writer.js";
import {
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameType,
  frame,
  MAX_WINDOW,
  Setting,
  settingsPayload,
  uint32,
} from "./frames.js";
import { type HeaderBlock, HeaderBlockReader } from "./header-block.js";
import { HpackDecoder } from "./hpack.js";
import type { H2Limits, LimitEvent, LimitReason, ServerBudget } from "./limits.js";
import { PeerSettings } from "./peer-settings.js";
import { parseRequestHeaders } from "./request-headers.js";
import { SendScheduler } from "./send-scheduler.js";
import { type H2Stream, type StreamOwner, StreamState } from "./stream.js";

/** Closed streams whose ending is remembered, to tell a late frame from a client's protocol error. */
const REMEMBERED_CLOSED_STREAMS = 1024;

/**
 * The server side of one HTTP/2 connection on a socket: the stream state
 * machine (RFC 9113 §5.1) over the frames {@link FrameReader} reads, each new
 * request handed to `onStream`, the limits that defend the server, and the
 * timeouts. Sending is {@link SendScheduler}'s (flow control) and
 * {@link FrameWriter}'s (one write per turn of the event loop); framing,
 * header blocks, settings, windows and flood rates have modules of their own.
 * What stays here is the state machine, whose frame handlers all read and
 * change the same stream table and connection state.
 */
export class H2Connection implements StreamOwner {
  private readonly reader: FrameReader;
  private readonly streams = new Map<number, StreamState>();
  private readonly closedStreams = new ClosedStreams(REMEMBERED_CLOSED_STREAMS);
  private readonly peer = new PeerSettings();
  private settingsSeen = false;
  private lastStreamId = 0;
  private readonly receiveWindow: ReceiveWindow;
  private readonly writer: FrameWriter;
  private readonly sender: SendScheduler;
  private readonly headerBlocks: HeaderBlockReader;
  private goingAway = false;
  private closed = false;
  private readonly floods: FloodGuard;
  private readonly createdAt = Date.now();
  /** Since when no stream is open; undefined while one is. */
  private idleSince: number | undefined = this.createdAt;
  private readonly limits: H2Limits;
  /** Resolves once the socket is closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly onStream: (stream: H2Stream) => void,
    budget: ServerBudget,
    private readonly report: (event: LimitEvent) => void = () => undefined,
  ) {
    const options = budget.limits;
    this.limits = options;
    this.floods = new FloodGuard(budget, (what) => this.report({ reason: "flood", detail: what }));
    const decoder = new HpackDecoder({ maxHeaderListSize: options.maxHeaderListSize });
    this.headerBlocks = new HeaderBlockReader(decoder, options.maxHeaderListSize);
    this.receiveWindow = new ReceiveWindow(options.connectionWindow);
    this.reader = new FrameReader((type, flags, id, payload) => this.onFrame(type, flags, id, payload));
    this.writer = new FrameWriter(socket, () => this.onSocketDrain());
    this.sender = new SendScheduler(
      this.writer,
      this.peer,
      budget,
      options,
      (stream, reason) => this.cut(stream, reason),
      () => this.floods.sent(),
    );
    this.done = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => this.terminate(ErrorCode.INTERNAL_ERROR));
    socket.on("close", () => this.terminate(ErrorCode.CANCEL));
    this.queue(
      frame(
        FrameType.SETTINGS,
        0,
        0,
        settingsPayload([
          [Setting.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams],
          [Setting.INITIAL_WINDOW_SIZE, options.streamWindow],
          [Setting.MAX_HEADER_LIST_SIZE, options.maxHeaderListSize],
        ]),
      ),
    );
    if (options.connectionWindow > DEFAULT_WINDOW) {
      this.queue(frame(FrameType.WINDOW_UPDATE, 0, 0, uint32(options.connectionWindow - DEFAULT_WINDOW)));
    }
  }

  /** The client's SETTINGS_MAX_HEADER_LIST_SIZE: unlimited until it says (RFC 9113 §6.5.2). */
  get peerMaxHeaderListSize(): number {
    return this.peer.maxHeaderListSize;
  }

  /** Whether the socket holds more unsent bytes than it should. */
  get congested(): boolean {
    return this.writer.congested;
  }

  /**
   * GOAWAY: no new streams; the open ones finish, then the connection closes.
   * Resolves when it has closed.
   */
  shutdown(): Promise<void> {
    if (!this.goingAway && !this.closed) {
      this.goingAway = true;
      this.queue(this.goaway(ErrorCode.NO_ERROR));
      this.closeWhenIdle();
    }
    return this.done;
  }

  /** Closes at once, resetting every open stream. */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- input ----

  private receive(chunk: Buffer): void {
    try {
      this.reader.push(chunk, () => this.closed);
    } catch (error) {
      if (error instanceof H2ConnectionError) this.fail(error.code);
      else this.fail(ErrorCode.INTERNAL_ERROR);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (!this.settingsSeen) {
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "the first frame must be SETTINGS");
      }
      this.settingsSeen = true;
    }
    if (this.headerBlocks.inProgress && type !== FrameType.CONTINUATION) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "header block interrupted");
    }
    this.floods.count(type, flags, payload);
    switch (type) {
      case FrameType.DATA:
        this.onData(flags, id, payload);
        return;
      case FrameType.HEADERS:
        this.onHeaders(flags, id, payload);
        return;
      case FrameType.PRIORITY:
        this.onPriority(id, payload);
        return;
      case FrameType.RST_STREAM:
        this.onReset(id, payload);
        return;
      case FrameType.SETTINGS:
        this.onSettings(flags, id, payload);
        return;
      case FrameType.PING:
        if (id !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & Flag.ACK) !== 0) return;
        this.queue(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        this.goingAway = true;
        this.closeWhenIdle();
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(id, payload);
        return;
      case FrameType.CONTINUATION:
        this.onContinuation(flags, id, payload);
        return;
      case FrameType.PUSH_PROMISE:
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1).
        return;
    }
  }

  private onPriority(id: number, payload: Buffer): void {
    if (id === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
    if (payload.length !== 5) {
      this.resetOrRefuse(id, ErrorCode.FRAME_SIZE_ERROR);
      return;
    }
    // Priorities are advice berthd does not follow (RFC 9113 §5.3.2), but a stream cannot depend on itself.
    if ((payload.readUInt32BE(0) & 0x7fffffff) === id) this.resetOrRefuse(id, ErrorCode.PROTOCOL_ERROR);
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    if (!this.receiveWindow.receive(payload.length)) {
      throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window exceeded");
    }
    this.grant(0, this.receiveWindow, payload.length);
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
      if (this.closedStreams.closedBy(id) === "peer") {
        throw new H2ConnectionError(ErrorCode.STREAM_CLOSED, "DATA on a stream the client closed");
      }
      // A stream berthd reset or forgot long ago: request bytes still in flight are dropped.
      return;
    }
    if (stream.remoteClosed) {
      this.resetStream(stream, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (!stream.receiveWindow.receive(payload.length)) {
      this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    const data = this.unpad(flags, payload);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    // A body longer or shorter than its content-length is malformed (RFC 9113 §8.1.1).
    if (!stream.acceptBodyBytes(data.length, endStream)) {
      this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    // Padding is not body: it is granted back at once. The body is granted now, or as it is consumed.
    const granted = stream.grantsOnConsumption ? payload.length - data.length : payload.length;
    if (!endStream && granted > 0) this.grant(stream.id, stream.receiveWindow, granted);
    if (data.length > 0) stream.onData?.(data);
    if (endStream) stream.receiveEnd();
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    if (id === 0 || id % 2 === 0) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on a server stream id");
    }
    const block = this.headerBlocks.headers(id, flags, this.unpad(flags, payload));
    if (block !== undefined) this.onHeaderBlock(block);
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    const block = this.headerBlocks.continuation(id, flags, payload);
    if (block !== undefined) this.onHeaderBlock(block);
  }

  /** A whole header block: a new request, a request's trailers, or a protocol error. */
  private onHeaderBlock(decoded: HeaderBlock): void {
    const { streamId: id, endStream, selfDependent } = decoded;
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      // Request trailers: only as the end of the request, and not after it.
      if (existing.remoteClosed) this.resetStream(existing, ErrorCode.STREAM_CLOSED);
      else if (!endStream || !existing.acceptBodyBytes(0, true)) this.resetStream(existing, ErrorCode.PROTOCOL_ERROR);
      else existing.receiveEnd();
      return;
    }
    if (id <= this.lastStreamId) {
      const closedBy = this.closedStreams.closedBy(id);
      // Trailers of a stream berthd reset are dropped; anything else reuses a closed stream id.
      if (closedBy === "local") return;
      if (closedBy === "peer") throw new H2ConnectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "stream id lower than an earlier one");
    }
    this.lastStreamId = id;
    if (selfDependent) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    if (this.goingAway) {
      this.refuse(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    if (this.streams.size >= this.limits.maxConcurrentStreams) {
      this.refuse(id, ErrorCode.REFUSED_STREAM);
      return;
    }
    if (decoded.oversized) {
      const stream = new StreamState(this, id, {}, [], this.peer.initialWindow, this.limits.streamWindow);
      this.streams.set(id, stream);
      this.idleSince = undefined;
      stream.respond(431, [], true);
      if (endStream) stream.receiveEnd();
      return;
    }
    const headers = parseRequestHeaders(decoded.fields);
    if (headers === undefined) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const declaredLength = headers["content-length"];
    const stream = new StreamState(
      this,
      id,
      headers,
      decoded.fields,
      this.peer.initialWindow,
      this.limits.streamWindow,
    );
    if (declaredLength !== undefined) stream.expectBodyLength(Number(declaredLength));
    if (endStream && !stream.acceptBodyBytes(0, true)) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.streams.set(id, stream);
    this.idleSince = undefined;
    this.onStream(stream.facade);
    if (endStream) stream.receiveEnd();
  }

  private onReset(id: number, payload: Buffer): void {
    if (id === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (id > this.lastStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    this.forget(stream, "peer");
    stream.terminate(payload.readUInt32BE(0));
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if ((flags & Flag.ACK) !== 0) {
      if (payload.length !== 0) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      return;
    }
    const windowDelta = this.peer.apply(payload);
    for (const stream of this.streams.values()) {
      stream.sendWindow += windowDelta;
      if (stream.sendWindow > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
    }
    this.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
    for (const stream of this.streams.values()) this.pump(stream);
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4)
      throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "zero WINDOW_UPDATE");
      this.sender.growWindow(increment);
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId)
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
      return;
    }
    if (increment === 0) {
      this.resetStream(stream, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) {
      this.resetStream(stream, ErrorCode.FLOW_CONTROL_ERROR);
      return;
    }
    this.pump(stream);
  }

  private unpad(flags: number, payload: Buffer): Buffer {
    if ((flags & Flag.PADDED) === 0) return payload;
    const padding = payload[0];
    if (padding === undefined || padding >= payload.length) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
    }
    return payload.subarray(1, payload.length - padding);
  }

  /** Releases `bytes` of a receive window (stream 0: the connection's), with a WINDOW_UPDATE when due. */
  private grant(streamId: number, window: ReceiveWindow, bytes: number): void {
    const increment = window.release(bytes);
    if (increment > 0) this.queue(frame(FrameType.WINDOW_UPDATE, 0, streamId, uint32(increment)));
  }

  // ---- output: the StreamOwner side ----

  enqueue(stream: StreamState, data: Buffer): void {
    this.sender.enqueue(stream, data);
  }

  dropPending(stream: StreamState): void {
    this.sender.dropPending(stream);
  }

  pump(stream: StreamState): void {
    this.sender.pump(stream);
  }

  sendHeaderBlock(stream: StreamState, block: Buffer, endStream: boolean): void {
    this.sender.sendHeaderBlock(stream, block, endStream);
  }

  /** Cuts a stream off for a limit, and says so. */
  private cut(stream: StreamState, reason: LimitReason): void {
    this.report({ reason, streamId: stream.id, path: stream.headers[":path"] ?? "" });
    stream.cutOff(reason);
  }

  resetStream(stream: StreamState, code: number): void {
    this.queue(frame(FrameType.RST_STREAM, 0, stream.id, uint32(code)));
    this.forget(stream);
    stream.terminate(code);
  }

  release(stream: StreamState): void {
    this.forget(stream);
    stream.terminate(ErrorCode.NO_ERROR);
  }

  grantWindow(stream: StreamState, bytes: number): void {
    this.grant(stream.id, stream.receiveWindow, bytes);
  }

  private forget(stream: StreamState, closedBy: ClosedBy = stream.remoteClosed ? "peer" : "local"): void {
    this.streams.delete(stream.id);
    this.closedStreams.remember(stream.id, closedBy);
    this.sender.forget(stream);
    if (this.streams.size === 0) this.idleSince = Date.now();
    if (this.goingAway) this.closeWhenIdle();
  }

  /** Resets a stream berthd never served. */
  private refuse(id: number, code: number): void {
    this.queue(frame(FrameType.RST_STREAM, 0, id, uint32(code)));
    this.closedStreams.remember(id, "local");
  }

  /** A stream error on `id`, whether it is open or not. */
  private resetOrRefuse(id: number, code: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) this.refuse(id, code);
    else this.resetStream(stream, code);
  }

  private queue(...buffers: Buffer[]): void {
    if (!this.closed) this.writer.queue(...buffers);
  }

  private onSocketDrain(): void {
    this.sender.pumpBlocked();
    for (const stream of this.streams.values()) stream.notifyDrained();
  }

  /**
   * Applies the timeouts, at the server's tick: handshake, idle connection,
   * congested socket, and per stream the request timeout and send stalls.
   */
  sweep(now: number): void {
    if (this.closed) return;
    const limits = this.limits;
    if (!this.settingsSeen && now - this.createdAt > limits.handshakeTimeoutMs) {
      this.report({ reason: "handshake timeout" });
      this.fail(ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const congestedSince = this.writer.congestedSince;
    if (congestedSince !== undefined && now - congestedSince > limits.sendStallTimeoutMs) {
      this.report({ reason: "socket stalled" });
      this.socket.destroy();
      return;
    }
    if (this.idleSince !== undefined && now - this.idleSince > limits.idleTimeoutMs && !this.goingAway) {
      this.report({ reason: "idle" });
      void this.shutdown();
      return;
    }
    for (const stream of [...this.streams.values()]) {
      if (!stream.remoteClosed && !stream.requestMayStayOpen && now - stream.openedAt > limits.requestTimeoutMs) {
        this.cut(stream, "request timeout");
      } else if (stream.pendingBytes > 0 && now - stream.lastProgress > limits.sendStallTimeoutMs) {
        this.cut(stream, "send stalled");
      }
    }
  }

  private goaway(code: number): Buffer {
    const payload = Buffer.allocUnsafe(8);
    payload.writeUInt32BE(this.lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    return frame(FrameType.GOAWAY, 0, 0, payload);
  }

  private closeWhenIdle(): void {
    if (this.streams.size > 0 || this.closed) return;
    setImmediate(() => {
      this.writer.flush();
      this.socket.end();
    });
  }

  /** A connection error: GOAWAY with `code`, then close. */
  private fail(code: number): void {
    if (this.closed) return;
    this.queue(this.goaway(code));
    this.writer.flush();
    this.closed = true;
    this.socket.end();
    this.terminate(code);
  }

  private terminate(code: number): void {
    this.closed = true;
    this.writer.discard();
    this.idleSince = undefined;
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.sender.clear();
    for (const stream of streams) stream.terminate(code);
  }
}

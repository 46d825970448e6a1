import type net from "node:net";
import { H2ConnectionError } from "./errors.js";
import { ReceiveWindow } from "./flow-control.js";
import { FrameReader } from "./frame-reader.js";
import { FrameWriter } from "./frame-writer.js";
import {
  CLIENT_PREFACE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FrameType,
  frame,
  frameHeader,
  MAX_WINDOW,
  Setting,
  settingsPayload,
  uint32,
} from "./frames.js";
import { HeaderBlockReader } from "./header-block.js";
import { encodeHeaderBlock, HpackDecoder } from "./hpack.js";
import { PeerSettings } from "./peer-settings.js";

/** What a client stream tells of its response. */
export interface ClientStreamEvents {
  /** The response's headers (`:status` first); `endStream` for a headers-only answer. */
  onHeaders(fields: string[], endStream: boolean): void;
  /** Response body bytes; tell them {@link H2ClientStream.consumed} once passed on. */
  onData(chunk: Buffer): void;
  /** The trailers, which end the response. */
  onTrailers(fields: string[]): void;
  /**
   * The stream is over: `code` NO_ERROR once both sides ended it, else the
   * RST_STREAM code (CANCEL when the connection was lost), with why.
   */
  onClose(code: number, why: string): void;
}

/** Options of {@link H2ClientConnection}. */
export interface H2ClientOptions {
  /** Each stream's receive window (default 4 MiB). */
  readonly streamWindow?: number;
  /** The connection's receive window (default 32 MiB). */
  readonly connectionWindow?: number;
  /** The largest response header list accepted (default 64 KiB). */
  readonly maxHeaderListSize?: number;
}

/**
 * The client side of one HTTP/2 connection (RFC 9113), on berthd's own
 * framing, HPACK and flow control: what the gateway speaks to containerd.
 * Requests are sent as HEADERS (+ CONTINUATION) and DATA within the server's
 * windows; responses come back through each stream's {@link ClientStreamEvents},
 * and the receive windows are granted back as the caller consumes the bytes,
 * so a slow reader holds the server back instead of berthd buffering.
 */
export class H2ClientConnection {
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private readonly peer = new PeerSettings();
  private readonly headerBlocks: HeaderBlockReader;
  private readonly streams = new Map<number, H2ClientStream>();
  private readonly blocked = new Set<H2ClientStream>();
  private readonly waiting: (() => void)[] = [];
  private readonly receiveWindow: ReceiveWindow;
  private readonly streamWindow: number;
  private nextStreamId = 1;
  private sendWindow = DEFAULT_WINDOW;
  private goneWhy: string | undefined;
  /** Told once when the connection can take no more requests (GOAWAY, close, error). */
  onGone: (why: string) => void = () => undefined;

  constructor(
    private readonly socket: net.Socket,
    options: H2ClientOptions = {},
  ) {
    this.streamWindow = options.streamWindow ?? 4 * 1024 * 1024;
    const connectionWindow = options.connectionWindow ?? 32 * 1024 * 1024;
    const maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
    this.receiveWindow = new ReceiveWindow(connectionWindow);
    this.headerBlocks = new HeaderBlockReader(new HpackDecoder({ maxHeaderListSize }), maxHeaderListSize);
    this.reader = new FrameReader((type, flags, id, payload) => this.onFrame(type, flags, id, payload), true);
    this.writer = new FrameWriter(socket, () => undefined);
    socket.setNoDelay?.(true);
    this.writer.queue(
      CLIENT_PREFACE,
      frame(
        FrameType.SETTINGS,
        0,
        0,
        settingsPayload([
          [Setting.ENABLE_PUSH, 0],
          [Setting.INITIAL_WINDOW_SIZE, this.streamWindow],
          [Setting.MAX_HEADER_LIST_SIZE, maxHeaderListSize],
        ]),
      ),
      frame(FrameType.WINDOW_UPDATE, 0, 0, uint32(connectionWindow - DEFAULT_WINDOW)),
    );
    socket.on("data", (chunk: Buffer) => {
      try {
        this.reader.push(chunk, () => this.goneWhy !== undefined && this.streams.size === 0);
      } catch (error) {
        const code = error instanceof H2ConnectionError ? error.code : ErrorCode.INTERNAL_ERROR;
        this.writer.queue(frame(FrameType.GOAWAY, 0, 0, Buffer.concat([uint32(0), uint32(code)])));
        this.writer.flush();
        this.lose(`protocol error from the server: ${(error as Error).message}`);
        socket.end();
      }
    });
    socket.on("error", (error) => this.lose(error.message));
    socket.on("close", () => this.lose("the connection closed"));
  }

  /** Whether new requests may be sent. */
  get open(): boolean {
    return this.goneWhy === undefined;
  }

  /**
   * Starts a request: `fields` are its header fields, pseudo-headers first
   * (flat: name, value, …). Waits for a free stream slot when the server's
   * SETTINGS_MAX_CONCURRENT_STREAMS is reached.
   */
  request(fields: readonly string[], events: ClientStreamEvents): H2ClientStream {
    const stream = new H2ClientStream(this, events, this.peer.initialWindow, this.streamWindow);
    if (this.goneWhy !== undefined) {
      const why = this.goneWhy;
      queueMicrotask(() => stream.closed(ErrorCode.REFUSED_STREAM, why));
      return stream;
    }
    const start = () => {
      if (stream.isClosed) return;
      if (this.goneWhy !== undefined) {
        stream.closed(ErrorCode.REFUSED_STREAM, this.goneWhy);
        return;
      }
      stream.id = this.nextStreamId;
      this.nextStreamId += 2;
      this.streams.set(stream.id, stream);
      this.sendHeaders(stream.id, fields, false);
      this.pump(stream);
    };
    if (this.streams.size < this.peer.maxConcurrentStreams) start();
    else this.waiting.push(start);
    return stream;
  }

  /** Ends the connection: GOAWAY, then the socket. Open streams end with CANCEL. */
  close(): void {
    if (this.goneWhy === undefined) {
      this.writer.queue(frame(FrameType.GOAWAY, 0, 0, Buffer.concat([uint32(0), uint32(ErrorCode.NO_ERROR)])));
      this.writer.flush();
    }
    this.lose("berthd closed the connection");
    this.socket.end();
  }

  /** @internal Sends what a stream has queued, as far as the windows allow. */
  pump(stream: H2ClientStream): void {
    if (stream.id === 0 || stream.isClosed) return;
    const maxFrame = this.peer.maxFrame;
    while (stream.pending.length > 0) {
      const next = stream.pending[0] as PendingData;
      const room = Math.min(stream.sendWindow, this.sendWindow, maxFrame);
      if (next.data.length > 0 && room <= 0) {
        this.blocked.add(stream);
        return;
      }
      const size = Math.min(room, next.data.length);
      const last = size === next.data.length;
      const endStream = last && stream.pending.length === 1 && stream.ending;
      this.writer.queue(
        frameHeader(size, FrameType.DATA, endStream ? Flag.END_STREAM : 0, stream.id),
        next.data.subarray(0, size),
      );
      stream.sendWindow -= size;
      this.sendWindow -= size;
      if (last) {
        stream.pending.shift();
        next.sent?.();
        if (endStream) stream.localEnded();
      } else {
        next.data = next.data.subarray(size);
      }
    }
    this.blocked.delete(stream);
    if (stream.ending && !stream.endSent) {
      this.writer.queue(frame(FrameType.DATA, Flag.END_STREAM, stream.id));
      stream.localEnded();
    }
  }

  /** @internal Resets a stream from this side. */
  reset(stream: H2ClientStream, code: number): void {
    if (stream.id !== 0 && this.streams.has(stream.id)) {
      this.writer.queue(frame(FrameType.RST_STREAM, 0, stream.id, uint32(code)));
    }
    this.forget(stream);
  }

  /** @internal `bytes` of a stream's response were consumed: grant them back. */
  release(stream: H2ClientStream, bytes: number): void {
    const forConnection = this.receiveWindow.release(bytes);
    if (forConnection > 0) this.writer.queue(frame(FrameType.WINDOW_UPDATE, 0, 0, uint32(forConnection)));
    if (stream.remoteEnded || stream.isClosed) return;
    const forStream = stream.receiveWindow.release(bytes);
    if (forStream > 0) this.writer.queue(frame(FrameType.WINDOW_UPDATE, 0, stream.id, uint32(forStream)));
  }

  /** @internal The stream is over on both sides, or reset. */
  forget(stream: H2ClientStream): void {
    this.blocked.delete(stream);
    if (stream.id === 0 || !this.streams.delete(stream.id)) return;
    const next = this.waiting.shift();
    if (next !== undefined) next();
  }

  private sendHeaders(streamId: number, fields: readonly string[], endStream: boolean): void {
    const block = encodeHeaderBlock(fields);
    const maxFrame = this.peer.maxFrame;
    const endFlag = endStream ? Flag.END_STREAM : 0;
    if (block.length <= maxFrame) {
      this.writer.queue(frameHeader(block.length, FrameType.HEADERS, Flag.END_HEADERS | endFlag, streamId), block);
      return;
    }
    this.writer.queue(frameHeader(maxFrame, FrameType.HEADERS, endFlag, streamId), block.subarray(0, maxFrame));
    for (let at = maxFrame; at < block.length; at += maxFrame) {
      const part = block.subarray(at, at + maxFrame);
      const last = at + maxFrame >= block.length;
      this.writer.queue(frameHeader(part.length, FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, streamId), part);
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.headerBlocks.inProgress && type !== FrameType.CONTINUATION) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION");
    }
    switch (type) {
      case FrameType.DATA:
        this.onData(flags, streamId, payload);
        return;
      case FrameType.HEADERS:
        this.onHeaderBlock(this.headerBlocks.headers(streamId, flags, unpadded(flags, payload)));
        return;
      case FrameType.CONTINUATION:
        this.onHeaderBlock(this.headerBlocks.continuation(streamId, flags, payload));
        return;
      case FrameType.RST_STREAM: {
        const stream = this.streams.get(streamId);
        if (stream === undefined) return;
        this.forget(stream);
        stream.closed(payload.length >= 4 ? payload.readUInt32BE(0) : ErrorCode.PROTOCOL_ERROR, "reset by the server");
        return;
      }
      case FrameType.SETTINGS:
        this.onSettings(flags, payload);
        return;
      case FrameType.PING:
        if ((flags & Flag.ACK) === 0) this.writer.queue(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        this.onGoaway(payload);
        return;
      case FrameType.WINDOW_UPDATE:
        this.onWindowUpdate(streamId, payload);
        return;
      default:
        // PRIORITY, PUSH_PROMISE (refused by ENABLE_PUSH 0) and unknown types carry nothing a client needs.
        return;
    }
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (!this.receiveWindow.receive(payload.length)) {
      throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection window");
    }
    const stream = this.streams.get(streamId);
    const data = unpadded(flags, payload);
    if (stream === undefined || stream.remoteEnded) {
      // A stream already reset or forgotten: its bytes still count, and are granted back at once.
      const increment = this.receiveWindow.release(payload.length);
      if (increment > 0) this.writer.queue(frame(FrameType.WINDOW_UPDATE, 0, 0, uint32(increment)));
      return;
    }
    if (!stream.receiveWindow.receive(payload.length)) {
      this.reset(stream, ErrorCode.FLOW_CONTROL_ERROR);
      stream.closed(ErrorCode.FLOW_CONTROL_ERROR, "the server overran the stream's window");
      return;
    }
    // Padding is never handed on: it is consumed here.
    if (payload.length > data.length) this.release(stream, payload.length - data.length);
    if (data.length > 0) stream.events.onData(data);
    if ((flags & Flag.END_STREAM) !== 0) stream.remoteEnd();
  }

  private onHeaderBlock(block: ReturnType<HeaderBlockReader["headers"]>): void {
    if (block === undefined) return;
    const stream = this.streams.get(block.streamId);
    if (stream === undefined || stream.remoteEnded) return;
    if (!stream.headersSeen) {
      // Informational answers (1xx) come before the real one.
      if (block.fields[0] === ":status" && (block.fields[1] ?? "").startsWith("1")) return;
      stream.headersSeen = true;
      stream.events.onHeaders(block.fields, block.endStream);
    } else {
      stream.events.onTrailers(block.fields);
    }
    if (block.endStream) stream.remoteEnd();
  }

  private onSettings(flags: number, payload: Buffer): void {
    if ((flags & Flag.ACK) !== 0) return;
    const delta = this.peer.apply(payload);
    this.writer.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
    if (delta !== 0) {
      for (const stream of this.streams.values()) stream.sendWindow += delta;
    }
    for (const stream of [...this.streams.values()]) this.pump(stream);
    while (this.waiting.length > 0 && this.streams.size < this.peer.maxConcurrentStreams) this.waiting.shift()?.();
  }

  private onGoaway(payload: Buffer): void {
    const lastStreamId = payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
    const code = payload.length >= 8 ? payload.readUInt32BE(4) : ErrorCode.NO_ERROR;
    const why = `the server sent GOAWAY (code ${code})`;
    this.goneWhy ??= why;
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) {
        this.forget(stream);
        stream.closed(ErrorCode.REFUSED_STREAM, why);
      }
    }
    for (const start of this.waiting.splice(0)) start();
    this.onGone(why);
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    const increment = payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
    if (streamId === 0) {
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window too large");
      for (const stream of [...this.blocked]) this.pump(stream);
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    stream.sendWindow += increment;
    this.pump(stream);
  }

  /** The connection is gone: every stream ends with CANCEL and `why`. */
  private lose(why: string): void {
    const first = this.goneWhy === undefined;
    this.goneWhy ??= why;
    this.writer.discard();
    for (const stream of [...this.streams.values()]) {
      this.forget(stream);
      stream.closed(ErrorCode.CANCEL, why);
    }
    for (const start of this.waiting.splice(0)) start();
    if (first) this.onGone(why);
  }
}

interface PendingData {
  data: Buffer;
  /** Called once the chunk has left for the socket. */
  readonly sent: (() => void) | undefined;
}

/** One request and its response on an {@link H2ClientConnection}. */
export class H2ClientStream {
  /** 0 until the request is sent (it may wait for a free slot). */
  id = 0;
  sendWindow: number;
  readonly receiveWindow: ReceiveWindow;
  readonly pending: PendingData[] = [];
  ending = false;
  endSent = false;
  remoteEnded = false;
  headersSeen = false;
  private done = false;

  constructor(
    private readonly connection: H2ClientConnection,
    readonly events: ClientStreamEvents,
    initialSendWindow: number,
    receiveWindow: number,
  ) {
    this.sendWindow = initialSendWindow;
    this.receiveWindow = new ReceiveWindow(receiveWindow);
  }

  /** Whether the stream is over. */
  get isClosed(): boolean {
    return this.done;
  }

  /**
   * Queues request body bytes; `sent` is called once they have left for the
   * socket (within the windows), or the stream closed with them unsent.
   */
  write(data: Buffer, sent?: () => void): void {
    if (this.done || this.ending) {
      sent?.();
      return;
    }
    this.pending.push({ data, sent });
    this.connection.pump(this);
  }

  /** Ends the request (END_STREAM after what is queued). */
  end(): void {
    if (this.done || this.ending) return;
    this.ending = true;
    this.connection.pump(this);
  }

  /** Abandons the call: RST_STREAM CANCEL; no more events. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.dropPending();
    this.connection.reset(this, ErrorCode.CANCEL);
  }

  /** `bytes` of the response were passed on: the server may send as many more. */
  consumed(bytes: number): void {
    this.connection.release(this, bytes);
  }

  /** @internal */
  localEnded(): void {
    this.endSent = true;
    if (this.remoteEnded) this.finish();
  }

  /** @internal */
  remoteEnd(): void {
    this.remoteEnded = true;
    // A response that is complete while the request still sends: the request is not needed any more (§8.1).
    if (!this.endSent) {
      this.dropPending();
      this.connection.reset(this, ErrorCode.NO_ERROR);
      this.closed(ErrorCode.NO_ERROR, "answered");
      return;
    }
    this.finish();
  }

  /** @internal The stream ended with `code`. */
  closed(code: number, why: string): void {
    if (this.done) return;
    this.done = true;
    this.dropPending();
    this.events.onClose(code, why);
  }

  private dropPending(): void {
    for (const unsent of this.pending.splice(0)) unsent.sent?.();
  }

  private finish(): void {
    this.connection.forget(this);
    this.closed(ErrorCode.NO_ERROR, "answered");
  }
}

/** A DATA or HEADERS payload without its padding (RFC 9113 §6.1, §6.2). */
function unpadded(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.PADDED) === 0) return payload;
  const padding = payload[0] ?? 0;
  if (padding >= payload.length) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding too long");
  return payload.subarray(1, payload.length - padding);
}

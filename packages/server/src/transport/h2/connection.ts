import type net from "node:net";
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  frame,
  frameHeader,
  MAX_WINDOW,
  Setting,
  settingsPayload,
  uint32,
} from "./frames.js";
import { HpackDecoder, HpackError } from "./hpack.js";
import { type H2Limits, type LimitEvent, type LimitReason, RateCounter, type ServerBudget } from "./limits.js";
import { H2Stream, type StreamOwner } from "./stream.js";

/** Socket bytes buffered beyond which the connection stops reading and sending until the peer catches up. */
const CONGESTED_BYTES = 4 * 1024 * 1024;
/** Connection-specific header fields that HTTP/2 forbids (RFC 9113 §8.2.2). */
const FORBIDDEN_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const REQUEST_PSEUDO_HEADERS = new Set([":method", ":scheme", ":path", ":authority"]);
/** A header name: lowercase token characters (RFC 9110 §5.6.2, RFC 9113 §8.2.1). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** Characters no header value may hold (RFC 9113 §8.2.1). */
const BAD_VALUE = /[\0\r\n]/;
/** Closed streams whose ending is remembered, to tell a late frame from a peer's protocol error. */
const REMEMBERED_CLOSED_STREAMS = 1024;

/**
 * How a stream closed, for frames that arrive on it later (RFC 9113 §5.1):
 * `peer` — the peer ended or reset it, so more frames from it are a protocol
 * error; `local` — berthd reset or refused it while the peer was still sending,
 * so frames the peer had in flight are ignored.
 */
type ClosedBy = "peer" | "local";

/** A connection-level protocol violation: GOAWAY with `code`. */
class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The server side of one HTTP/2 connection on a socket, written for gRPC: it
 * frames and flow-controls streams and hands each new request to `onStream`.
 * Frames queued during one turn of the event loop leave in one write, so an
 * answer's HEADERS, DATA and trailers travel together.
 */
export class H2Connection implements StreamOwner {
  private readonly decoder: HpackDecoder;
  private readonly streams = new Map<number, H2Stream>();
  /** The most recently closed streams, oldest first. */
  private readonly closedStreams = new Map<number, ClosedBy>();
  private leftover: Buffer | undefined;
  private prefaceSeen = false;
  private settingsSeen = false;
  private lastStreamId = 0;
  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private receiveWindow: number;
  private receivedUngranted = 0;
  private headerBlock:
    | { id: number; endStream: boolean; selfDependent: boolean; parts: Buffer[]; bytes: number }
    | undefined;
  private readonly out: Buffer[] = [];
  private flushScheduled = false;
  private readonly blocked = new Set<H2Stream>();
  private goingAway = false;
  private closed = false;
  private readonly resets: RateCounter;
  private readonly pings: RateCounter;
  private readonly settingsFrames: RateCounter;
  private readonly emptyFrames: RateCounter;
  private readingPaused = false;
  /** Response bytes queued on all streams, beyond what the windows let out. */
  private pendingBytes = 0;
  private readonly createdAt = Date.now();
  /** Since when no stream is open; undefined while one is. */
  private idleSince: number | undefined = this.createdAt;
  /** Since when the socket has held more than it should; undefined while it drains. */
  private congestedSince: number | undefined;
  private readonly limits: H2Limits;
  /** The peer's SETTINGS_MAX_HEADER_LIST_SIZE: unlimited until it says (RFC 9113 §6.5.2). */
  peerMaxHeaderListSize = Number.POSITIVE_INFINITY;
  /** Resolves once the socket is closed. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    private readonly onStream: (stream: H2Stream) => void,
    private readonly budget: ServerBudget,
    private readonly report: (event: LimitEvent) => void = () => undefined,
  ) {
    const options = budget.limits;
    this.limits = options;
    this.resets = new RateCounter(options.maxResetsPerSecond);
    this.pings = new RateCounter(options.maxPingsPerSecond);
    this.settingsFrames = new RateCounter(options.maxSettingsPerSecond);
    this.emptyFrames = new RateCounter(options.maxEmptyFramesPerSecond);
    this.decoder = new HpackDecoder({ maxHeaderListSize: options.maxHeaderListSize });
    this.receiveWindow = options.connectionWindow;
    this.done = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => this.terminate(ErrorCode.INTERNAL_ERROR));
    socket.on("close", () => this.terminate(ErrorCode.CANCEL));
    socket.on("drain", () => this.onSocketDrain());
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

  /** Whether the socket holds more unsent bytes than it should. */
  get congested(): boolean {
    return this.socket.writableLength > CONGESTED_BYTES;
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
    let input = this.leftover === undefined ? chunk : Buffer.concat([this.leftover, chunk]);
    this.leftover = undefined;
    try {
      if (!this.prefaceSeen) {
        const seen = Math.min(input.length, CLIENT_PREFACE.length);
        if (!input.subarray(0, seen).equals(CLIENT_PREFACE.subarray(0, seen))) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad connection preface");
        }
        if (input.length < CLIENT_PREFACE.length) {
          this.leftover = input;
          return;
        }
        this.prefaceSeen = true;
        input = input.subarray(CLIENT_PREFACE.length);
      }
      let offset = 0;
      while (input.length - offset >= FRAME_HEADER_BYTES) {
        const length = input.readUIntBE(offset, 3);
        if (length > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "frame too large");
        if (input.length - offset < FRAME_HEADER_BYTES + length) break;
        const type = input[offset + 3] as number;
        const flags = input[offset + 4] as number;
        const id = input.readUInt32BE(offset + 5) & 0x7fffffff;
        const payload = input.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
        offset += FRAME_HEADER_BYTES + length;
        this.onFrame(type, flags, id, payload);
        if (this.closed) return;
      }
      if (offset < input.length) this.leftover = input.subarray(offset);
    } catch (error) {
      if (error instanceof ConnectionError) this.fail(error.code);
      else this.fail(ErrorCode.INTERNAL_ERROR);
    }
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (!this.settingsSeen) {
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "the first frame must be SETTINGS");
      }
      this.settingsSeen = true;
    }
    if (this.headerBlock !== undefined && type !== FrameType.CONTINUATION) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "header block interrupted");
    }
    if (carriesNothing(type, flags, payload) && this.emptyFrames.hit(Date.now())) this.flood("empty");
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
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING of the wrong size");
        if ((flags & Flag.ACK) !== 0) return;
        if (this.pings.hit(Date.now())) this.flood("PING");
        this.queue(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
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
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1).
        return;
    }
  }

  private onPriority(id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
    if (payload.length !== 5) {
      this.resetOrRefuse(id, ErrorCode.FRAME_SIZE_ERROR);
      return;
    }
    // Priorities are advice berthd does not follow (RFC 9113 §5.3.2), but a stream cannot depend on itself.
    if ((payload.readUInt32BE(0) & 0x7fffffff) === id) this.resetOrRefuse(id, ErrorCode.PROTOCOL_ERROR);
  }

  private onData(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    this.receiveWindow -= payload.length;
    if (this.receiveWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window exceeded");
    this.grantConnection(payload.length);
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on an idle stream");
      if (this.closedStreams.get(id) === "peer") {
        throw new ConnectionError(ErrorCode.STREAM_CLOSED, "DATA on a stream the client closed");
      }
      // A stream berthd reset or forgot long ago: request bytes still in flight are dropped.
      return;
    }
    if (stream.remoteClosed) {
      this.resetStream(stream, ErrorCode.STREAM_CLOSED);
      return;
    }
    stream.receiveWindow -= payload.length;
    if (stream.receiveWindow < 0) {
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
    if (!endStream) this.grantStream(stream, payload.length);
    if (data.length > 0) stream.onData?.(data);
    if (endStream) stream.receiveEnd();
  }

  private onHeaders(flags: number, id: number, payload: Buffer): void {
    if (id === 0 || id % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on a server stream id");
    let block = this.unpad(flags, payload);
    let selfDependent = false;
    if ((flags & Flag.PRIORITY) !== 0) {
      if (block.length < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "short PRIORITY fields");
      selfDependent = (block.readUInt32BE(0) & 0x7fffffff) === id;
      block = block.subarray(5);
    }
    this.headerBlock = {
      id,
      endStream: (flags & Flag.END_STREAM) !== 0,
      selfDependent,
      parts: [block],
      bytes: block.length,
    };
    if ((flags & Flag.END_HEADERS) !== 0) this.finishHeaders();
  }

  private onContinuation(flags: number, id: number, payload: Buffer): void {
    const block = this.headerBlock;
    if (block === undefined || block.id !== id) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    }
    block.parts.push(payload);
    block.bytes += payload.length;
    // Encoded headers can be at most about as long as decoded ones: more is a flood.
    if (block.bytes > 2 * this.limits.maxHeaderListSize) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, "header block too large");
    }
    if ((flags & Flag.END_HEADERS) !== 0) this.finishHeaders();
  }

  private finishHeaders(): void {
    const { id, endStream, selfDependent, parts, bytes } = this.headerBlock as NonNullable<H2Connection["headerBlock"]>;
    this.headerBlock = undefined;
    let decoded: { fields: string[]; oversized: boolean };
    try {
      decoded = this.decoder.decode(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes));
    } catch (error) {
      if (error instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, error.message);
      throw error;
    }
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      // Request trailers: only as the end of the request, and not after it.
      if (existing.remoteClosed) this.resetStream(existing, ErrorCode.STREAM_CLOSED);
      else if (!endStream || !existing.acceptBodyBytes(0, true)) this.resetStream(existing, ErrorCode.PROTOCOL_ERROR);
      else existing.receiveEnd();
      return;
    }
    if (id <= this.lastStreamId) {
      const closedBy = this.closedStreams.get(id);
      // Trailers of a stream berthd reset are dropped; anything else reuses a closed stream id.
      if (closedBy === "local") return;
      if (closedBy === "peer") throw new ConnectionError(ErrorCode.STREAM_CLOSED, "HEADERS on a closed stream");
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "stream id lower than an earlier one");
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
      const stream = new H2Stream(this, id, {}, [], this.peerInitialWindow, this.limits.streamWindow);
      this.streams.set(id, stream);
      this.idleSince = undefined;
      stream.respond(431, [], true);
      if (endStream) stream.receiveEnd();
      return;
    }
    const headers = requestHeaders(decoded.fields);
    if (headers === undefined) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const declaredLength = headers["content-length"];
    if (declaredLength !== undefined && !/^\d{1,15}$/.test(declaredLength)) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const stream = new H2Stream(this, id, headers, decoded.fields, this.peerInitialWindow, this.limits.streamWindow);
    if (declaredLength !== undefined) stream.expectBodyLength(Number(declaredLength));
    if (endStream && !stream.acceptBodyBytes(0, true)) {
      this.refuse(id, ErrorCode.PROTOCOL_ERROR);
      return;
    }
    this.streams.set(id, stream);
    this.idleSince = undefined;
    this.onStream(stream);
    if (endStream) stream.receiveEnd();
  }

  private onReset(id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    const now = Date.now();
    // Both counted, so that many connections cannot share out one connection's allowance.
    const tooMany = this.resets.hit(now);
    if (this.budget.resets.hit(now) || tooMany) this.flood("RST_STREAM");
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    this.forget(stream, "peer");
    stream.terminate(payload.readUInt32BE(0));
  }

  private onSettings(flags: number, id: number, payload: Buffer): void {
    if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if ((flags & Flag.ACK) !== 0) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS of the wrong size");
    if (this.settingsFrames.hit(Date.now())) this.flood("SETTINGS");
    for (let at = 0; at < payload.length; at += 6) {
      const setting = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (setting === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window too large");
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const stream of this.streams.values()) {
          stream.sendWindow += delta;
          if (stream.sendWindow > MAX_WINDOW)
            throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
        }
      } else if (setting === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) {
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad MAX_FRAME_SIZE");
        }
        this.peerMaxFrame = value;
      } else if (setting === Setting.MAX_HEADER_LIST_SIZE) {
        this.peerMaxHeaderListSize = value;
      } else if (setting === Setting.ENABLE_PUSH && value > 1) {
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "bad ENABLE_PUSH");
      }
    }
    this.queue(frame(FrameType.SETTINGS, Flag.ACK, 0));
    for (const stream of this.streams.values()) this.pump(stream);
  }

  private onWindowUpdate(id: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "zero WINDOW_UPDATE");
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
      for (const stream of [...this.blocked]) this.pump(stream);
      return;
    }
    const stream = this.streams.get(id);
    if (stream === undefined) {
      if (id > this.lastStreamId)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
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
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
    }
    return payload.subarray(1, payload.length - padding);
  }

  private grantConnection(bytes: number): void {
    this.receivedUngranted += bytes;
    if (this.receivedUngranted >= this.limits.connectionWindow / 2) {
      this.queue(frame(FrameType.WINDOW_UPDATE, 0, 0, uint32(this.receivedUngranted)));
      this.receiveWindow += this.receivedUngranted;
      this.receivedUngranted = 0;
    }
  }

  private grantStream(stream: H2Stream, bytes: number): void {
    stream.receivedUngranted += bytes;
    if (stream.receivedUngranted >= this.limits.streamWindow / 2) {
      this.queue(frame(FrameType.WINDOW_UPDATE, 0, stream.id, uint32(stream.receivedUngranted)));
      stream.receiveWindow += stream.receivedUngranted;
      stream.receivedUngranted = 0;
    }
  }

  // ---- output ----

  sendHeaderBlock(stream: H2Stream, block: Buffer, endStream: boolean): void {
    const endFlag = endStream ? Flag.END_STREAM : 0;
    if (block.length <= this.peerMaxFrame) {
      this.queue(frameHeader(block.length, FrameType.HEADERS, endFlag | Flag.END_HEADERS, stream.id), block);
      return;
    }
    for (let at = 0; at < block.length; at += this.peerMaxFrame) {
      const part = block.subarray(at, at + this.peerMaxFrame);
      const last = at + this.peerMaxFrame >= block.length;
      const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      this.queue(
        frameHeader(part.length, type, (at === 0 ? endFlag : 0) | (last ? Flag.END_HEADERS : 0), stream.id),
        part,
      );
    }
  }

  enqueue(stream: H2Stream, data: Buffer): void {
    const reason = this.refusal(stream, data.length);
    if (reason !== undefined) {
      this.cut(stream, reason);
      return;
    }
    if (stream.pendingBytes === 0) stream.lastProgress = Date.now();
    stream.pending.push(data);
    stream.pendingBytes += data.length;
    this.pendingBytes += data.length;
    this.budget.pendingBytes += data.length;
    this.pump(stream);
  }

  /** Which pending-bytes limit `bytes` more on `stream` would break, if any. */
  private refusal(stream: H2Stream, bytes: number): LimitReason | undefined {
    if (stream.pendingBytes + bytes > this.limits.maxPendingStreamBytes) return "pending bytes of a stream";
    if (this.pendingBytes + bytes > this.limits.maxPendingConnectionBytes) return "pending bytes of a connection";
    if (this.budget.pendingBytes + bytes > this.limits.maxPendingServerBytes) return "pending bytes of the server";
    return undefined;
  }

  dropPending(stream: H2Stream): void {
    this.pendingBytes -= stream.pendingBytes;
    this.budget.pendingBytes -= stream.pendingBytes;
    stream.pending.length = 0;
    stream.pendingBytes = 0;
  }

  /** Cuts a stream off for a limit, and says so. */
  private cut(stream: H2Stream, reason: LimitReason): void {
    this.report({ reason, streamId: stream.id, path: stream.headers[":path"] ?? "" });
    stream.cutOff(reason);
  }

  /** Sends a stream's queued data as far as both windows and the socket allow, then its end once all data is out. */
  pump(stream: H2Stream): void {
    if (stream.closed || stream.localClosed) return;
    while (stream.pendingBytes > 0) {
      const room = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrame);
      // A peer that does not read the socket gets no more than it would hold.
      if (room <= 0 || this.congested) {
        this.blocked.add(stream);
        return;
      }
      const head = stream.pending[0] as Buffer;
      const chunk = head.length <= room ? head : head.subarray(0, room);
      if (chunk === head) stream.pending.shift();
      else stream.pending[0] = head.subarray(room);
      stream.pendingBytes -= chunk.length;
      this.pendingBytes -= chunk.length;
      this.budget.pendingBytes -= chunk.length;
      stream.lastProgress = Date.now();
      this.sendWindow -= chunk.length;
      stream.sendWindow -= chunk.length;
      const last = stream.ending && stream.pendingBytes === 0 && stream.finalBlock === undefined;
      this.queue(frameHeader(chunk.length, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id), chunk);
      if (last) {
        this.blocked.delete(stream);
        stream.finishLocal();
        return;
      }
    }
    this.blocked.delete(stream);
    stream.notifyDrained();
    if (!stream.ending) return;
    if (stream.finalBlock === undefined) this.queue(frame(FrameType.DATA, Flag.END_STREAM, stream.id));
    else this.sendHeaderBlock(stream, stream.finalBlock, true);
    stream.finishLocal();
  }

  resetStream(stream: H2Stream, code: number): void {
    this.queue(frame(FrameType.RST_STREAM, 0, stream.id, uint32(code)));
    this.forget(stream);
    stream.terminate(code);
  }

  release(stream: H2Stream): void {
    this.forget(stream);
    stream.terminate(ErrorCode.NO_ERROR);
  }

  private forget(stream: H2Stream, closedBy: ClosedBy = stream.remoteClosed ? "peer" : "local"): void {
    this.streams.delete(stream.id);
    this.rememberClosed(stream.id, closedBy);
    this.blocked.delete(stream);
    if (this.streams.size === 0) this.idleSince = Date.now();
    if (this.goingAway) this.closeWhenIdle();
  }

  /** Resets a stream berthd never served. */
  private refuse(id: number, code: number): void {
    this.queue(frame(FrameType.RST_STREAM, 0, id, uint32(code)));
    this.rememberClosed(id, "local");
  }

  /** A stream error on `id`, whether it is open or not. */
  private resetOrRefuse(id: number, code: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) this.refuse(id, code);
    else this.resetStream(stream, code);
  }

  private rememberClosed(id: number, closedBy: ClosedBy): void {
    this.closedStreams.set(id, closedBy);
    if (this.closedStreams.size > REMEMBERED_CLOSED_STREAMS) {
      const oldest = this.closedStreams.keys().next().value as number;
      this.closedStreams.delete(oldest);
    }
  }

  private queue(...buffers: Buffer[]): void {
    if (this.closed) return;
    for (const buffer of buffers) this.out.push(buffer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) return;
    const buffers = this.out.splice(0);
    this.socket.cork();
    for (const buffer of buffers) this.socket.write(buffer);
    this.socket.uncork();
    if (this.congested) {
      this.congestedSince ??= Date.now();
      if (!this.readingPaused) {
        // A peer that does not read its answers is not sent more to answer.
        this.readingPaused = true;
        this.socket.pause();
      }
    }
  }

  private onSocketDrain(): void {
    this.congestedSince = undefined;
    if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
    for (const stream of [...this.blocked]) this.pump(stream);
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
    if (this.congestedSince !== undefined && now - this.congestedSince > limits.sendStallTimeoutMs) {
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

  /** A peer that sends `what` faster than any client needs: GOAWAY ENHANCE_YOUR_CALM. */
  private flood(what: string): never {
    this.report({ reason: "flood", detail: what });
    throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `too many ${what} frames`);
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
      this.flush();
      this.socket.end();
    });
  }

  /** A connection error: GOAWAY with `code`, then close. */
  private fail(code: number): void {
    if (this.closed) return;
    this.queue(this.goaway(code));
    this.flush();
    this.closed = true;
    this.socket.end();
    this.terminate(code);
  }

  private terminate(code: number): void {
    this.closed = true;
    this.out.length = 0;
    this.idleSince = undefined;
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const stream of streams) stream.terminate(code);
  }
}

/**
 * Whether a frame costs work but moves nothing along: empty DATA, HEADERS or
 * CONTINUATION that end neither the stream nor the header block, and frames of
 * types HTTP/2 does not define.
 */
function carriesNothing(type: number, flags: number, payload: Buffer): boolean {
  if (type > FrameType.CONTINUATION) return true;
  if (payload.length > 0) return false;
  if (type === FrameType.DATA) return (flags & Flag.END_STREAM) === 0;
  if (type === FrameType.HEADERS || type === FrameType.CONTINUATION) {
    return (flags & (Flag.END_STREAM | Flag.END_HEADERS)) === 0;
  }
  return false;
}

/**
 * A request's headers by name, or undefined when the request is malformed:
 * pseudo-headers after regular ones or unknown, names that are not lowercase tokens,
 * values with NUL, CR or LF, connection-specific
 * headers, `te` other than `trailers`, or a missing `:method`, `:scheme` or `:path`.
 */
function requestHeaders(fields: readonly string[]): Record<string, string> | undefined {
  const headers: Record<string, string> = {};
  let regularSeen = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (name.startsWith(":")) {
      if (regularSeen || !REQUEST_PSEUDO_HEADERS.has(name) || name in headers) return undefined;
    } else {
      regularSeen = true;
      if (!HEADER_NAME.test(name) || FORBIDDEN_HEADERS.has(name)) return undefined;
      if (name === "te" && value !== "trailers") return undefined;
    }
    if (BAD_VALUE.test(value)) return undefined;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
  if (headers[":method"] === undefined || headers[":scheme"] === undefined || !headers[":path"]) {
    return undefined;
  }
  return headers;
}

import { H2ConnectionError } from "./errors.js";
import type { FrameWriter } from "./frame-writer.js";
import { DEFAULT_WINDOW, ErrorCode, Flag, FrameType, frame, frameHeader, MAX_WINDOW } from "./frames.js";
import type { H2Limits, LimitReason, ServerBudget } from "./limits.js";
import type { PeerSettings } from "./peer-settings.js";
import type { StreamState } from "./stream.js";

/**
 * The sending side of a connection's flow control (RFC 9113 §5.2, §6.9): each
 * stream's answer is queued, sent as far as the connection's and the stream's
 * send windows allow, and held while they are shut. Queued bytes are bounded
 * per stream, per connection and per server; a write beyond a bound cuts its
 * stream off instead of growing memory.
 */
export class SendScheduler {
  /** The connection's send window (the peer's connection receive window). */
  private window = DEFAULT_WINDOW;
  /** Streams with data waiting for window or for the socket. */
  private readonly blocked = new Set<StreamState>();
  /** Bytes queued on all streams of the connection. */
  private pendingBytes = 0;

  constructor(
    private readonly writer: FrameWriter,
    private readonly peer: PeerSettings,
    private readonly budget: ServerBudget,
    private readonly limits: H2Limits,
    /** Cuts a stream off for a limit. */
    private readonly cut: (stream: StreamState, reason: LimitReason) => void,
    /** Told whenever a stream's DATA or HEADERS are queued. */
    private readonly onSend: () => void = () => undefined,
  ) {}

  /** Queues a stream's data if the pending-bytes limits allow, and sends what the windows allow. */
  enqueue(stream: StreamState, data: Buffer): void {
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

  /** Forgets a stream's queued data. */
  dropPending(stream: StreamState): void {
    this.pendingBytes -= stream.pendingBytes;
    this.budget.pendingBytes -= stream.pendingBytes;
    stream.pending.length = 0;
    stream.pendingBytes = 0;
  }

  /** Sends a stream's queued data as far as both windows and the socket allow, then its end once all data is out. */
  pump(stream: StreamState): void {
    if (stream.closed || stream.localClosed) return;
    while (stream.pendingBytes > 0) {
      const room = Math.min(this.window, stream.sendWindow, this.peer.maxFrame);
      // A peer that does not read the socket gets no more than it would hold.
      if (room <= 0 || this.writer.congested) {
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
      this.window -= chunk.length;
      stream.sendWindow -= chunk.length;
      const last = stream.ending && stream.pendingBytes === 0 && stream.finalBlock === undefined;
      this.onSend();
      this.writer.queue(frameHeader(chunk.length, FrameType.DATA, last ? Flag.END_STREAM : 0, stream.id), chunk);
      if (last) {
        this.blocked.delete(stream);
        stream.finishLocal();
        return;
      }
    }
    this.blocked.delete(stream);
    stream.notifyDrained();
    if (!stream.ending) return;
    if (stream.finalBlock === undefined) this.writer.queue(frame(FrameType.DATA, Flag.END_STREAM, stream.id));
    else this.sendHeaderBlock(stream, stream.finalBlock, true);
    stream.finishLocal();
  }

  /** Sends what every held stream can send now (after a window grew or the socket drained). */
  pumpBlocked(): void {
    for (const stream of [...this.blocked]) this.pump(stream);
  }

  /** A WINDOW_UPDATE on the connection. */
  growWindow(increment: number): void {
    this.window += increment;
    if (this.window > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "window overflow");
    this.pumpBlocked();
  }

  /** Queues a header block (HEADERS, and CONTINUATION when longer than the peer's frames), which flow control does not hold. */
  sendHeaderBlock(stream: StreamState, block: Buffer, endStream: boolean): void {
    const endFlag = endStream ? Flag.END_STREAM : 0;
    const maxFrame = this.peer.maxFrame;
    this.onSend();
    if (block.length <= maxFrame) {
      this.writer.queue(frameHeader(block.length, FrameType.HEADERS, endFlag | Flag.END_HEADERS, stream.id), block);
      return;
    }
    for (let at = 0; at < block.length; at += maxFrame) {
      const part = block.subarray(at, at + maxFrame);
      const last = at + maxFrame >= block.length;
      const type = at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      this.writer.queue(
        frameHeader(part.length, type, (at === 0 ? endFlag : 0) | (last ? Flag.END_HEADERS : 0), stream.id),
        part,
      );
    }
  }

  /** The stream is gone: it waits for nothing more. */
  forget(stream: StreamState): void {
    this.blocked.delete(stream);
  }

  /** The connection is gone. */
  clear(): void {
    this.blocked.clear();
  }

  /** Which pending-bytes limit `bytes` more on `stream` would break, if any. */
  private refusal(stream: StreamState, bytes: number): LimitReason | undefined {
    if (stream.pendingBytes + bytes > this.limits.maxPendingStreamBytes) return "pending bytes of a stream";
    if (this.pendingBytes + bytes > this.limits.maxPendingConnectionBytes) return "pending bytes of a connection";
    if (this.budget.pendingBytes + bytes > this.limits.maxPendingServerBytes) return "pending bytes of the server";
    return undefined;
  }
}

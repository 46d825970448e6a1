import type net from "node:net";

/** Socket bytes buffered beyond which the connection stops reading and sending until the peer catches up. */
const CONGESTED_BYTES = 4 * 1024 * 1024;
/**
 * Buffers up to this size are copied together into one before writing: a
 * frame header and a small payload cost less copied than as separate pieces
 * of a vectored write. Larger ones (bulk DATA) are written as they are.
 */
const COALESCE_BYTES = 4096;

/**
 * Writes a connection's frames: frames queued during one turn of the event
 * loop leave in one write, so an answer's HEADERS, DATA and trailers travel
 * together. A peer that does not read what it is sent is not read from either
 * until it does: the socket is paused while it holds too much.
 */
export class FrameWriter {
  private readonly out: Buffer[] = [];
  private flushScheduled = false;
  private readingPaused = false;
  private discarding = false;
  /** Since when the socket has held more than it should; undefined while it drains. */
  congestedSince: number | undefined;

  constructor(
    private readonly socket: net.Socket,
    /** Called when a congested socket has drained. */
    private readonly onDrain: () => void,
  ) {
    socket.on("drain", () => this.drained());
  }

  /** Whether the socket holds more unsent bytes than it should. */
  get congested(): boolean {
    return this.socket.writableLength > CONGESTED_BYTES;
  }

  /** Queues frames (or parts of one) for the next write. */
  queue(...buffers: Buffer[]): void {
    if (this.discarding) return;
    for (const buffer of buffers) this.out.push(buffer);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes what is queued now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed) return;
    const buffers = coalesced(this.out.splice(0));
    if (buffers.length === 1) this.socket.write(buffers[0] as Buffer);
    else {
      this.socket.cork();
      for (const buffer of buffers) this.socket.write(buffer);
      this.socket.uncork();
    }
    if (this.congested) {
      this.congestedSince ??= Date.now();
      if (!this.readingPaused) {
        // A peer that does not read its answers is not sent more to answer.
        this.readingPaused = true;
        this.socket.pause();
      }
    }
  }

  /** Drops what is queued and everything queued later: the connection is gone. */
  discard(): void {
    this.discarding = true;
    this.out.length = 0;
  }

  private drained(): void {
    this.congestedSince = undefined;
    if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
    this.onDrain();
  }
}

/** `buffers` with each run of small ones joined into one. */
function coalesced(buffers: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  let runBytes = 0;
  const closeRun = () => {
    if (run.length === 1) out.push(run[0] as Buffer);
    else if (run.length > 1) out.push(Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const buffer of buffers) {
    if (buffer.length > COALESCE_BYTES) {
      closeRun();
      out.push(buffer);
      continue;
    }
    run.push(buffer);
    runBytes += buffer.length;
  }
  closeRun();
  return out;
}

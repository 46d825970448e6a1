/**
 * How a stream closed, for frames that arrive on it later (RFC 9113 §5.1):
 * `peer` — the client ended or reset it, so more frames from it are a protocol
 * error; `local` — berthd reset or refused it while the client was still
 * sending, so frames the client had in flight are ignored.
 */
export type ClosedBy = "peer" | "local";

/** The most recently closed streams of a connection and how each closed; the oldest are forgotten. */
export class ClosedStreams {
  private readonly closed = new Map<number, ClosedBy>();

  constructor(private readonly capacity: number) {}

  remember(streamId: number, closedBy: ClosedBy): void {
    this.closed.set(streamId, closedBy);
    if (this.closed.size > this.capacity) {
      const oldest = this.closed.keys().next().value as number;
      this.closed.delete(oldest);
    }
  }

  /** How the stream closed; undefined when it never opened, or closed too long ago to remember. */
  closedBy(streamId: number): ClosedBy | undefined {
    return this.closed.get(streamId);
  }
}

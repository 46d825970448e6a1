/**
 * One receive window (RFC 9113 §5.2, §6.9): what the peer may still send, and
 * what berthd has received but not granted back yet. Credit is granted back in
 * one WINDOW_UPDATE once half the window is used, not per frame.
 */
export class ReceiveWindow {
  private available: number;
  private ungranted = 0;

  constructor(private readonly size: number) {
    this.available = size;
  }

  /** Counts `bytes` received; false when they overran the window. */
  receive(bytes: number): boolean {
    this.available -= bytes;
    return this.available >= 0;
  }

  /** Marks `bytes` as consumed; returns the increment to grant back now, or 0. */
  release(bytes: number): number {
    this.ungranted += bytes;
    if (this.ungranted < this.size / 2) return 0;
    const increment = this.ungranted;
    this.available += increment;
    this.ungranted = 0;
    return increment;
  }
}

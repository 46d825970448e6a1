/** Limits of berthd's HTTP/2 server; see docs/security.md for what each defends against. */
export interface H2Limits {
  /** Streams open at once on one connection; more are refused (RST_STREAM REFUSED_STREAM). */
  readonly maxConcurrentStreams: number;
  /** Largest decoded request header list; larger requests are answered 431. */
  readonly maxHeaderListSize: number;
  /** Receive window of each stream. */
  readonly streamWindow: number;
  /** Receive window of the connection. */
  readonly connectionWindow: number;
  /**
   * Response bytes one stream may have queued beyond what the peer's windows
   * let out: one largest message (16 MiB) and a batch. A write beyond it cuts the stream off.
   */
  readonly maxPendingStreamBytes: number;
  /** The same for all streams of one connection together. */
  readonly maxPendingConnectionBytes: number;
  /** The same for every connection of the server together. */
  readonly maxPendingServerBytes: number;
  /** A stream with queued bytes that sends none for this long is cut off; so is a socket that stays congested. */
  readonly sendStallTimeoutMs: number;
  /** A request must have ended (END_STREAM) this long after its HEADERS, unless its call streams requests. */
  readonly requestTimeoutMs: number;
  /** A connection without open streams for this long is sent GOAWAY and closed. */
  readonly idleTimeoutMs: number;
  /** The client's preface and first SETTINGS must arrive within this long of the connection. */
  readonly handshakeTimeoutMs: number;
  /** Streams one connection may reset per second before it is closed (rapid reset, CVE-2023-44487). */
  readonly maxResetsPerSecond: number;
  /** Streams all connections together may reset per second; the connection that goes over is closed. */
  readonly maxServerResetsPerSecond: number;
  /** PING frames one connection may send per second. */
  readonly maxPingsPerSecond: number;
  /** SETTINGS frames one connection may send per second. */
  readonly maxSettingsPerSecond: number;
  /**
   * Frames that carry nothing one connection may send per second: empty DATA,
   * HEADERS or CONTINUATION frames that end nothing, and frames of unknown types
   * (CVE-2019-9518).
   */
  readonly maxEmptyFramesPerSecond: number;
}

/** berthd's defaults: wide windows for 2 MB listings, bounds far above what containerd's clients use. */
export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: 1000,
  maxHeaderListSize: 64 * 1024,
  streamWindow: 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
  maxPendingStreamBytes: 17 * 1024 * 1024,
  maxPendingConnectionBytes: 64 * 1024 * 1024,
  maxPendingServerBytes: 256 * 1024 * 1024,
  sendStallTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 600_000,
  handshakeTimeoutMs: 10_000,
  maxResetsPerSecond: 1000,
  maxServerResetsPerSecond: 10_000,
  maxPingsPerSecond: 100,
  maxSettingsPerSecond: 100,
  maxEmptyFramesPerSecond: 1000,
};

/** Why a stream or connection was cut off. */
export type LimitReason =
  | "pending bytes of a stream"
  | "pending bytes of a connection"
  | "pending bytes of the server"
  | "send stalled"
  | "request timeout";

/** What the server reports when it cuts a stream or connection off. */
export interface LimitEvent {
  readonly reason: LimitReason | "idle" | "handshake timeout" | "socket stalled" | "flood" | "too many connections";
  /** The stream cut off; absent when the whole connection was. */
  readonly streamId?: number;
  readonly path?: string;
  /** For floods: what was sent too often; for connections refused, how many since the last report. */
  readonly detail?: string;
  /** The listener's address (`unix:/run/berth/berth.sock`, `http://127.0.0.1:8080`), added by the listener. */
  readonly listener?: string;
}

/** Counts events in one-second windows. */
export class RateCounter {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly perSecond: number) {}

  /** Counts one event at `now`; true when that is more than the rate allows. */
  hit(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    return this.count > this.perSecond;
  }
}

/** What all connections of one server share: queued bytes and the reset rate. */
export class ServerBudget {
  /** Response bytes queued on every connection together. */
  pendingBytes = 0;
  readonly resets: RateCounter;

  constructor(readonly limits: H2Limits) {
    this.resets = new RateCounter(limits.maxServerResetsPerSecond);
  }
}

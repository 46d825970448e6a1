import { H2ConnectionError } from "./errors.js";
import { carriesNothing, ErrorCode, Flag, FrameType } from "./frames.js";
import { RateCounter, type ServerBudget } from "./limits.js";

/**
 * The rates at which one connection may send frames that cost the server work
 * without asking for an answer: resets (rapid reset, CVE-2023-44487, counted
 * per connection and across the server), PINGs, SETTINGS, and frames that carry
 * nothing (CVE-2019-9518). A connection over a rate is told ENHANCE_YOUR_CALM.
 */
export class FloodGuard {
  private readonly resets: RateCounter;
  private readonly pings: RateCounter;
  private readonly settings: RateCounter;
  private readonly empty: RateCounter;
  /** Whether berthd sent DATA or HEADERS since the peer's last PING. */
  private sentSincePing = true;

  constructor(
    private readonly budget: ServerBudget,
    /** Told what was sent too often, before the connection is failed. */
    private readonly onFlood: (what: string) => void,
  ) {
    const limits = budget.limits;
    this.resets = new RateCounter(limits.maxResetsPerSecond);
    this.pings = new RateCounter(limits.maxPingsPerSecond);
    this.settings = new RateCounter(limits.maxSettingsPerSecond);
    this.empty = new RateCounter(limits.maxEmptyFramesPerSecond);
  }

  /** Counts one incoming frame; throws {@link H2ConnectionError} ENHANCE_YOUR_CALM when it is one too many. */
  count(type: number, flags: number, payload: Buffer): void {
    const now = Date.now();
    if (carriesNothing(type, flags, payload) && this.empty.hit(now)) this.flood("empty");
    switch (type) {
      case FrameType.RST_STREAM: {
        // Both counted, so that many connections cannot share out one connection's allowance.
        const tooMany = this.resets.hit(now);
        if (this.budget.resets.hit(now) || tooMany) this.flood("RST_STREAM");
        return;
      }
      case FrameType.PING:
        if ((flags & Flag.ACK) !== 0) return;
        // A PING that follows an answer is a client measuring the link (grpc-go's BDP estimate pings at
        // every burst of a bulk read); only PINGs with nothing sent in between count, as grpc-go counts them.
        if (this.sentSincePing) this.sentSincePing = false;
        else if (this.pings.hit(now)) this.flood("PING");
        return;
      case FrameType.SETTINGS:
        if ((flags & Flag.ACK) === 0 && this.settings.hit(now)) this.flood("SETTINGS");
        return;
    }
  }

  /** berthd sent DATA or HEADERS: the next PING is not counted. */
  sent(): void {
    this.sentSincePing = true;
  }

  private flood(what: string): never {
    this.onFlood(what);
    throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `too many ${what} frames`);
  }
}

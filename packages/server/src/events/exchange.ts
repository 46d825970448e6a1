import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { resourceExhausted, unavailable } from "../errdefs.js";

/** Options of {@link createExchange}. */
export interface ExchangeOptions {
  /** Envelopes a subscriber may be behind before it is cut off (default {@link DEFAULT_QUEUE_LIMITS}). */
  readonly queueLimit?: number;
  /** Bytes of envelopes a subscriber may be behind before it is cut off (default {@link DEFAULT_QUEUE_LIMITS}). */
  readonly queueBytesLimit?: number;
  /** Told of every subscriber cut off for falling behind. */
  readonly onOverflow?: (why: string) => void;
}

/** Options of one subscription. */
export interface SubscribeOptions {
  /** Which envelopes to deliver. */
  readonly accept: (envelope: Envelope) => boolean;
  /** Ends the subscription (the subscriber went away). */
  readonly signal: AbortSignal;
}

/**
 * In-process broadcast of envelopes (containerd `events/exchange`): every
 * subscriber sees every envelope published after it subscribed, in order.
 * Nothing is stored beyond what a subscriber has yet to read. Publishing costs
 * the same whatever the number of subscribers: it appends to one shared log,
 * and subscribers read (and filter) it on their own turns. One that falls too
 * far behind, in envelopes or in bytes, is ended with ResourceExhausted instead
 * of slowing writers or growing memory.
 */
export interface Exchange {
  publish(envelope: Envelope): void;
  subscribe(options: SubscribeOptions): AsyncIterable<Envelope>;
  /** Number of live subscriptions. */
  readonly subscribers: number;
  /** Ends every subscription cleanly (shutdown); later subscriptions end at once. */
  close(): void;
  /**
   * Ends the subscriptions of now with Unavailable and `reason`, once each has
   * read what was published before (the source of events was lost); later
   * subscriptions are served as usual.
   */
  interrupt(reason: string): void;
}

interface Subscriber {
  readonly accept: (envelope: Envelope) => boolean;
  /** Sequence number of the next envelope it reads. */
  cursor: number;
  wake: (() => void) | undefined;
  ended: "overflow" | "closed" | "interrupted" | undefined;
  /** Why it was interrupted. */
  interruption: string | undefined;
  /** Which bound it broke, once cut off: `1024 events`. */
  overflow: string | undefined;
}

/** One published envelope in the shared log. */
interface Entry {
  readonly envelope: Envelope;
  /** Bytes published before this one. */
  readonly start: number;
}

/** About what an envelope costs to hold and to send. */
function sizeOf(envelope: Envelope): number {
  return (envelope.event?.value.length ?? 0) + envelope.topic.length + envelope.namespace.length + 64;
}

/** How far behind a subscriber may fall, by default: 1,024 events or 32 MiB (two largest messages). */
export const DEFAULT_QUEUE_LIMITS = { queueLimit: 1024, queueBytesLimit: 32 * 1024 * 1024 } as const;

/** Creates an exchange. */
export function createExchange(options: ExchangeOptions = {}): Exchange {
  const queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMITS.queueLimit;
  const queueBytesLimit = options.queueBytesLimit ?? DEFAULT_QUEUE_LIMITS.queueBytesLimit;
  const subscribers = new Set<Subscriber>();
  /** Envelopes from sequence number `base` on, kept while a subscriber has yet to read them. */
  let log: Entry[] = [];
  let base = 0;
  /** Bytes of every envelope published so far. */
  let published = 0;
  let wakeScheduled = false;
  let closed = false;

  const next = () => base + log.length;
  /** Bytes published from sequence number `seq` on. */
  const bytesFrom = (seq: number) => (seq < next() ? published - (log[seq - base] as Entry).start : 0);

  const end = (subscriber: Subscriber, why: "overflow" | "closed" | "interrupted") => {
    subscriber.ended ??= why;
    subscriber.wake?.();
  };

  /** Cuts a subscriber off if it is too far behind; true if it was. */
  const cutIfBehind = (subscriber: Subscriber): boolean => {
    const lag =
      next() - subscriber.cursor > queueLimit
        ? `${queueLimit} events`
        : bytesFrom(subscriber.cursor) > queueBytesLimit
          ? `${queueBytesLimit} bytes of events`
          : undefined;
    if (lag === undefined) return false;
    subscriber.overflow = lag;
    options.onOverflow?.(`subscriber fell more than ${lag} behind`);
    end(subscriber, "overflow");
    return true;
  };

  /** Wakes every subscriber, cuts off those too far behind, and forgets what all have read. */
  const wakeAll = () => {
    wakeScheduled = false;
    let oldest = next();
    for (const subscriber of subscribers) {
      if (subscriber.ended !== undefined || cutIfBehind(subscriber)) continue;
      oldest = Math.min(oldest, subscriber.cursor);
      subscriber.wake?.();
    }
    if (oldest > base) {
      log = log.slice(oldest - base);
      base = oldest;
    }
  };

  return {
    publish(envelope) {
      if (subscribers.size === 0) return;
      log.push({ envelope, start: published });
      published += sizeOf(envelope);
      // The log holds more than any subscriber may be behind: settle it now rather than let it grow.
      if (log.length > queueLimit || bytesFrom(base) > queueBytesLimit) wakeAll();
      else if (!wakeScheduled) {
        wakeScheduled = true;
        setImmediate(wakeAll);
      }
    },

    async *subscribe({ accept, signal }) {
      if (closed) throw unavailable("event exchange is shutting down");
      const subscriber: Subscriber = {
        accept,
        cursor: next(),
        wake: undefined,
        ended: undefined,
        overflow: undefined,
        interruption: undefined,
      };
      subscribers.add(subscriber);
      // Forget the subscriber at once: a transport may never resume a cancelled stream to run `finally`.
      const onAbort = () => {
        subscribers.delete(subscriber);
        end(subscriber, "closed");
      };
      signal.addEventListener("abort", onAbort);
      if (signal.aborted) onAbort();
      try {
        for (;;) {
          if (subscriber.ended === "closed") return;
          if (subscriber.ended === "overflow" || cutIfBehind(subscriber)) {
            throw resourceExhausted(`subscriber fell more than ${subscriber.overflow} behind and was disconnected`);
          }
          if (subscriber.cursor < next()) {
            const entry = log[subscriber.cursor - base] as Entry;
            subscriber.cursor += 1;
            if (subscriber.accept(entry.envelope)) yield entry.envelope;
            continue;
          }
          if (subscriber.ended === "interrupted") throw unavailable(subscriber.interruption ?? "event source lost");
          await new Promise<void>((resolve) => {
            subscriber.wake = resolve;
          });
          subscriber.wake = undefined;
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        subscribers.delete(subscriber);
      }
    },

    get subscribers() {
      return subscribers.size;
    },

    close() {
      closed = true;
      for (const subscriber of subscribers) end(subscriber, "closed");
    },

    interrupt(reason) {
      for (const subscriber of subscribers) {
        subscriber.interruption ??= reason;
        end(subscriber, "interrupted");
      }
    },
  };
}

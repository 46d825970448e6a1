import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { resourceExhausted, unavailable } from "../errdefs.js";

/** Options of {@link createExchange}. */
export interface ExchangeOptions {
  /** Envelopes a subscriber may have waiting before it is cut off (default 1024). */
  readonly queueLimit?: number;
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
 * Nothing is stored. Publishing never waits for a subscriber: each has a bounded
 * queue, and one that falls that far behind is ended with ResourceExhausted
 * instead of slowing writers or growing memory.
 */
export interface Exchange {
  publish(envelope: Envelope): void;
  subscribe(options: SubscribeOptions): AsyncIterable<Envelope>;
  /** Number of live subscriptions. */
  readonly subscribers: number;
  /** Ends every subscription cleanly (shutdown); later subscriptions end at once. */
  close(): void;
}

interface Subscriber {
  readonly accept: (envelope: Envelope) => boolean;
  readonly queue: Envelope[];
  wake: (() => void) | undefined;
  ended: "overflow" | "closed" | undefined;
}

/** Creates an exchange. */
export function createExchange(options: ExchangeOptions = {}): Exchange {
  const queueLimit = options.queueLimit ?? 1024;
  const subscribers = new Set<Subscriber>();
  let closed = false;

  const end = (subscriber: Subscriber, why: "overflow" | "closed") => {
    subscriber.ended ??= why;
    subscriber.queue.length = 0;
    subscriber.wake?.();
  };

  return {
    publish(envelope) {
      for (const subscriber of subscribers) {
        if (subscriber.ended !== undefined || !subscriber.accept(envelope)) continue;
        if (subscriber.queue.length >= queueLimit) {
          end(subscriber, "overflow");
          continue;
        }
        subscriber.queue.push(envelope);
        subscriber.wake?.();
      }
    },

    async *subscribe({ accept, signal }) {
      if (closed) throw unavailable("event exchange is shutting down");
      const subscriber: Subscriber = { accept, queue: [], wake: undefined, ended: undefined };
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
          const next = subscriber.queue.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (subscriber.ended === "overflow") {
            throw resourceExhausted(`subscriber fell more than ${queueLimit} events behind and was disconnected`);
          }
          if (subscriber.ended === "closed") return;
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
  };
}

/**
 * berthd's limits and their defaults, in one typed place: the command line and
 * the config file (`cli/options.ts`) show and override these, `startBerthd`
 * fills in whatever it is not given from them, and the tests read them here.
 * docs/security.md says what each defends against and what happens when it is hit.
 */
import { DEFAULT_QUEUE_LIMITS } from "./events/exchange.js";
import { MAX_MATCHING_MS } from "./local/paced-matching.js";
import { DEFAULT_LARGE_RESPONSES } from "./services/large-responses.js";
import { DEFAULT_H2_LIMITS, type H2Limits } from "./transport/h2/limits.js";

/** Every limit of a running berthd. */
export interface BerthdLimits {
  /** Connections each listener accepts at once (`--max-connections`); more are closed as they arrive. */
  readonly maxConnections: number;
  /** HTTP/2 limits and the connection timeouts (HTTP/1.1 takes the timeouts too). */
  readonly h2: H2Limits;
  /** Largest message, each way (containerd's gRPC limit). */
  readonly maxMessageBytes: number;
  /** CPU one List or ListStream may spend matching its filters (`--max-filter-cpu`). */
  readonly maxMatchingMs: number;
  /** Events a subscriber may be behind before it is cut off. */
  readonly maxQueuedEvents: number;
  /** Bytes of events a subscriber may be behind before it is cut off. */
  readonly maxQueuedEventBytes: number;
  /** Large unary answers (past 256 KiB) gathered at once; others wait for a slot. */
  readonly maxLargeResponses: number;
  /** How long shutdown lets calls in flight finish before it cuts them. */
  readonly shutdownGraceMs: number;
  /** How often expired leases are removed. */
  readonly leaseSweepIntervalMs: number;
  /** Events the history keeps at most (`--event-retention-count`). */
  readonly eventRetentionCount: number;
  /** Events older than this are pruned (`--event-retention-age`). */
  readonly eventRetentionAgeMs: number;
  /** How often the history is pruned; each run deletes at most {@link pruneBatch} events per batch. */
  readonly pruneIntervalMs: number;
  readonly pruneBatch: number;
}

/** berthd's defaults. */
export const DEFAULT_LIMITS: BerthdLimits = {
  maxConnections: 1024,
  h2: DEFAULT_H2_LIMITS,
  maxMessageBytes: 16 * 1024 * 1024,
  maxMatchingMs: MAX_MATCHING_MS,
  maxQueuedEvents: DEFAULT_QUEUE_LIMITS.queueLimit,
  maxQueuedEventBytes: DEFAULT_QUEUE_LIMITS.queueBytesLimit,
  maxLargeResponses: DEFAULT_LARGE_RESPONSES,
  shutdownGraceMs: 5000,
  leaseSweepIntervalMs: 60_000,
  eventRetentionCount: 1_000_000,
  eventRetentionAgeMs: 7 * 86_400_000,
  pruneIntervalMs: 1000,
  pruneBatch: 10_000,
};

/** Limits to change from the defaults; HTTP/2's one by one. */
export type LimitOverrides = { readonly [K in Exclude<keyof BerthdLimits, "h2">]?: BerthdLimits[K] | undefined } & {
  readonly h2?: { readonly [K in keyof H2Limits]?: H2Limits[K] | undefined } | undefined;
};

/** The defaults with `overrides` applied; an override left undefined keeps its default. */
export function resolveLimits(overrides: LimitOverrides = {}): BerthdLimits {
  const { h2, ...rest } = overrides;
  return {
    ...DEFAULT_LIMITS,
    ...(definedOnly(rest) as Partial<BerthdLimits>),
    h2: { ...DEFAULT_LIMITS.h2, ...(definedOnly(h2 ?? {}) as Partial<H2Limits>) },
  };
}

/** The entries of `values` that are not undefined. */
function definedOnly(values: object): object {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

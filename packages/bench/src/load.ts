/**
 * The load generator: a fixed number of requests kept `concurrency` deep, each
 * timed from send to last byte. Requests share whatever transport the call uses.
 */

/** One request: `index` is 0..count-1; resolves to the number of items it returned (1 for unary calls). */
export type Call = (index: number) => Promise<number>;

/** What one load run measured. */
export interface LoadOutcome {
  /** Requests sent. */
  readonly requests: number;
  /** Requests that failed. */
  readonly errors: number;
  /** Message of the first failure. */
  readonly firstError: string | undefined;
  /** Items returned by all successful requests together. */
  readonly items: number;
  /** Wall-clock seconds from the first send to the last answer. */
  readonly seconds: number;
  /** Latency of each successful request, in ms, sorted ascending. */
  readonly latenciesMs: Float64Array;
}

/**
 * Sends `count` requests (indices `offset` … `offset + count - 1`) with at most
 * `concurrency` in flight: each of `concurrency` workers takes the next index as
 * soon as its previous request has finished (closed loop).
 */
export async function runLoad(count: number, concurrency: number, call: Call, offset = 0): Promise<LoadOutcome> {
  const latencies = new Float64Array(count);
  let next = 0;
  let done = 0;
  let errors = 0;
  let items = 0;
  let firstError: string | undefined;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const started = performance.now();
      try {
        items += await call(offset + index);
        latencies[done++] = performance.now() - started;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const latenciesMs = latencies.slice(0, done).sort();
  return { requests: count, errors, firstError, items, seconds, latenciesMs };
}

/** The `q` quantile (0..1) of ascending values, nearest rank; NaN when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

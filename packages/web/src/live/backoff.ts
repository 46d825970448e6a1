/** Reconnect delays: exponential with jitter, capped. */

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** First delay (default 250 ms). */
  readonly initialMs?: number;
  /** Largest delay (default 4 s). */
  readonly maxMs?: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): doubles from
 * `initialMs` up to `maxMs`, then ±20 % jitter so many tabs do not retry in step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 4000;
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Sleeps in progress, woken together by {@link retryNow}. */
const sleepers = new Set<() => void>();

/** Resolves after `ms`, at once when `signal` aborts, or when {@link retryNow} is called. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      sleepers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
    sleepers.add(done);
  });
}

/** Ends every backoff sleep now: the Retry button, or a new token, makes every link try again at once. */
export function retryNow(): void {
  for (const wake of [...sleepers]) wake();
}

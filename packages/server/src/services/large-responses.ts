import { Code, ConnectError } from "@connectrpc/connect";

/** Bytes a unary answer may gather before it needs one of the few large-response slots. */
export const LARGE_RESPONSE_BYTES = 256 * 1024;

/**
 * Bounds how many large unary answers (a List of a big namespace: up to 16 MiB
 * each) are gathered at once, so that a hundred concurrent Lists hold a few
 * answers' worth of memory instead of a hundred. An answer passes
 * {@link LARGE_RESPONSE_BYTES} first, then waits for a slot, and keeps it until
 * it is complete; a slot holder never waits again, so slots cannot deadlock.
 */
export interface LargeResponses {
  /**
   * Resolves with a release function once a slot is free; rejects when `signal`
   * aborts first (the call was cancelled or timed out).
   */
  acquire(signal: AbortSignal): Promise<() => void>;
}

/** Large answers gathered at once, by default. */
export const DEFAULT_LARGE_RESPONSES = 4;

/** Slots for `concurrent` large answers at once. */
export function createLargeResponses(concurrent = DEFAULT_LARGE_RESPONSES): LargeResponses {
  let free = concurrent;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next === undefined) free += 1;
    else next();
  };
  return {
    acquire(signal) {
      if (free > 0) {
        free -= 1;
        return Promise.resolve(once(release));
      }
      return new Promise((resolve, reject) => {
        const grant = () => {
          signal.removeEventListener("abort", onAbort);
          resolve(once(release));
        };
        const onAbort = () => {
          const at = waiting.indexOf(grant);
          if (at >= 0) waiting.splice(at, 1);
          reject(
            signal.reason instanceof ConnectError
              ? signal.reason
              : new ConnectError("operation canceled while waiting to build a large answer", Code.Canceled),
          );
        };
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener("abort", onAbort, { once: true });
        waiting.push(grant);
      });
    },
  };
}

function once(release: () => void): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release();
  };
}

import { resourceExhausted } from "../errdefs.js";

/** Matching time one List or ListStream may spend in all, in milliseconds of CPU. */
export const MAX_MATCHING_MS = 1000;
/** Matching time after which a listing gives the event loop a turn, so other calls are not held up. */
const SLICE_MS = 4;

/**
 * Yields the items of `items` that `matches` accepts, in order. Every
 * {@link SLICE_MS} of matching it waits one turn of the event loop, so that a
 * costly filter over a large namespace shares the CPU with other calls instead
 * of stalling them; once the request has spent {@link MAX_MATCHING_MS} on
 * matching it fails with ResourceExhausted.
 */
export async function* matchPaced<T>(
  items: AsyncIterable<T>,
  matches: (item: T) => boolean,
  maxMatchingMs: number = MAX_MATCHING_MS,
): AsyncIterable<T> {
  let spent = 0;
  let slice = 0;
  for await (const item of items) {
    const started = performance.now();
    const accepted = matches(item);
    const took = performance.now() - started;
    spent += took;
    slice += took;
    if (spent > maxMatchingMs) {
      throw resourceExhausted(
        `filters: matching took more than ${maxMatchingMs} ms of CPU; use fewer or simpler regular expressions`,
      );
    }
    if (accepted) yield item;
    if (slice > SLICE_MS) {
      slice = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

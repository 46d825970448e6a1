/** One action over many items, a few calls at a time, with a result per item. */
import { errorMessage } from "../model/errors.js";

/** What happened to one item: `error` is the shown `Code: message`. */
export interface BulkResult {
  readonly id: string;
  readonly error?: string;
}

/**
 * Calls in flight at once: enough to hide latency, few enough to leave some of
 * the browser's six HTTP/1.1 connections per origin to the live feeds.
 */
const CONCURRENCY = 3;

/**
 * Runs `action` for every id and reports each result as it comes (`onResult`);
 * one failure does not stop the others. Resolves with every result, in `ids` order.
 */
export async function runBulk(
  ids: readonly string[],
  action: (id: string) => Promise<unknown>,
  onResult: (result: BulkResult) => void = () => undefined,
): Promise<BulkResult[]> {
  const results = new Array<BulkResult>(ids.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < ids.length; index = next++) {
      const id = ids[index] as string;
      let result: BulkResult;
      try {
        await action(id);
        result = { id };
      } catch (error) {
        result = { id, error: errorMessage(error) };
      }
      results[index] = result;
      onResult(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  return results;
}

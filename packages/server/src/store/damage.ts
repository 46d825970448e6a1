import { dataLoss, withoutPaths } from "../errdefs.js";

/**
 * A LevelDB error that says a file is damaged (a table block that does not
 * decompress or decode, a checksum mismatch) as DataLoss, with the way out;
 * any other error as it is.
 */
export function asDamage(error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  if (code !== "LEVEL_CORRUPTION" && !/\bCorruption\b/.test(message)) return error;
  return dataLoss(`database is damaged (${withoutPaths(message)}); stop berthd and run berthd check --repair`);
}

/**
 * `target` with every method's failures passed through {@link asDamage}: a
 * promise's rejection, and an async iterable's failing `next`. Applied once,
 * where the store is built, so that no read anywhere reports damage as Unknown.
 */
export function reportingDamage<T extends object>(target: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== "function") {
      wrapped[name] = value;
      continue;
    }
    wrapped[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (value as (...a: unknown[]) => unknown).apply(target, args);
      } catch (error) {
        throw asDamage(error);
      }
      if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(asDamage(error)));
      if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
        return iterableReportingDamage(result as AsyncIterable<unknown>);
      }
      return result;
    };
  }
  return wrapped as T;
}

function iterableReportingDamage<T>(iterable: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = iterable[Symbol.asyncIterator]();
      return {
        next: () => iterator.next().catch((error: unknown) => Promise.reject(asDamage(error))),
        return: async (value?: unknown) => (await iterator.return?.(value)) ?? { done: true, value: undefined },
      };
    },
  };
}

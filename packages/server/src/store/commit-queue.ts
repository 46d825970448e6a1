import type { AbstractChainedBatch } from "abstract-level";
import type { Database } from "./layout.js";

/** Adds one caller's operations to a batch that is about to be written. */
export type BatchWriter = (batch: AbstractChainedBatch<Database, string, Uint8Array>) => void;

/** Options of {@link createCommitQueue}. */
export interface CommitQueueOptions {
  /** fsync each batch before acknowledging it (default true). */
  readonly sync?: boolean;
}

/** Writes batches, coalescing concurrent callers into one LevelDB write. */
export interface CommitQueue {
  /** Resolves once the operations are written (and synced, if enabled); all or none of them land. */
  commit(write: BatchWriter): Promise<void>;
  /** Resolves when every commit accepted so far has settled. */
  drain(): Promise<void>;
}

interface Pending {
  readonly write: BatchWriter;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: while one synced batch is being written, every commit that
 * arrives waits, and the next batch carries all of them. One fsync then
 * acknowledges many writes, which is where the throughput of concurrent writers
 * comes from. Each caller's operations stay contiguous, and callers serialise
 * conflicting writes themselves (see `key-lock.ts`), so the order inside a batch
 * does not matter.
 */
export function createCommitQueue(db: Database, options: CommitQueueOptions = {}): CommitQueue {
  const writeOptions = { sync: options.sync ?? true, valueEncoding: "view" };
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const group = queue;
      queue = [];
      const batch = db.batch();
      const accepted: Pending[] = [];
      for (const pending of group) {
        try {
          pending.write(batch);
          accepted.push(pending);
        } catch (error) {
          pending.reject(error);
        }
      }
      try {
        if (batch.length > 0) await batch.write(writeOptions);
        else await batch.close();
        for (const pending of accepted) pending.resolve();
      } catch (error) {
        for (const pending of accepted) pending.reject(error);
      }
    }
  }

  function startFlush(): void {
    flushing = flush().finally(() => {
      flushing = undefined;
    });
  }

  return {
    commit(write) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ write, resolve, reject });
        if (flushing === undefined) startFlush();
      });
    },
    async drain() {
      while (flushing !== undefined) await flushing;
    },
  };
}

import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import type { AbstractChainedBatch } from "abstract-level";
import { type BerthError, resourceExhausted, unavailable, withoutPaths } from "../errdefs.js";
import type { EventEntry, EventLog } from "./event-log.js";
import type { Database } from "./layout.js";

/** Adds one caller's operations to a batch that is about to be written. */
export type BatchWriter = (batch: AbstractChainedBatch<Database, string, Uint8Array>) => void;

/** Options of {@link createCommitQueue}. */
export interface CommitQueueOptions {
  /** fsync each batch before acknowledging it (default true). */
  readonly sync?: boolean;
  /**
   * Makes the database safe to write again after a failed write, rejecting while
   * it cannot yet (e.g. the disk is still full). Until it resolves, every commit
   * is refused with the failure. Without it, a failed write only fails its callers.
   */
  readonly recover?: () => Promise<void>;
  /** How often recovery is retried in the background while writes fail (default 5 s). */
  readonly recoverRetryMs?: number;
  /** Where the events that commits carry are stored, in the same batch as their writes. */
  readonly eventLog?: EventLog;
}

/** Writes batches, coalescing concurrent callers into one LevelDB write. */
export interface CommitQueue {
  /**
   * Resolves once the operations are written (and synced, if enabled); all or none of them land.
   * @throws BerthError resource exhausted when the disk is full, unavailable for other write failures.
   */
  commit(write: BatchWriter, events?: readonly EventEntry[]): Promise<void>;
  /** Resolves when every commit accepted so far has settled. */
  drain(): Promise<void>;
  /** Why writes are refused now (the failed write), or undefined while they are accepted. */
  readonly failure: BerthError | undefined;
  /** Stops the background recovery; the queue takes no more commits after it drains. */
  close(): void;
}

interface Pending {
  readonly write: BatchWriter;
  readonly events: readonly EventEntry[] | undefined;
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
 *
 * After a failed write the queue refuses writes until `recover` succeeds: LevelDB
 * keeps appending to a log it could not write, and records appended after the
 * failure can be lost on the next open even though they were acknowledged.
 */
export function createCommitQueue(db: Database, options: CommitQueueOptions = {}): CommitQueue {
  const writeOptions = { sync: options.sync ?? true, valueEncoding: "view" };
  const eventLog = options.eventLog;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let failure: BerthError | undefined;
  let recovering: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;

  /** While writes fail, retry recovery now and then, so that health and writes come back without a write to try. */
  function retryInBackground(): void {
    const recoverDatabase = options.recover;
    if (retry !== undefined || recoverDatabase === undefined) return;
    retry = setInterval(() => {
      const current = failure;
      if (current === undefined) {
        clearInterval(retry);
        retry = undefined;
        return;
      }
      recover(recoverDatabase, current).catch(() => undefined);
    }, options.recoverRetryMs ?? 5000);
    retry.unref();
  }

  async function flush(): Promise<void> {
    for (;;) {
      if (queue.length === 0) {
        // Cleared in the same turn as the queue is seen empty: a commit that arrives after it starts a new flush.
        flushing = undefined;
        return;
      }
      const group = queue;
      queue = [];
      if (failure !== undefined) {
        for (const pending of group) pending.reject(failure);
        continue;
      }
      let batch: AbstractChainedBatch<Database, string, Uint8Array>;
      try {
        batch = db.batch();
      } catch (error) {
        for (const pending of group) pending.reject(error);
        continue;
      }
      const accepted: Pending[] = [];
      const appended: Event[] = [];
      const firstSequence = eventLog === undefined ? 0n : eventLog.newest + 1n;
      for (const pending of group) {
        try {
          pending.write(batch);
          accepted.push(pending);
        } catch (error) {
          pending.reject(error);
          continue;
        }
        // Each write's events follow it, so that sequence order is commit order.
        if (eventLog !== undefined)
          for (const entry of pending.events ?? []) appended.push(eventLog.append(batch, entry));
      }
      try {
        if (batch.length > 0) await batch.write(writeOptions);
        else await batch.close();
        eventLog?.committed(appended);
        for (const pending of accepted) pending.resolve();
      } catch (error) {
        eventLog?.abandoned(firstSequence);
        const classified = writeFailure(error);
        if (options.recover !== undefined) {
          failure = classified;
          retryInBackground();
        }
        for (const pending of accepted) pending.reject(classified);
      }
    }
  }

  function startFlush(): void {
    let finished: () => void = () => undefined;
    const current = new Promise<void>((resolve) => {
      finished = resolve;
    });
    flushing = current;
    void flush().finally(() => {
      // flush clears `flushing` itself; this only covers one that threw.
      if (flushing === current) flushing = undefined;
      finished();
    });
  }

  async function drain(): Promise<void> {
    while (flushing !== undefined) await flushing;
  }

  /** One recovery attempt at a time; callers that arrive meanwhile share its outcome. */
  function recover(recoverDatabase: () => Promise<void>, current: BerthError): Promise<void> {
    recovering ??= (async () => {
      try {
        await drain();
        await recoverDatabase();
        failure = undefined;
      } catch {
        throw current;
      } finally {
        recovering = undefined;
      }
    })();
    return recovering;
  }

  function enqueue(write: BatchWriter, events: readonly EventEntry[] | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      queue.push({ write, events, resolve, reject });
      if (flushing === undefined) startFlush();
    });
  }

  return {
    commit(write, events) {
      if (failure === undefined || options.recover === undefined) return enqueue(write, events);
      return recover(options.recover, failure).then(() => enqueue(write, events));
    },
    drain,
    get failure() {
      return failure;
    },
    close() {
      clearInterval(retry);
      retry = undefined;
    },
  };
}

/** A failed LevelDB write as an error class: a full disk (or file size limit) is resource exhausted. */
function writeFailure(error: unknown): BerthError {
  const message = withoutPaths(error instanceof Error ? error.message : String(error));
  return /no space left on device|file too large|disk quota exceeded/i.test(message)
    ? resourceExhausted(`database write failed (${message})`)
    : unavailable(`database write failed (${message})`);
}

import { statfs } from "node:fs/promises";
import type { Database } from "./layout.js";

/**
 * Free bytes required before recovering: room to flush a full memtable
 * (LevelDB's write buffer is 4 MiB) into a table file, with margin.
 */
export const RECOVERY_HEADROOM_BYTES = 8 * 1024 * 1024;

/** The part of classic-level that recovery needs; memory-level has no such method. */
interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

/** Options of {@link createWriteRecovery}. */
export interface WriteRecoveryOptions {
  /** Directory of the database, whose file system must have room again. */
  readonly location: string;
  /** A key to name in `compactRange`; which one does not matter. */
  readonly anyKey: string;
  /** An idempotent synced write that proves the database takes writes again. */
  readonly probe: () => Promise<void>;
  /**
   * Closes and reopens the database: the last resort when LevelDB keeps a
   * failed background write (a table it could not flush) as a permanent error.
   */
  readonly reopen: () => Promise<void>;
}

/**
 * Recovery after a failed write, for the commit queue. LevelDB discards what it
 * could not append but counts it in its log offsets, so the rest of that log can
 * be unreadable on the next open. `compactRange` flushes the memtable (every
 * acknowledged record) to a table file and switches to a new log, leaving the
 * damaged one to be deleted. When a background flush failed, LevelDB refuses
 * every write for as long as it is open, so the database is reopened: it
 * replays its log (every acknowledged record) into a new table. Refuses while
 * the disk has less than {@link RECOVERY_HEADROOM_BYTES} free, so a still-full
 * disk costs a `statfs`, not a failed flush.
 */
export function createWriteRecovery(db: Database, options: WriteRecoveryOptions): (() => Promise<void>) | undefined {
  const compactable = db as unknown as Partial<Compactable>;
  if (typeof compactable.compactRange !== "function") return undefined;
  const compactRange = compactable.compactRange.bind(db);
  return async () => {
    const { bavail, bsize } = await statfs(options.location);
    if (bavail * bsize < RECOVERY_HEADROOM_BYTES) {
      throw new Error(`${options.location}: ${bavail * bsize} bytes free, waiting for ${RECOVERY_HEADROOM_BYTES}`);
    }
    try {
      await compactRange(options.anyKey, options.anyKey);
      await options.probe();
    } catch {
      await options.reopen();
      await options.probe();
    }
  };
}

import { constants } from "node:fs";
import { access, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ClassicLevel } from "classic-level";
import { Level } from "level";
import type { Database } from "./layout.js";
import { createLevelStore, type LevelStoreOptions } from "./level-store.js";
import type { Store } from "./types.js";
import { findLogDamage, type LogDamage, salvageLogs } from "./write-ahead-log.js";

/** Raised when another process holds the database. */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
}

/** Raised when the database directory cannot be created, written or opened; the message names the path. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/**
 * Raised, before LevelDB opens the database, when its write-ahead log is
 * damaged: opening would drop acknowledged records silently. The message says
 * what is damaged and the way out.
 */
export class StoreDamagedError extends Error {
  override readonly name = "StoreDamagedError";

  constructor(
    readonly location: string,
    readonly damage: readonly LogDamage[],
  ) {
    super(
      `database ${location} is damaged: ${describeDamage(damage)}; nothing was changed. ` +
        `Stop here and copy the directory, or run \`berthd check --repair --root ${dirname(location)}\` to keep what can be read`,
    );
  }
}

/** The damage in words: `000005.log at byte 98304: checksum mismatch (32768 bytes unreadable)`, and how many more. */
export function describeDamage(damage: readonly LogDamage[]): string {
  const [first] = damage;
  if (first === undefined) return "no damage";
  const more = damage.length > 1 ? ` and ${damage.length - 1} more` : "";
  return `${first.file} at byte ${first.offset}: ${first.reason} (${first.bytes} bytes unreadable)${more}`;
}

/**
 * Opens (creating if needed) the LevelDB database under `root/db` and returns the
 * store over it.
 *
 * A damaged log is refused before LevelDB sees it, so a failed start changes nothing.
 *
 * @throws StoreLockedError when another berthd has the database open.
 * @throws StoreUnavailableError when the directory is read-only, not ours, or LevelDB cannot open it.
 * @throws StoreDamagedError when the write-ahead log is damaged.
 */
export async function openStore(root: string, options: LevelStoreOptions = {}): Promise<Store> {
  const location = join(root, "db");
  await refuseDamaged(location);
  try {
    await mkdir(location, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StoreUnavailableError(
      `cannot create database directory ${location}: ${await whyUnwritable(location, error)}`,
    );
  }
  // LevelDB would only say "failed to open" on a read-only root; test writability first to name the cause.
  try {
    await access(location, constants.W_OK);
  } catch (error) {
    throw new StoreUnavailableError(
      `database directory ${location} is not writable: ${await whyUnwritable(location, error)}`,
    );
  }
  const db = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (error) {
    throw openError(location, error);
  }
  try {
    return await createLevelStore(db as unknown as Database, { ...options, location });
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * Opens an existing database under `root/db` without creating anything, for tools
 * that only read (berthd check). LevelDB may still fold its log into a table file
 * on open: that rewrites files, never records.
 *
 * @throws StoreLockedError when a berthd has the database open.
 * @throws StoreUnavailableError when there is no database or LevelDB cannot open it.
 */
export async function openExistingDatabase(root: string): Promise<Database> {
  const location = join(root, "db");
  try {
    await access(join(location, "CURRENT"), constants.R_OK);
  } catch (error) {
    throw new StoreUnavailableError(`no database at ${location}: ${describeCode(error)}`);
  }
  await refuseDamaged(location);
  const db = new Level<string, Uint8Array>(location, {
    keyEncoding: "utf8",
    valueEncoding: "view",
    createIfMissing: false,
  });
  try {
    await db.open();
  } catch (error) {
    throw openError(location, error);
  }
  return db as unknown as Database;
}

async function refuseDamaged(location: string): Promise<void> {
  const damage = await findLogDamage(location);
  if (damage.length > 0) throw new StoreDamagedError(location, damage);
}

function openError(location: string, error: unknown): Error {
  if (isLocked(error)) {
    return new StoreLockedError(
      `database ${location} is in use by another process (is another berthd running on this --root?)`,
    );
  }
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`cannot open database ${location}: ${detail}`);
}

/**
 * Why a path cannot be written, in words: mkdir on a read-only mount reports
 * ENOENT for a missing parent, so ask the nearest existing ancestor instead.
 */
async function whyUnwritable(path: string, error: unknown): Promise<string> {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      await access(dir, constants.F_OK);
    } catch {
      if (dir !== dirname(dir)) continue;
    }
    try {
      await access(dir, constants.W_OK);
    } catch (denied) {
      return describeCode(denied);
    }
    return describeCode(error);
  }
}

function describeCode(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === "EROFS") return "read-only file system";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on device";
  if (code === "ENOENT") return "no such file or directory";
  return error instanceof Error ? error.message : String(error);
}

function isLocked(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return (error as { code?: string }).code === "LEVEL_LOCKED" || cause?.code === "LEVEL_LOCKED";
}

/** What {@link repairDatabase} did. */
export interface RepairResult {
  /** The log damage cut out: what was dropped. */
  readonly damage: readonly LogDamage[];
  /** Where the damaged logs were moved, as they were (when there were any). */
  readonly keptIn: string | undefined;
  /** LevelDB's own account of the repair (its LOG lines that mention lost or salvaged data). */
  readonly notes: readonly string[];
}

/**
 * Repairs the database under `root/db` (berthd must be stopped): damaged logs
 * are rewritten with only their intact records (the originals moved to
 * `root/damaged-<time>/`), then LevelDB's repair rebuilds the tables from the
 * logs and every readable table, dropping blocks that cannot be read.
 *
 * @throws StoreLockedError when a berthd has the database open.
 * @throws StoreUnavailableError when there is no database.
 */
export async function repairDatabase(root: string): Promise<RepairResult> {
  const location = join(root, "db");
  try {
    await access(join(location, "CURRENT"), constants.R_OK);
  } catch (error) {
    throw new StoreUnavailableError(`no database at ${location}: ${describeCode(error)}`);
  }
  const keepDir = join(root, `damaged-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  const damage = await salvageLogs(location, keepDir);
  try {
    await ClassicLevel.repair(location);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/lock/i.test(text)) {
      throw new StoreLockedError(`database ${location} is in use by another process (stop berthd before --repair)`);
    }
    throw new StoreUnavailableError(`cannot repair database ${location}: ${text}`);
  }
  const log = await readFile(join(location, "LOG"), "utf8").catch(() => "");
  const notes = log
    .split("\n")
    .filter((line) => /corrupt|dropp|ignor|lost|error|saved/i.test(line))
    .map((line) => line.replace(/^\S+ \S+ \S+ /, "").trim());
  return { damage, keptIn: damage.length === 0 ? undefined : keepDir, notes };
}

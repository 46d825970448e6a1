import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Level } from "level";
import type { Database } from "./layout.js";
import { createLevelStore, type LevelStoreOptions } from "./level-store.js";
import type { Store } from "./types.js";

/** Raised when another process holds the database. */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
}

/** Raised when the database directory cannot be created, written or opened; the message names the path. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/**
 * Opens (creating if needed) the LevelDB database under `root/db` and returns the
 * store over it.
 *
 * @throws StoreLockedError when another berthd has the database open.
 * @throws StoreUnavailableError when the directory is read-only, not ours, or LevelDB cannot open it.
 */
export async function openStore(root: string, options: LevelStoreOptions = {}): Promise<Store> {
  const location = join(root, "db");
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

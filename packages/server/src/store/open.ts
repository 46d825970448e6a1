import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import type { Database } from "./layout.js";
import { createLevelStore, type LevelStoreOptions } from "./level-store.js";
import type { Store } from "./types.js";

/** Raised when another process holds the database. */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
}

/**
 * Opens (creating if needed) the LevelDB database under `root/db` and returns the
 * store over it.
 *
 * @throws StoreLockedError when another berthd has the database open.
 */
export async function openStore(root: string, options: LevelStoreOptions = {}): Promise<Store> {
  const location = join(root, "db");
  await mkdir(location, { recursive: true, mode: 0o700 });
  const db = new Level<string, Uint8Array>(location, { keyEncoding: "utf8", valueEncoding: "view" });
  try {
    await db.open();
  } catch (error) {
    if (isLocked(error)) {
      throw new StoreLockedError(
        `database ${location} is in use by another process (is another berthd running on this --root?)`,
      );
    }
    throw error;
  }
  try {
    return await createLevelStore(db as unknown as Database, options);
  } catch (error) {
    await db.close();
    throw error;
  }
}

function isLocked(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return (error as { code?: string }).code === "LEVEL_LOCKED" || cause?.code === "LEVEL_LOCKED";
}

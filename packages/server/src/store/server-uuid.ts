import { randomUUID } from "node:crypto";
import type { StoreContext } from "./context.js";

/** A UUID as containerd writes it: 8-4-4-4-12 hex digits. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a UUID in its canonical text form. */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/**
 * The server's UUID (introspection's `Server`), kept under `!meta!uuid`. As
 * containerd does with its `uuid` file, it is made on first use and stays for
 * the life of the database; the first caller's write is synced before anyone
 * sees the value, so an answered UUID never changes, even after `kill -9`.
 *
 * @returns a function that resolves the UUID; it rejects, as containerd's
 * `Server` does, when the stored value is not a UUID.
 */
export function createServerUuid(context: StoreContext): () => Promise<string> {
  let pending: Promise<string> | undefined;
  const load = async () => {
    const stored = await context.layout.meta.get("uuid");
    if (stored !== undefined) {
      if (!isUuid(stored)) throw new Error(`invalid UUID ${JSON.stringify(stored.slice(0, 64))} in the database`);
      return stored;
    }
    const made = randomUUID();
    await context.queue.commit((batch) => batch.put("uuid", made, { sublevel: context.layout.meta }));
    return made;
  };
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

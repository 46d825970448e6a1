/**
 * Serialises work per key within this process. LevelDB has no transactions, and
 * berthd is the only process that can open its database (LevelDB's lock), so
 * holding a key's lock from the existence check until the write is synced makes
 * read-check-write sequences atomic.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task on `key` has settled. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(key, tail);
    try {
      if (previous !== undefined) await previous;
      return await task();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map holds only busy keys.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

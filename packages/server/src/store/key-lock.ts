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

interface RwState {
  readers: number;
  writer: boolean;
  readonly waiting: { readonly exclusive: boolean; readonly grant: () => void }[];
}

/**
 * Shared/exclusive locks per key, granted in arrival order. Many writers inside
 * a namespace share its lock; deleting the namespace takes it exclusively, so no
 * record can be added to a namespace while it is being removed.
 */
export class SharedKeyLock {
  private readonly states = new Map<string, RwState>();

  /** Runs `task` while holding `key` shared. */
  shared<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.hold(key, false, task);
  }

  /** Runs `task` while holding `key` alone. */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.hold(key, true, task);
  }

  private async hold<T>(key: string, exclusive: boolean, task: () => Promise<T>): Promise<T> {
    let state = this.states.get(key);
    if (state === undefined) {
      state = { readers: 0, writer: false, waiting: [] };
      this.states.set(key, state);
    }
    if (state.waiting.length === 0 && this.grantable(state, exclusive)) {
      this.take(state, exclusive);
    } else {
      const queued = state;
      await new Promise<void>((resolve) => queued.waiting.push({ exclusive, grant: resolve }));
    }
    try {
      return await task();
    } finally {
      this.release(key, state, exclusive);
    }
  }

  private grantable(state: RwState, exclusive: boolean): boolean {
    return !state.writer && (!exclusive || state.readers === 0);
  }

  private take(state: RwState, exclusive: boolean): void {
    if (exclusive) state.writer = true;
    else state.readers += 1;
  }

  private release(key: string, state: RwState, exclusive: boolean): void {
    if (exclusive) state.writer = false;
    else state.readers -= 1;
    for (
      let next = state.waiting[0];
      next !== undefined && this.grantable(state, next.exclusive);
      next = state.waiting[0]
    ) {
      state.waiting.shift();
      this.take(state, next.exclusive);
      next.grant();
    }
    if (state.readers === 0 && !state.writer && state.waiting.length === 0) this.states.delete(key);
  }
}

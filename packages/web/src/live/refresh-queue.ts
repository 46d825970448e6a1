/**
 * Re-reads containers that events said changed: deduplicated, a few at a
 * time, and never letting an answer that a newer event overtook win.
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";

/** Options of {@link createRefreshQueue}. */
export interface RefreshQueueOptions {
  /** Reads a container now: `undefined` when it is gone (or no longer matches the view). */
  readonly fetch: (id: string, signal: AbortSignal) => Promise<Container | undefined>;
  /** Applies a fresh answer to the view. */
  readonly apply: (id: string, container: Container | undefined) => void;
  /** A fetch failed; the caller decides whether the connection is lost. */
  readonly fail: (error: unknown) => void;
  /** More than `limit` ids wait: the queue was dropped and the caller should list again. */
  readonly overflow: () => void;
  /** Fetches in flight at once (default 3: a browser has 6 connections per origin). */
  readonly concurrency?: number;
  /** Waiting ids beyond which listing again is cheaper (default 256). */
  readonly limit?: number;
}

/** A refresh queue; idle until {@link RefreshQueue.resume} gives it a live signal. */
export interface RefreshQueue {
  /** The container changed: fetch it (again). */
  changed(id: string): void;
  /** The caller knows the container's state itself (deleted, or just written): fetches in flight are void. */
  settled(id: string): void;
  /** Starts fetching under `signal` (a connection attempt). */
  resume(signal: AbortSignal): void;
  /** Drops everything waiting (the attempt ended). */
  clear(): void;
}

/** Creates an idle queue. */
export function createRefreshQueue(options: RefreshQueueOptions): RefreshQueue {
  const concurrency = options.concurrency ?? 3;
  const limit = options.limit ?? 256;
  const pending = new Set<string>();
  // Bumped by every change about an id: an answer to an older request is dropped.
  const generations = new Map<string, number>();
  let signal: AbortSignal | undefined;
  let running = 0;

  const bump = (id: string) => generations.set(id, (generations.get(id) ?? 0) + 1);

  async function refresh(id: string, live: AbortSignal) {
    const generation = generations.get(id);
    try {
      const container = await options.fetch(id, live);
      if (generations.get(id) === generation && !live.aborted) options.apply(id, container);
    } catch (error) {
      if (generations.get(id) === generation && !live.aborted) options.fail(error);
    }
  }

  function pump() {
    const live = signal;
    while (live !== undefined && !live.aborted && running < concurrency) {
      const id = pending.values().next().value;
      if (id === undefined) return;
      pending.delete(id);
      running++;
      void refresh(id, live).finally(() => {
        running--;
        pump();
      });
    }
  }

  return {
    changed(id) {
      bump(id);
      pending.add(id);
      if (pending.size > limit) {
        pending.clear();
        options.overflow();
        return;
      }
      pump();
    },
    settled(id) {
      bump(id);
      pending.delete(id);
    },
    resume(next) {
      signal = next;
      pump();
    },
    clear() {
      pending.clear();
    },
  };
}

/**
 * The containers of the current view, kept in containerd's list order (byte
 * order of the id) so the table can index rows directly.
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** Sorted, id-keyed containers with change notification. */
export interface ContainerStore {
  /** Number of containers. */
  readonly size: number;
  /** Bumped on every change. */
  readonly version: number;
  /** The container at a row index (0-based), in id order. */
  at(index: number): Container | undefined;
  /** The container with this id. */
  get(id: string): Container | undefined;
  /** Row index of an id, or -1. */
  indexOf(id: string): number;
  /**
   * Inserts or replaces a container. A record older than the one held (by
   * `updated_at`) is ignored, so a slow listing cannot undo a newer update.
   */
  upsert(container: Container): void;
  /** Removes a container; returns whether it was there. */
  remove(id: string): boolean;
  /** Removes every container whose id is not in `ids`. */
  retain(ids: ReadonlySet<string>): void;
  /** Removes everything. */
  clear(): void;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Creates an empty store. */
export function createContainerStore(): ContainerStore {
  const byId = new Map<string, Container>();
  let ids: string[] = [];
  let version = 0;
  const listeners = new Set<() => void>();

  const changed = () => {
    version++;
    for (const listener of listeners) listener();
  };

  /** First index whose id is >= `id`. */
  const lowerBound = (id: string): number => {
    let low = 0;
    let high = ids.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((ids[middle] as string) < id) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  return {
    get size() {
      return ids.length;
    },
    get version() {
      return version;
    },
    at: (index) => {
      const id = ids[index];
      return id === undefined ? undefined : byId.get(id);
    },
    get: (id) => byId.get(id),
    indexOf(id) {
      if (!byId.has(id)) return -1;
      return lowerBound(id);
    },
    upsert(container) {
      const held = byId.get(container.id);
      if (held !== undefined) {
        if (compareTimestamps(container.updatedAt, held.updatedAt) < 0) return;
      } else {
        const last = ids[ids.length - 1];
        // Listings arrive in id order: appending is the common case.
        if (last === undefined || last < container.id) ids.push(container.id);
        else ids.splice(lowerBound(container.id), 0, container.id);
      }
      byId.set(container.id, container);
      changed();
    },
    remove(id) {
      if (!byId.delete(id)) return false;
      ids.splice(lowerBound(id), 1);
      changed();
      return true;
    },
    retain(keep) {
      if (ids.every((id) => keep.has(id))) return;
      ids = ids.filter((id) => {
        if (keep.has(id)) return true;
        byId.delete(id);
        return false;
      });
      changed();
    },
    clear() {
      if (ids.length === 0) return;
      ids = [];
      byId.clear();
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Orders two timestamps; a missing one sorts first. */
export function compareTimestamps(a: Timestamp | undefined, b: Timestamp | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.nanos - b.nanos;
}

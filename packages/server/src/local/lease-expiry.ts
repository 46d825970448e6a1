import type { LeaseStore, NamespaceStore } from "../store/types.js";

/** Label holding a lease's expiry time (RFC 3339), as in containerd's GC. */
export const EXPIRE_LABEL = "containerd.io/gc.expire";

/** Dependencies of {@link sweepExpiredLeases}. */
export interface LeaseSweepOptions {
  readonly namespaces: NamespaceStore;
  readonly leases: LeaseStore;
  readonly now?: () => Date;
}

/**
 * Deletes every lease whose `containerd.io/gc.expire` time has passed, in every
 * namespace. An unparseable time is ignored and the lease kept, as containerd's GC does.
 * @returns the number of leases deleted
 */
export async function sweepExpiredLeases({
  namespaces,
  leases,
  now = () => new Date(),
}: LeaseSweepOptions): Promise<number> {
  const cutoff = now().getTime();
  let deleted = 0;
  for await (const { name } of namespaces.list()) {
    const expired: string[] = [];
    for await (const lease of leases.list(name)) {
      const expiry = parseRfc3339(Object.hasOwn(lease.labels, EXPIRE_LABEL) ? lease.labels[EXPIRE_LABEL] : undefined);
      if (!Number.isNaN(expiry) && expiry < cutoff) expired.push(lease.id);
    }
    for (const id of expired) if (await leases.delete(name, id)) deleted += 1;
  }
  return deleted;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 time (Go's `time.RFC3339` layout), else NaN. */
function parseRfc3339(value: string | undefined): number {
  return value !== undefined && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
}

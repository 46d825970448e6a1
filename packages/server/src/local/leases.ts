import { randomBytes } from "node:crypto";
import { type Lease, LeaseSchema, type Resource } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create } from "@bufbuild/protobuf";
import { BerthError, invalidArgument, notFound } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";
import type { LeaseStore } from "../store/types.js";
import { deleteMissError } from "./bucket-misses.js";
import { type Clock, systemClock } from "./clock.js";
import type { FieldAdaptor } from "./filters/index.js";
import { ownEntry, withoutEmptyLabels } from "./labels.js";
import { parseListFilters } from "./list-filters.js";
import type { RequestNamespace } from "./namespace.js";
import { MAX_MATCHING_MS, matchPaced } from "./paced-matching.js";

/** Dependencies of {@link createLeasesLocal}. */
export interface LeasesLocalOptions {
  readonly store: LeaseStore;
  readonly clock?: Clock;
  /** CPU one listing may spend matching filters (default {@link MAX_MATCHING_MS}). */
  readonly maxMatchingMs?: number;
}

/** containerd's lease rules (`services/leases`, `metadata/leases.go`). */
export interface LeasesLocal {
  create(namespace: RequestNamespace, id: string, labels: Readonly<Record<string, string>>): Promise<Lease>;
  delete(namespace: RequestNamespace, id: string): Promise<void>;
  list(namespace: RequestNamespace, filters: readonly string[]): AsyncIterable<Lease>;
  addResource(namespace: RequestNamespace, id: string, resource: Resource): Promise<void>;
  deleteResource(namespace: RequestNamespace, id: string, resource: Resource): Promise<void>;
  listResources(namespace: RequestNamespace, id: string): Promise<Resource[]>;
}

/** Digest algorithms go-digest accepts, with their hex lengths. */
const DIGEST_HEX_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function isDigest(value: string): boolean {
  const [algorithm = "", hex = "", ...rest] = value.split(":");
  const length = DIGEST_HEX_LENGTHS[algorithm];
  return rest.length === 0 && length !== undefined && hex.length === length && /^[a-f0-9]+$/.test(hex);
}

/** Builds the lease rules over a store. */
export function createLeasesLocal({
  store,
  clock = systemClock,
  maxMatchingMs = MAX_MATCHING_MS,
}: LeasesLocalOptions): LeasesLocal {
  const leaseNotFound = (id: string) => notFound(`lease ${quoteInput(id)}`);

  return {
    async create(requestNamespace, id, labels) {
      const namespace = requestNamespace.require();
      const now = clock();
      const lease = create(LeaseSchema, {
        id: id === "" ? generateLeaseId(now.nanos) : id,
        createdAt: now,
        labels: withoutEmptyLabels(labels),
      });
      await store.create(namespace, lease);
      return lease;
    },

    async delete(requestNamespace, id) {
      const namespace = requestNamespace.require();
      if (await store.delete(namespace, id)) return;
      throw deleteMissError(await store.bucket(namespace), id, () => leaseNotFound(id)) ?? leaseNotFound(id);
    },

    list(requestNamespace, filters) {
      const namespace = requestNamespace.require();
      const filter = parseListFilters(filters);
      const all = store.list(namespace);
      return filter === undefined ? all : matchPaced(all, (lease) => filter.match(leaseFields(lease)), maxMatchingMs);
    },

    async addResource(requestNamespace, id, resource) {
      const namespace = requestNamespace.require();
      if ((await store.get(namespace, id)) === undefined) throw leaseNotFound(id);
      validateResource(resource);
      if (!(await store.addResource(namespace, id, resource))) throw leaseNotFound(id);
    },

    async deleteResource(requestNamespace, id, resource) {
      const namespace = requestNamespace.require();
      if ((await store.get(namespace, id)) === undefined) throw leaseNotFound(id);
      validateResource(resource);
      if (!(await store.deleteResource(namespace, id, resource))) throw leaseNotFound(id);
    },

    async listResources(requestNamespace, id) {
      const namespace = requestNamespace.require();
      const resources = await store.listResources(namespace, id);
      if (resources === undefined) throw leaseNotFound(id);
      return resources;
    },
  };
}

/**
 * A lease id in containerd's format `<N>-<B>`: N is the nanosecond within the
 * current second, B four base64url characters of three random bytes.
 */
export function generateLeaseId(nanos: number): string {
  return `${nanos}-${randomBytes(3).toString("base64url")}`;
}

/**
 * Checks a resource reference as containerd does: `content` (the id must be a
 * digest), `ingests`, or `snapshots/<snapshotter>`; anything else is not implemented.
 */
function validateResource(resource: Resource | undefined): void {
  const type = resource?.type ?? "";
  const id = resource?.id ?? "";
  if (type === "content") {
    if (!isDigest(id)) throw invalidArgument(`invalid content resource ${quoteInput(id)}: not a digest`);
    return;
  }
  if (type === "ingests" || (type.startsWith("snapshots/") && type.length > "snapshots/".length)) return;
  throw new BerthError("not implemented", `resource type ${type} not supported yet: not implemented`);
}

/** The fields a lease filter can see: `id` and `labels.<key>`. */
function leaseFields(lease: Lease): FieldAdaptor {
  return {
    field(path) {
      if (path[0] === "id" && path.length === 1) return lease.id === "" ? undefined : lease.id;
      if (path[0] === "labels" && path.length > 1) return ownEntry(lease.labels, path.slice(1).join("."));
      return undefined;
    },
  };
}

import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import type { Lease, Resource } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import type { BucketState } from "./buckets.js";
import type { IndexedField } from "./container-index.js";
import type { EventEntry, EventLog, EventRetention } from "./event-log.js";
import type { StoredContainer } from "./stored-container.js";

/** Options of a listing. */
export interface ListOptions {
  /** Stops the iteration early (the caller went away). */
  readonly signal?: AbortSignal;
  /** Only ids after this one (byte order): where a page starts. */
  readonly after?: string;
}

/**
 * Container records per namespace, after containerd's `containers.Store`. Every
 * method is atomic; writes resolve only once durable. Writing the first record
 * of a namespace creates the namespace.
 */
export interface ContainerStore {
  /** The container, or undefined when the namespace holds no such id. */
  get(namespace: string, id: string): Promise<StoredContainer | undefined>;
  /** Every container of the namespace in byte order of id, read lazily from one snapshot. */
  list(namespace: string, options?: ListOptions): AsyncIterable<StoredContainer>;
  /** How many containers the namespace holds (keys only: no record is read). */
  count(namespace: string): Promise<number>;
  /**
   * The ids of the namespace's containers whose `field` equals `value`, in id
   * order, from the equality index (see `container-index.ts`).
   */
  indexed(namespace: string, field: IndexedField, value: string): Promise<string[]>;
  /** The namespace's containers bucket, as containerd's bbolt would have it (see `buckets.ts`). */
  bucket(namespace: string): Promise<BucketState>;
  /**
   * Stores a new container, and `event` in the same batch.
   * @throws BerthError (already exists) `container "<id>": already exists`
   */
  create(namespace: string, container: Container, event?: Envelope): Promise<void>;
  /**
   * Replaces a container with what `change` makes of the stored one, with no
   * other write to that id in between, and the event `event` makes of the
   * result in the same batch. `change` may throw to abort.
   * @returns the stored result, or undefined when the id does not exist.
   */
  update(
    namespace: string,
    id: string,
    change: (current: Container) => Container,
    event?: (updated: Container) => Envelope,
  ): Promise<Container | undefined>;
  /** Removes a container, and stores `event` in the same batch; false when the id does not exist. */
  delete(namespace: string, id: string, event?: Envelope): Promise<boolean>;
}

/** A namespace and its labels. */
export interface NamespaceRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Why a namespace could not be deleted. */
export type NamespaceDeleteResult =
  | { readonly deleted: true }
  | { readonly deleted: false; readonly reason: "not found" }
  | { readonly deleted: false; readonly reason: "not empty"; readonly holds: readonly string[] };

/** Namespace records (containerd `metadata/namespaces.go`). */
export interface NamespaceStore {
  /** The namespace's labels, or undefined when it does not exist. */
  get(name: string): Promise<NamespaceRecord | undefined>;
  /** Every namespace in byte order of name. */
  list(options?: ListOptions): AsyncIterable<NamespaceRecord>;
  /**
   * Every namespace record as stored, in byte order of name: each is an
   * encoded `containerd.services.namespaces.v1.Namespace`, which a List
   * answer can carry without decoding.
   */
  listEncoded(): Promise<Uint8Array[]>;
  /**
   * Creates a namespace, and stores `event` in the same batch.
   * @throws BerthError (already exists) `namespace "<name>": already exists`
   */
  create(record: NamespaceRecord, event?: Envelope): Promise<void>;
  /**
   * Sets a namespace's labels to what `change` makes of them, creating the
   * namespace if needed — unless `create` is false: then a missing namespace
   * stays missing and the result is undefined.
   */
  update(
    name: string,
    change: (labels: Readonly<Record<string, string>>) => Record<string, string>,
    options?: { readonly create?: boolean; readonly event?: Envelope },
  ): Promise<NamespaceRecord | undefined>;
  /** Removes a namespace with its labels and leases, unless it still holds containers; `event` goes with it. */
  delete(name: string, event?: Envelope): Promise<NamespaceDeleteResult>;
}

/** Lease records per namespace (containerd `metadata/leases.go`). */
export interface LeaseStore {
  get(namespace: string, id: string): Promise<Lease | undefined>;
  /** Every lease of the namespace in byte order of id. */
  list(namespace: string, options?: ListOptions): AsyncIterable<Lease>;
  /**
   * Stores a new lease.
   * @throws BerthError (already exists) `lease "<id>": already exists`
   */
  create(namespace: string, lease: Lease): Promise<void>;
  /** The namespace's leases bucket, as containerd's bbolt would have it (see `buckets.ts`). */
  bucket(namespace: string): Promise<BucketState>;
  /** Removes a lease and its resource references; false when it does not exist. */
  delete(namespace: string, id: string): Promise<boolean>;
  /** Adds a resource reference; false when the lease does not exist. */
  addResource(namespace: string, id: string, resource: Resource): Promise<boolean>;
  /** Drops a resource reference (a missing one is fine); false when the lease does not exist. */
  deleteResource(namespace: string, id: string, resource: Resource): Promise<boolean>;
  /** The lease's resources in key order, or undefined when it does not exist. */
  listResources(namespace: string, id: string): Promise<Resource[] | undefined>;
}

/** How much the store holds, for metrics. */
export interface StoreSizes {
  readonly namespaces: number;
  /** Containers in all namespaces. */
  readonly containers: number;
  /** Leases in all namespaces. */
  readonly leases: number;
  /** Bytes of the database's files on disk (0 for an in-memory database). */
  readonly diskBytes: number;
}

/** The whole store: one object per kind of record, and its lifecycle. */
/** The durable event history (see `event-log.ts`). */
export interface EventHistory {
  /** Reads, the newest sequence, and each committed batch's events. */
  readonly log: Pick<EventLog, "newest" | "read" | "oldest" | "onCommitted">;
  /** Stores events that report no write of the store's own (Events.Publish, Forward; containerd's, gateway mode). */
  record(entries: readonly EventEntry[]): Promise<void>;
  /** Deletes at most `limit` of the oldest events beyond `retention`; how many went. */
  prune(retention: EventRetention, limit: number): Promise<number>;
}

export interface Store {
  readonly containers: ContainerStore;
  readonly namespaces: NamespaceStore;
  readonly leases: LeaseStore;
  readonly history: EventHistory;
  /** Counts the records (a scan of the keys: not for every request). */
  sizes(): Promise<StoreSizes>;
  /** The server's UUID: made and synced on first use, the same ever after (introspection's `Server`). */
  serverUuid(): Promise<string>;
  /** Why writes are refused now (a full disk, a failed write not yet recovered from), or undefined while they work. */
  writeFailure(): string | undefined;
  /** Waits for accepted writes, then closes the database. */
  close(): Promise<void>;
}

import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";

/** Options of a listing. */
export interface ListOptions {
  /** Stops the iteration early (the caller went away). */
  readonly signal?: AbortSignal;
}

/**
 * Container records per namespace, after containerd's `containers.Store`. Every
 * method is atomic; writes resolve only once durable.
 */
export interface ContainerStore {
  /** The container, or undefined when the namespace holds no such id. */
  get(namespace: string, id: string): Promise<Container | undefined>;
  /** Every container of the namespace in byte order of id, read lazily as the caller iterates. */
  list(namespace: string, options?: ListOptions): AsyncIterable<Container>;
  /** Whether the namespace holds at least one container. */
  hasAny(namespace: string): Promise<boolean>;
  /**
   * Stores a new container.
   * @throws BerthError (already exists) `container "<id>": already exists`
   */
  create(namespace: string, container: Container): Promise<void>;
  /**
   * Replaces a container with what `change` makes of the stored one, with no
   * other write to that id in between. `change` may throw to abort.
   * @returns the stored result, or undefined when the id does not exist.
   */
  update(namespace: string, id: string, change: (current: Container) => Container): Promise<Container | undefined>;
  /** Removes a container; false when the id does not exist. */
  delete(namespace: string, id: string): Promise<boolean>;
}

/** The whole store: one object per kind of record, and its lifecycle. */
export interface Store {
  readonly containers: ContainerStore;
  /** Waits for accepted writes, then closes the database. */
  close(): Promise<void>;
}

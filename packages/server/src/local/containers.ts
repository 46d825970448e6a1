import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import { BerthError, notFound, plainError } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";
import type { StoredContainer } from "../store/stored-container.js";
import type { ContainerStore, ListOptions } from "../store/types.js";
import { deleteMissError } from "./bucket-misses.js";
import { type Clock, systemClock } from "./clock.js";
import { containerFields } from "./container-fields.js";
import { applyContainerMask } from "./container-mask.js";
import { validateContainer } from "./container-validation.js";
import type { EventsLocal } from "./events.js";
import { filterPins, type Pin } from "./filters/index.js";
import { withoutEmptyLabels } from "./labels.js";
import { parseListFilters } from "./list-filters.js";
import type { RequestNamespace } from "./namespace.js";
import { MAX_MATCHING_MS, matchPaced } from "./paced-matching.js";

/** Dependencies of {@link createContainersLocal}. */
export interface ContainersLocalOptions {
  readonly store: ContainerStore;
  /** Where committed changes are announced. */
  readonly events: Pick<EventsLocal, "envelope">;
  /** CPU one listing may spend matching filters (default {@link MAX_MATCHING_MS}). */
  readonly maxMatchingMs?: number;
  readonly clock?: Clock;
}

/**
 * containerd's containers rules (`services/containers/local.go` with
 * `metadata/containers.go`): validation, timestamps, field masks, filters and
 * containerd's error texts, over any {@link ContainerStore}.
 */
export interface ContainersLocal {
  get(namespace: RequestNamespace, id: string): Promise<StoredContainer>;
  /**
   * Parses the filters (throwing before anything is read), then yields the
   * matching containers in id order while reading the store.
   */
  list(namespace: RequestNamespace, filters: readonly string[], options?: ListOptions): AsyncIterable<StoredContainer>;
  /**
   * How many containers match `filters` (none: every container, counted by
   * key without reading a record).
   */
  count(namespace: RequestNamespace, filters: readonly string[], signal?: AbortSignal): Promise<number>;
  create(namespace: RequestNamespace, container: Container): Promise<Container>;
  update(namespace: RequestNamespace, container: Container, paths: readonly string[]): Promise<Container>;
  delete(namespace: RequestNamespace, id: string): Promise<void>;
}

/** Builds the containers rules over a store. */
export function createContainersLocal({
  store,
  events,
  clock = systemClock,
  maxMatchingMs = MAX_MATCHING_MS,
}: ContainersLocalOptions): ContainersLocal {
  const local: ContainersLocal = {
    async get(requestNamespace, id) {
      const namespace = requestNamespace.require();
      const container = await store.get(namespace, id);
      if (container === undefined) {
        throw notFound(`container ${quoteInput(id)} in namespace ${quoteInput(namespace)}`);
      }
      return container;
    },

    list(requestNamespace, filters, options = {}) {
      const namespace = requestNamespace.require();
      const filter = parseListFilters(filters);
      // A filter that pins the id, a label, the image or the runtime in every one of its strings reads the
      // records those pins allow (by key, or from the index) instead of scanning the namespace.
      const pins = filter === undefined ? undefined : filterPins(filters);
      const all =
        pins === undefined
          ? store.list(namespace, options)
          : lookUp(store, namespace, pins, options.after, options.signal);
      // With nothing to filter, hand the store's listing through: no extra async layer per container.
      return filter === undefined
        ? all
        : matchPaced(all, (stored) => filter.match(containerFields(stored.bytes)), maxMatchingMs);
    },

    async count(requestNamespace, filters, signal) {
      const namespace = requestNamespace.require();
      if (parseListFilters(filters) === undefined) return store.count(namespace);
      let count = 0;
      for await (const _ of local.list(requestNamespace, filters, signal === undefined ? {} : { signal })) count++;
      return count;
    },

    async create(requestNamespace, requested) {
      const namespace = requestNamespace.require();
      try {
        validateContainer(requested);
      } catch (error) {
        throw prefixed(error, "create container failed validation");
      }
      const now = clock();
      const container = create(ContainerSchema, {
        ...requested,
        labels: withoutEmptyLabels(requested.labels),
        runtime: requested.runtime,
        createdAt: now,
        updatedAt: now,
      });
      await store.create(
        namespace,
        container,
        events.envelope(namespace, "/containers/create", ContainerCreateSchema, {
          id: container.id,
          image: container.image,
          runtime: { name: container.runtime?.name ?? "", options: container.runtime?.options },
        }),
      );
      return container;
    },

    async update(requestNamespace, patch, paths) {
      if (patch.id === "") throw plainError("invalid argument", "Container.ID required");
      const namespace = requestNamespace.require();
      const updated = await store.update(
        namespace,
        patch.id,
        (stored) => {
          const merged = applyContainerMask(stored, patch, paths);
          try {
            validateContainer(merged);
          } catch (error) {
            throw prefixed(error, "update failed validation");
          }
          merged.createdAt = stored.createdAt;
          merged.updatedAt = clock();
          return merged;
        },
        (result) =>
          events.envelope(namespace, "/containers/update", ContainerUpdateSchema, {
            id: result.id,
            image: result.image,
            labels: result.labels,
            snapshotKey: result.snapshotKey,
          }),
      );
      if (updated === undefined) {
        throw (await store.bucket(namespace)) !== "none"
          ? notFound(`container ${quoteInput(patch.id)}`)
          : notFound(`cannot update container ${quoteInput(patch.id)} in namespace ${quoteInput(namespace)}`);
      }
      return updated;
    },

    async delete(requestNamespace, id) {
      const namespace = requestNamespace.require();
      if (
        await store.delete(
          namespace,
          id,
          events.envelope(namespace, "/containers/delete", ContainerDeleteSchema, { id }),
        )
      ) {
        return;
      }
      throw (
        deleteMissError(await store.bucket(namespace), id, () =>
          notFound(`cannot delete container ${quoteInput(id)} in namespace ${quoteInput(namespace)}`),
        ) ?? notFound(`container ${id}`)
      );
    },
  };
  return local;
}

function prefixed(error: unknown, prefix: string): unknown {
  return error instanceof BerthError ? error.wrap(prefix) : error;
}

/** The stored containers the pins allow, each once, in id order. */
async function* lookUp(
  store: ContainerStore,
  namespace: string,
  pins: readonly Pin[],
  after: string | undefined,
  signal: AbortSignal | undefined,
): AsyncIterable<StoredContainer> {
  const ids = new Set<string>();
  for (const pin of pins) {
    if (pin.kind === "id") ids.add(pin.id);
    else for (const id of await store.indexed(namespace, pin, pin.value)) ids.add(id);
  }
  // Identifiers are ASCII: string order is the store's byte order.
  for (const id of [...ids].sort()) {
    if (after !== undefined && id <= after) continue;
    if (signal?.aborted) return;
    const stored = await store.get(namespace, id);
    if (stored !== undefined) yield stored;
  }
}

import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import type { BatchWriter, CommitQueue } from "./commit-queue.js";
import type { EventEntry } from "./event-log.js";
import type { KeyLock, SharedKeyLock } from "./key-lock.js";
import type { Layout } from "./layout.js";

/** What the record stores share: the layout, the commit queue and the locks. */
export interface StoreContext {
  readonly layout: Layout;
  readonly queue: CommitQueue;
  /** Serialises writes to one record (`<kind>/<namespace>/<id>`). */
  readonly records: KeyLock;
  /** Held shared by writes inside a namespace, exclusively by writes to the namespace itself. */
  readonly namespaces: SharedKeyLock;
  /**
   * Namespaces known to have a record, so writes inside them skip the lookup.
   * Only grows on committed writes and shrinks on namespace deletion, both under the namespace lock.
   */
  readonly knownNamespaces: Set<string>;
  /** `<bucket>/<namespace>` of bucket markers known to exist; same rules as {@link knownNamespaces}. */
  readonly knownBuckets: Set<string>;
  /**
   * Counts writes of namespace records, bumped once each is done (or failed):
   * a list of them read while the count stood still may be kept (namespaces.ts).
   */
  readonly namespaceRecords: { generation: number };
}

/**
 * Runs a write inside `namespace` (holding it shared) and hands the task a
 * writer that also creates the namespace record when it does not exist yet, so
 * the first record in a namespace and the namespace appear in one batch.
 */
export function writeInNamespace<T>(
  context: StoreContext,
  namespace: string,
  task: (withNamespace: (write: BatchWriter) => BatchWriter) => Promise<T>,
): Promise<T> {
  return context.namespaces.shared(namespace, async () => {
    const exists = context.knownNamespaces.has(namespace) || (await context.layout.namespaces.has(namespace)) === true;
    const record = exists ? undefined : toBinary(NamespaceSchema, create(NamespaceSchema, { name: namespace }));
    try {
      const result = await task((write) => (batch) => {
        write(batch);
        if (record !== undefined) batch.put(namespace, record, { sublevel: context.layout.namespaces });
      });
      context.knownNamespaces.add(namespace);
      return result;
    } finally {
      if (record !== undefined) context.namespaceRecords.generation++;
    }
  });
}

/** The history entries of a write that reports `event` (none without one). */
export function eventsOf(event: Envelope | undefined): readonly EventEntry[] | undefined {
  return event === undefined ? undefined : [{ envelope: event }];
}

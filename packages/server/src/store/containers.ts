import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { alreadyExists } from "../errdefs.js";
import { bucketMarked, bucketMarker, bucketState } from "./buckets.js";
import { changeIndex, indexedIds } from "./container-index.js";
import { eventsOf, type StoreContext, writeInNamespace } from "./context.js";
import type { Section } from "./layout.js";
import { StoredContainer } from "./stored-container.js";
import type { ContainerStore, ListOptions } from "./types.js";

const decode = (bytes: Uint8Array) => fromBinary(ContainerSchema, bytes);
const encode = (container: Container) => toBinary(ContainerSchema, container);
/** Records read per native iterator call in listings. */
const LIST_BATCH = 256;
/**
 * Bytes one such call may read (classic-level stops a batch past this; its
 * default, 16 KiB, is six containers with ctr's 2.4 KB spec). A listing holds
 * two batches (one read ahead), and a hundred listings may wait at once for
 * their turn to build a big answer: 256 KiB keeps that to 50 MiB.
 */
const LIST_BATCH_BYTES = 256 * 1024;

const lockKey = (namespace: string, id: string) => `containers/${namespace}/${id}`;

/**
 * One record's bytes. A point read is cheaper in line than a round trip through
 * LevelDB's thread pool; a sublevel just created is still opening and must be
 * read the deferred way.
 */
function read(section: Section, id: string): Promise<Uint8Array | undefined> | Uint8Array | undefined {
  return section.status === "open" ? section.getSync(id) : section.get(id);
}

/** Container records over the shared store context. */
export function createContainerStore(context: StoreContext): ContainerStore {
  const { layout, queue, records } = context;
  return {
    async get(namespace, id) {
      const bytes = await read(layout.containers(namespace), id);
      return bytes === undefined ? undefined : new StoredContainer(bytes);
    },

    async *list(namespace: string, options: ListOptions = {}) {
      // Values only, fetched in batches: one native round trip per batch instead of per record. LevelDB
      // reads the next batch on its thread while this one is sent.
      const section = layout.containers(namespace);
      const range = {
        highWaterMarkBytes: LIST_BATCH_BYTES,
        ...(options.after === undefined ? {} : { gt: options.after }),
      };
      const iterator = section.values(range);
      let pending: Promise<Uint8Array[]> | undefined;
      try {
        pending = iterator.nextv(LIST_BATCH);
        for (;;) {
          const batch = await pending;
          pending = undefined;
          if (batch.length === 0 || options.signal?.aborted) return;
          pending = iterator.nextv(LIST_BATCH);
          for (const bytes of batch) {
            if (options.signal?.aborted) return;
            yield new StoredContainer(bytes);
          }
        }
      } finally {
        // An iterator closes only once its read in flight is done.
        await pending?.catch(() => undefined);
        await iterator.close();
      }
    },

    async count(namespace) {
      const iterator = layout.containers(namespace).keys();
      let count = 0;
      try {
        for (;;) {
          const batch = await iterator.nextv(1024);
          if (batch.length === 0) return count;
          count += batch.length;
        }
      } finally {
        await iterator.close();
      }
    },

    indexed(namespace, field, value) {
      return indexedIds(layout.of(namespace).index, field, value);
    },

    bucket(namespace) {
      return bucketState(context, namespace, "containers", layout.containers(namespace));
    },

    create(namespace, container, event) {
      const { containers: section, index } = layout.of(namespace);
      return writeInNamespace(context, namespace, (withNamespace) =>
        records.run(lockKey(namespace, container.id), async () => {
          if ((await read(section, container.id)) !== undefined) {
            throw alreadyExists(`container "${container.id}"`);
          }
          const bytes = encode(container);
          const marker = await bucketMarker(context, namespace, "containers");
          await queue.commit(
            withNamespace((batch) => {
              batch.put(container.id, bytes, { sublevel: section });
              changeIndex(batch, index, undefined, container);
              marker?.(batch);
            }),
            eventsOf(event),
          );
          bucketMarked(context, namespace, "containers");
        }),
      );
    },

    update(namespace, id, change, event) {
      const { containers: section, index } = layout.of(namespace);
      return records.run(lockKey(namespace, id), async () => {
        const bytes = await read(section, id);
        if (bytes === undefined) return undefined;
        const current = decode(bytes);
        // `change` may edit what it is given: the index diff needs the stored record as it was.
        const next = change(decode(bytes));
        const nextBytes = encode(next);
        await queue.commit(
          (batch) => {
            batch.put(id, nextBytes, { sublevel: section });
            changeIndex(batch, index, current, next);
          },
          eventsOf(event?.(next)),
        );
        return next;
      });
    },

    delete(namespace, id, event) {
      const { containers: section, index } = layout.of(namespace);
      return records.run(lockKey(namespace, id), async () => {
        const bytes = await read(section, id);
        if (bytes === undefined) return false;
        const current = decode(bytes);
        await queue.commit((batch) => {
          batch.del(id, { sublevel: section });
          changeIndex(batch, index, current, undefined);
        }, eventsOf(event));
        return true;
      });
    },
  };
}

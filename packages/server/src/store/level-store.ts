import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { alreadyExists } from "../errdefs.js";
import { type CommitQueueOptions, createCommitQueue } from "./commit-queue.js";
import { KeyLock } from "./key-lock.js";
import { type Database, Layout, SCHEMA_VERSION } from "./layout.js";
import type { ContainerStore, ListOptions, Store } from "./types.js";

/** Options of {@link createLevelStore}. */
export type LevelStoreOptions = CommitQueueOptions;

/**
 * The store over an open abstract-level database (classic-level on disk in
 * berthd, memory-level in unit tests). Values are protobuf binary.
 */
export async function createLevelStore(db: Database, options: LevelStoreOptions = {}): Promise<Store> {
  const layout = new Layout(db);
  const queue = createCommitQueue(db, options);
  const locks = new KeyLock();

  const schema = await layout.meta.get("schema");
  if (schema === undefined) {
    await queue.commit((batch) => batch.put("schema", SCHEMA_VERSION, { sublevel: layout.meta }));
  } else if (schema !== SCHEMA_VERSION) {
    throw new Error(`database layout version ${schema} is not supported (this berthd reads version ${SCHEMA_VERSION})`);
  }

  const lockKey = (namespace: string, id: string) => `${namespace}/${id}`;
  const decode = (bytes: Uint8Array) => fromBinary(ContainerSchema, bytes);
  const encode = (container: Container) => toBinary(ContainerSchema, container);

  const containers: ContainerStore = {
    async get(namespace, id) {
      const bytes = await layout.containers(namespace).get(id);
      return bytes === undefined ? undefined : decode(bytes);
    },

    async *list(namespace: string, listOptions: ListOptions = {}) {
      const iterator = layout.containers(namespace).iterator();
      try {
        for await (const [, bytes] of iterator) {
          if (listOptions.signal?.aborted) return;
          yield decode(bytes);
        }
      } finally {
        await iterator.close();
      }
    },

    async hasAny(namespace) {
      const keys = await layout.containers(namespace).keys({ limit: 1 }).all();
      return keys.length > 0;
    },

    create(namespace, container) {
      const section = layout.containers(namespace);
      return locks.run(lockKey(namespace, container.id), async () => {
        if ((await section.has(container.id)) === true) {
          throw alreadyExists(`container "${container.id}"`);
        }
        const bytes = encode(container);
        await queue.commit((batch) => batch.put(container.id, bytes, { sublevel: section }));
      });
    },

    update(namespace, id, change) {
      const section = layout.containers(namespace);
      return locks.run(lockKey(namespace, id), async () => {
        const bytes = await section.get(id);
        if (bytes === undefined) return undefined;
        const next = change(decode(bytes));
        const nextBytes = encode(next);
        await queue.commit((batch) => batch.put(id, nextBytes, { sublevel: section }));
        return next;
      });
    },

    delete(namespace, id) {
      const section = layout.containers(namespace);
      return locks.run(lockKey(namespace, id), async () => {
        if ((await section.has(id)) !== true) return false;
        await queue.commit((batch) => batch.del(id, { sublevel: section }));
        return true;
      });
    },
  };

  return {
    containers,
    async close() {
      await queue.drain();
      await db.close();
    },
  };
}

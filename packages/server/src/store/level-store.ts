import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { type CommitQueueOptions, createCommitQueue } from "./commit-queue.js";
import { INDEX_COMPLETE_KEY, rebuildContainerIndex } from "./container-index.js";
import { createContainerStore } from "./containers.js";
import type { StoreContext } from "./context.js";
import { reportingDamage } from "./damage.js";
import { openEventLog } from "./event-log.js";
import { KeyLock, SharedKeyLock } from "./key-lock.js";
import { type Database, Layout, SCHEMA_VERSION } from "./layout.js";
import { createLeaseStore } from "./leases.js";
import { createNamespaceStore } from "./namespaces.js";
import { createServerUuid } from "./server-uuid.js";
import { measureStore } from "./sizes.js";
import type { Store } from "./types.js";
import { createWriteRecovery } from "./write-recovery.js";

/** Options of {@link createLevelStore}. */
export interface LevelStoreOptions extends Omit<CommitQueueOptions, "recover" | "eventLog"> {
  /** Directory of an on-disk database: lets writes resume after a failed write once the disk has room. */
  readonly location?: string;
  /** Keep the event history (default true); off, events are only announced, as containerd does. */
  readonly keepEvents?: boolean;
}

/**
 * The store over an open abstract-level database (classic-level on disk in
 * berthd, memory-level in unit tests). Values are protobuf binary.
 */
export async function createLevelStore(db: Database, options: LevelStoreOptions = {}): Promise<Store> {
  const layout = new Layout(db);
  const { location, keepEvents, ...queueOptions } = options;
  // `sync` is typed only on ClassicLevel; it reaches LevelDB through sublevels all the same.
  const synced = { sync: true, valueEncoding: "utf8" };
  const recover =
    location === undefined
      ? undefined
      : createWriteRecovery(db, {
          location,
          anyKey: `${layout.meta.prefix}schema`,
          probe: () => layout.meta.put("schema", SCHEMA_VERSION, synced),
          reopen: () => layout.reopen(),
        });
  const eventLog = await openEventLog(layout.events, keepEvents ?? true);
  const withEvents = { ...queueOptions, eventLog };
  const context: StoreContext = {
    layout,
    queue: createCommitQueue(db, recover === undefined ? withEvents : { ...withEvents, recover }),
    records: new KeyLock(),
    namespaces: new SharedKeyLock(),
    knownNamespaces: new Set(),
    namespaceRecords: { generation: 0 },
    knownBuckets: new Set(),
  };
  const { queue } = context;

  const schema = await layout.meta.get("schema");
  if (schema === undefined) {
    await queue.commit((batch) => {
      batch.put("schema", SCHEMA_VERSION, { sublevel: layout.meta });
      batch.put(INDEX_COMPLETE_KEY, "1", { sublevel: layout.meta });
    });
  } else if (schema !== SCHEMA_VERSION) {
    throw new Error(`database layout version ${schema} is not supported (this berthd reads version ${SCHEMA_VERSION})`);
  } else if ((await layout.meta.get(INDEX_COMPLETE_KEY)) === undefined) {
    // A database written before the index (or whose rebuild was cut short): build it once, before serving.
    await rebuildContainerIndex(db, layout, (bytes) => fromBinary(ContainerSchema, bytes));
  }

  return {
    containers: reportingDamage(createContainerStore(context)),
    namespaces: reportingDamage(createNamespaceStore(context)),
    leases: reportingDamage(createLeaseStore(context)),
    history: {
      log: eventLog,
      record: (entries) => queue.commit(() => undefined, entries),
      async prune(retention, limit) {
        const keys = await eventLog.expired(retention, Date.now(), limit);
        if (keys.length > 0) {
          await queue.commit((batch) => {
            for (const key of keys) batch.del(key, { sublevel: layout.events });
          });
        }
        return keys.length;
      },
    },
    sizes: () => measureStore(layout, location),
    serverUuid: createServerUuid(context),
    writeFailure: () => queue.failure?.message,
    async close() {
      queue.close();
      await queue.drain();
      await db.close();
    },
  };
}

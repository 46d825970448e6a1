import { NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { alreadyExists } from "../errdefs.js";
import { BUCKET_NAMES } from "./buckets.js";
import { eventsOf, type StoreContext } from "./context.js";
import type { ListOptions, NamespaceRecord, NamespaceStore } from "./types.js";

const decode = (bytes: Uint8Array): NamespaceRecord => {
  const { name, labels } = fromBinary(NamespaceSchema, bytes);
  return { name, labels };
};
const encode = (record: NamespaceRecord) =>
  toBinary(NamespaceSchema, create(NamespaceSchema, { name: record.name, labels: { ...record.labels } }));

/** Namespace records over the shared store context. */
export function createNamespaceStore(context: StoreContext): NamespaceStore {
  const { layout, queue, namespaceRecords } = context;
  /** The records as last read, and the write generation they were read in. */
  let listed: { readonly generation: number; readonly records: Uint8Array[] } | undefined;
  /** Runs a write of namespace records; whatever happens, lists read before it are stale. */
  const writing = async <T>(write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } finally {
      namespaceRecords.generation++;
    }
  };
  return {
    async get(name) {
      const bytes = await layout.namespaces.get(name);
      return bytes === undefined ? undefined : decode(bytes);
    },

    async *list(options: ListOptions = {}) {
      // Values in batches: one native round trip per batch instead of per record.
      const iterator = layout.namespaces.values();
      try {
        for (;;) {
          const batch = await iterator.nextv(256);
          if (batch.length === 0 || options.signal?.aborted) return;
          for (const bytes of batch) yield decode(bytes);
        }
      } finally {
        await iterator.close();
      }
    },

    async listEncoded() {
      // Namespaces change rarely and are listed often: the last list stands until a namespace write.
      const generation = namespaceRecords.generation;
      if (listed?.generation === generation) return listed.records;
      const records = await layout.namespaces.values().all();
      if (namespaceRecords.generation === generation) listed = { generation, records };
      return records;
    },

    create(record, event) {
      return context.namespaces.exclusive(record.name, async () => {
        if ((await layout.namespaces.has(record.name)) === true) {
          throw alreadyExists(`namespace "${record.name}"`);
        }
        const bytes = encode(record);
        await writing(() =>
          queue.commit((batch) => batch.put(record.name, bytes, { sublevel: layout.namespaces }), eventsOf(event)),
        );
        context.knownNamespaces.add(record.name);
      });
    },

    update(name, change, options = {}) {
      return context.namespaces.exclusive(name, async () => {
        const bytes = await layout.namespaces.get(name);
        if (bytes === undefined && options.create === false) {
          // Nothing to write, but the call is still reported (as containerd publishes it).
          if (options.event !== undefined) await queue.commit(() => undefined, eventsOf(options.event));
          return undefined;
        }
        const record = { name, labels: change(bytes === undefined ? {} : decode(bytes).labels) };
        const nextBytes = encode(record);
        await writing(() =>
          queue.commit((batch) => batch.put(name, nextBytes, { sublevel: layout.namespaces }), eventsOf(options.event)),
        );
        context.knownNamespaces.add(name);
        return record;
      });
    },

    delete(name, event) {
      return context.namespaces.exclusive(name, async () => {
        if ((await layout.namespaces.has(name)) !== true) return { deleted: false, reason: "not found" } as const;
        const sections = layout.of(name);
        const containers = await sections.containers.keys({ limit: 1 }).all();
        if (containers.length > 0) return { deleted: false, reason: "not empty", holds: ["containers"] } as const;
        // Leases and their resource references go with the namespace, as in containerd.
        const leaseKeys = await sections.leases.keys().all();
        const resourceKeys = await sections.leaseResources.keys().all();
        const bucketKeys = await sections.buckets.keys().all();
        await writing(() =>
          queue.commit((batch) => {
            for (const key of leaseKeys) batch.del(key, { sublevel: sections.leases });
            for (const key of resourceKeys) batch.del(key, { sublevel: sections.leaseResources });
            for (const key of bucketKeys) batch.del(key, { sublevel: sections.buckets });
            batch.del(name, { sublevel: layout.namespaces });
          }, eventsOf(event)),
        );
        context.knownNamespaces.delete(name);
        for (const bucket of BUCKET_NAMES) context.knownBuckets.delete(`${bucket}/${name}`);
        return { deleted: true } as const;
      });
    },
  };
}

import {
  type Lease,
  LeaseSchema,
  type Resource,
  ResourceSchema,
} from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { alreadyExists } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";
import { bucketMarked, bucketMarker, bucketState } from "./buckets.js";
import { type StoreContext, writeInNamespace } from "./context.js";
import { afterPrefix, leaseResourceKey, leaseResourcePrefix } from "./layout.js";
import type { LeaseStore, ListOptions } from "./types.js";

const decode = (bytes: Uint8Array) => fromBinary(LeaseSchema, bytes);
const lockKey = (namespace: string, id: string) => `leases/${namespace}/${id}`;

/** Lease records and their resource references over the shared store context. */
export function createLeaseStore(context: StoreContext): LeaseStore {
  const { layout, queue, records } = context;

  /**
   * Runs `task` holding the lease's lock, if the lease exists; false otherwise.
   * It holds the namespace shared too: otherwise a namespace Delete could list
   * the lease's resources, and a resource added after that listing but before
   * the Delete's batch would outlive both the lease and the namespace.
   */
  const withLease = (namespace: string, id: string, task: () => Promise<void>) =>
    context.namespaces.shared(namespace, () =>
      records.run(lockKey(namespace, id), async () => {
        if ((await layout.of(namespace).leases.has(id)) !== true) return false;
        await task();
        return true;
      }),
    );

  const resourceKeys = (namespace: string, id: string) => {
    const prefix = leaseResourcePrefix(id);
    return layout
      .of(namespace)
      .leaseResources.keys({ gte: prefix, lt: afterPrefix(prefix) })
      .all();
  };

  return {
    async get(namespace, id) {
      const bytes = await layout.of(namespace).leases.get(id);
      return bytes === undefined ? undefined : decode(bytes);
    },

    async *list(namespace: string, options: ListOptions = {}) {
      const iterator = layout.of(namespace).leases.iterator();
      try {
        for await (const [, bytes] of iterator) {
          if (options.signal?.aborted) return;
          yield decode(bytes);
        }
      } finally {
        await iterator.close();
      }
    },

    create(namespace, lease: Lease) {
      const section = layout.of(namespace).leases;
      return writeInNamespace(context, namespace, (withNamespace) =>
        records.run(lockKey(namespace, lease.id), async () => {
          if ((await section.has(lease.id)) === true) throw alreadyExists(`lease ${quoteInput(lease.id)}`);
          const bytes = toBinary(LeaseSchema, lease);
          const marker = await bucketMarker(context, namespace, "leases");
          await queue.commit(
            withNamespace((batch) => {
              batch.put(lease.id, bytes, { sublevel: section });
              marker?.(batch);
            }),
          );
          bucketMarked(context, namespace, "leases");
        }),
      );
    },

    bucket(namespace) {
      return bucketState(context, namespace, "leases", layout.of(namespace).leases);
    },

    delete(namespace, id) {
      const sections = layout.of(namespace);
      return withLease(namespace, id, async () => {
        const keys = await resourceKeys(namespace, id);
        await queue.commit((batch) => {
          batch.del(id, { sublevel: sections.leases });
          for (const key of keys) batch.del(key, { sublevel: sections.leaseResources });
        });
      });
    },

    addResource(namespace, id, resource: Resource) {
      const section = layout.of(namespace).leaseResources;
      return withLease(namespace, id, async () => {
        const bytes = toBinary(ResourceSchema, resource);
        const key = leaseResourceKey(id, resource.type, resource.id);
        await queue.commit((batch) => batch.put(key, bytes, { sublevel: section }));
      });
    },

    deleteResource(namespace, id, resource: Resource) {
      const section = layout.of(namespace).leaseResources;
      return withLease(namespace, id, async () => {
        const key = leaseResourceKey(id, resource.type, resource.id);
        await queue.commit((batch) => batch.del(key, { sublevel: section }));
      });
    },

    async listResources(namespace, id) {
      if ((await layout.of(namespace).leases.has(id)) !== true) return undefined;
      const prefix = leaseResourcePrefix(id);
      const values = await layout
        .of(namespace)
        .leaseResources.values({ gte: prefix, lt: afterPrefix(prefix) })
        .all();
      return values.map((bytes) => fromBinary(ResourceSchema, bytes));
    },
  };
}

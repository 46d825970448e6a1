import type { BatchWriter } from "./commit-queue.js";
import type { StoreContext } from "./context.js";
import type { Section } from "./layout.js";

/** containerd's buckets whose existence, apart from their records, shows in its answers. */
export const BUCKET_NAMES = ["containers", "leases"] as const;
export type BucketName = (typeof BUCKET_NAMES)[number];

/**
 * A namespace's bucket as bbolt would have it: never made, made but empty (its
 * last record deleted), or holding records. containerd's not-found messages,
 * and its answer to a delete of the empty id, differ between the three.
 */
export type BucketState = "none" | "empty" | "holding";

const EMPTY = new Uint8Array(0);

/** The bucket's state in `namespace`; `records` is the section the bucket's records live in. */
export async function bucketState(
  context: StoreContext,
  namespace: string,
  bucket: BucketName,
  records: Section,
): Promise<BucketState> {
  if ((await records.keys({ limit: 1 }).all()).length > 0) return "holding";
  return (await isMarked(context, namespace, bucket)) ? "empty" : "none";
}

/**
 * What to add to the batch that writes a record of the bucket so that the
 * bucket is marked as made: nothing when it already is. Call it under the
 * record's lock, before the batch.
 */
export async function bucketMarker(
  context: StoreContext,
  namespace: string,
  bucket: BucketName,
): Promise<BatchWriter | undefined> {
  if (await isMarked(context, namespace, bucket)) return undefined;
  const section = context.layout.of(namespace).buckets;
  return (batch) => {
    batch.put(bucket, EMPTY, { sublevel: section });
  };
}

/** Notes, once its batch committed, that the bucket is marked. */
export function bucketMarked(context: StoreContext, namespace: string, bucket: BucketName): void {
  context.knownBuckets.add(`${bucket}/${namespace}`);
}

async function isMarked(context: StoreContext, namespace: string, bucket: BucketName): Promise<boolean> {
  const key = `${bucket}/${namespace}`;
  if (context.knownBuckets.has(key)) return true;
  const marked = (await context.layout.of(namespace).buckets.has(bucket)) === true;
  if (marked) context.knownBuckets.add(key);
  return marked;
}

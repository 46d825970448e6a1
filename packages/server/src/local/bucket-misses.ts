import type { BucketState } from "../store/buckets.js";

/**
 * What containerd's bbolt answers to deleting a record that is not there, when
 * that is not the bucket's own not-found: `noBucket()` when the bucket was never
 * made, and bbolt's `incompatible value` (Unknown) for the empty id in an empty
 * bucket, whose seek lands on no key and takes that for a value named "".
 */
export function deleteMissError(bucket: BucketState, id: string, noBucket: () => Error): Error | undefined {
  if (bucket === "none") return noBucket();
  if (bucket === "empty" && id === "") return new Error("incompatible value");
  return undefined;
}

import { invalidArgument } from "../errdefs.js";

/** Largest `len(key) + len(value)` of one label, in bytes. */
export const MAX_LABEL_SIZE = 4096;

/**
 * Checks every label against containerd's size rule.
 *
 * @throws BerthError (invalid argument) naming the first 10 bytes of the offending key.
 */
export function validateLabels(labels: Readonly<Record<string, string>>): void {
  for (const key in labels) {
    if (!Object.hasOwn(labels, key)) continue;
    const value = labels[key] as string;
    // A UTF-16 unit is at most 3 UTF-8 bytes: short labels pass without being encoded (100,000 labels stay cheap).
    if ((key.length + value.length) * 3 <= MAX_LABEL_SIZE) continue;
    if (Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8") > MAX_LABEL_SIZE) {
      const shownKey = Buffer.from(key, "utf8").subarray(0, 10).toString("utf8");
      throw invalidArgument(
        `label key and value greater than maximum size (${MAX_LABEL_SIZE} bytes), key: ${shownKey}`,
      );
    }
  }
}

/** The labels without empty values: containerd never stores a label whose value is `""`. */
export function withoutEmptyLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const key in labels) {
    if (!Object.hasOwn(labels, key)) continue;
    const value = labels[key] as string;
    if (value !== "") setEntry(kept, key, value);
  }
  return kept;
}

/** `record[key]` only when it is the record's own entry: map keys like `constructor` must not reach the prototype. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `record[key]` as an own entry, even for keys like `__proto__` that plain assignment would misroute. */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  // Only `__proto__` is an accessor on Object.prototype; every other key assigns as an own entry, and
  // plain assignment keeps large records fast where defineProperty on each key would not.
  if (key === "__proto__") {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
}

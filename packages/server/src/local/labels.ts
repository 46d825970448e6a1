import { invalidArgument } from "../errdefs.js";

/** Largest `len(key) + len(value)` of one label, in bytes. */
export const MAX_LABEL_SIZE = 4096;

/**
 * Checks every label against containerd's size rule.
 *
 * @throws BerthError (invalid argument) naming the first 10 bytes of the offending key.
 */
export function validateLabels(labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    const keyBytes = Buffer.from(key, "utf8");
    if (keyBytes.length + Buffer.byteLength(value, "utf8") > MAX_LABEL_SIZE) {
      const shownKey = keyBytes.subarray(0, 10).toString("utf8");
      throw invalidArgument(
        `label key and value greater than maximum size (${MAX_LABEL_SIZE} bytes), key: ${shownKey}`,
      );
    }
  }
}

/** The labels without empty values: containerd never stores a label whose value is `""`. */
export function withoutEmptyLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
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
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The namespace the app opens when the URL names none: the last one used, else `default`. */
import { DEFAULT_NAMESPACE } from "@berth/client";

const STORAGE_KEY = "berth.namespace";

/** The namespace last shown in this browser, or `default`. */
export function lastNamespace(): string {
  try {
    return localStorage.getItem(STORAGE_KEY) || DEFAULT_NAMESPACE;
  } catch {
    return DEFAULT_NAMESPACE;
  }
}

/** Remembers the namespace for the next visit without one in its URL. */
export function rememberNamespace(namespace: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, namespace);
  } catch {
    // Storage may be disabled; the URL still carries the choice.
  }
}

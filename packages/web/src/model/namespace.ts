/** Which namespace the app opens: `?namespace=` in the URL, else the last one used, else `default`. */
import { DEFAULT_NAMESPACE } from "@berth/client";

const STORAGE_KEY = "berth.namespace";

/** The namespace to show first. */
export function initialNamespace(): string {
  const fromUrl = new URL(location.href).searchParams.get("namespace");
  if (fromUrl !== null && fromUrl !== "") return fromUrl;
  try {
    return localStorage.getItem(STORAGE_KEY) || DEFAULT_NAMESPACE;
  } catch {
    return DEFAULT_NAMESPACE;
  }
}

/** Remembers the namespace in the URL (so it can be bookmarked) and in localStorage. */
export function rememberNamespace(namespace: string): void {
  const url = new URL(location.href);
  url.searchParams.set("namespace", namespace);
  history.replaceState(null, "", url);
  try {
    localStorage.setItem(STORAGE_KEY, namespace);
  } catch {
    // Storage may be disabled; the URL still carries the choice.
  }
}

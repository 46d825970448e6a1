import { useEffect, useState } from "preact/hooks";

/** A store that counts its changes and tells listeners about them. */
export interface VersionedStore {
  readonly version: number;
  subscribe(listener: () => void): () => void;
}

/**
 * The store's version, re-rendering at most once per animation frame however
 * many containers arrive in between (a listing of 10,000 is 10,000 changes).
 */
export function useStoreVersion(store: VersionedStore): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    let frame: number | undefined;
    const unsubscribe = store.subscribe(() => {
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setVersion(store.version);
      });
    });
    setVersion(store.version);
    return () => {
      unsubscribe();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [store]);
  return version;
}

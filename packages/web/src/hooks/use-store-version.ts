import { useEffect, useState } from "preact/hooks";
import type { ContainerStore } from "../model/container-store.js";

/**
 * The store's version, re-rendering at most once per animation frame however
 * many containers arrive in between (a listing of 10,000 is 10,000 changes).
 */
export function useStoreVersion(store: ContainerStore): number {
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

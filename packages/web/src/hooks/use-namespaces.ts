import type { BerthClient } from "@berth/client";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/**
 * Names from Namespaces.List, reloaded whenever the connection comes back and
 * on demand (e.g. when the picker gets focus). Failures keep the last list.
 */
export function useNamespaces(client: BerthClient, connected: boolean): { names: string[]; reload: () => void } {
  const [names, setNames] = useState<string[]>([]);
  const latest = useRef(0);
  const reload = useCallback(() => {
    const call = ++latest.current;
    client.namespaces
      .list({})
      .then((response) => {
        if (call === latest.current) setNames(response.namespaces.map((namespace) => namespace.name));
      })
      .catch(() => undefined);
  }, [client]);
  useEffect(() => {
    if (connected) reload();
  }, [connected, reload]);
  return { names, reload };
}

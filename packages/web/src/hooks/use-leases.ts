import type { BerthClient } from "@berth/client";
import type { Lease, Resource } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";

/** A lease with the resources it holds. */
export interface LeaseInfo {
  readonly lease: Lease;
  /** undefined until listed. */
  readonly resources?: readonly Resource[];
}

/** The namespace's leases, refreshed. */
export interface LeasesState {
  readonly leases: readonly LeaseInfo[];
  readonly loading: boolean;
  readonly error: string | undefined;
  /** Lists again now: after this app wrote. */
  reload(): void;
}

/**
 * containerd publishes no lease events, so others' changes are seen by
 * listing again every few seconds while the view is open.
 */
const POLL_MS = 3000;

/** Leases.List of `namespace` and each lease's ListResources, while `active`. */
export function useLeases(client: BerthClient, namespace: string, active: boolean): LeasesState {
  const [leases, setLeases] = useState<readonly LeaseInfo[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const latest = useRef(0);

  const reload = useCallback(() => {
    const call = ++latest.current;
    const scoped = client.withNamespace(namespace);
    const load = async () => {
      const listed = (await scoped.leases.list({})).leases;
      // One call at a time: a browser has six HTTP/1.1 connections per origin, and the live feeds hold some.
      const infos: LeaseInfo[] = [];
      for (const lease of listed) {
        infos.push({ lease, resources: (await scoped.leases.listResources({ id: lease.id })).resources });
      }
      return infos.sort((a, b) => (a.lease.id < b.lease.id ? -1 : a.lease.id > b.lease.id ? 1 : 0));
    };
    load().then(
      (infos) => {
        if (call !== latest.current) return;
        setLeases(infos);
        setLoading(false);
        setError(undefined);
      },
      (failure: unknown) => {
        if (call !== latest.current) return;
        setLoading(false);
        setError(errorMessage(failure));
      },
    );
  }, [client, namespace]);

  useEffect(() => {
    if (!active) return;
    setLeases([]);
    setLoading(true);
    reload();
    const timer = setInterval(reload, POLL_MS);
    return () => {
      clearInterval(timer);
      latest.current++;
    };
  }, [active, reload]);

  return { leases, loading, error, reload };
}

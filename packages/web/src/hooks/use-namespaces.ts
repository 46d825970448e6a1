import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Namespace } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { backoffDelay, sleep } from "../live/backoff.js";
import { errorMessage } from "../model/errors.js";

/** A namespace as the Namespaces view shows it. */
export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Containers in it; undefined until counted. */
  readonly containers?: number;
  /** Leases in it; undefined until counted. */
  readonly leases?: number;
}

/** The namespaces, live. */
export interface NamespacesState {
  readonly namespaces: readonly NamespaceInfo[];
  /** Their names, for the picker. */
  readonly names: readonly string[];
  readonly loading: boolean;
  readonly error: string | undefined;
  /** Lists again now (after this app wrote, or when the picker gets focus). */
  reload(): void;
}

/** Events that change the list or its counts; containerd ORs the filters of one Subscribe. */
const WATCHED = ['topic~="^/namespaces/"', 'topic=="/containers/create"', 'topic=="/containers/delete"'];

/**
 * Namespaces.List while `connected`, listed again on every `/namespaces/*`
 * event (made by anyone: ctr, the CLI, another tab) and on a container
 * created in a namespace not listed yet (containerd makes the namespace
 * then without an event). With `counted`, each namespace's containers
 * (berthd's PagesService total, counted by key; a ListStream where the
 * server lacks it) and leases are counted too, and container create and
 * delete events keep the counts current.
 */
export function useNamespaces(client: BerthClient, connected: boolean, counted: boolean): NamespacesState {
  const [namespaces, setNamespaces] = useState<readonly Namespace[]>([]);
  const [counts, setCounts] = useState<ReadonlyMap<string, { containers?: number; leases?: number }>>(new Map());
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const known = useRef<ReadonlySet<string>>(new Set());
  known.current = new Set(namespaces.map((namespace) => namespace.name));

  const listing = useRef<{ again: boolean } | undefined>(undefined);
  // One Namespaces.List at a time, and one more if asked meanwhile: a burst of events costs two calls, not hundreds
  // (a browser has only six HTTP/1.1 connections per origin for everything).
  const reload = useCallback(() => {
    if (listing.current !== undefined) {
      listing.current.again = true;
      return;
    }
    const current = { again: false };
    listing.current = current;
    client.namespaces
      .list({})
      .then((response) => {
        setNamespaces(response.namespaces);
        setLoading(false);
        setError(undefined);
      })
      .catch((failure: unknown) => {
        setLoading(false);
        setError(errorMessage(failure));
      })
      .finally(() => {
        listing.current = undefined;
        if (current.again) reload();
      });
  }, [client]);

  useEffect(() => {
    if (!connected) return;
    reload();
    const stopped = new AbortController();
    const signal = stopped.signal;
    const follow = async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          for await (const envelope of client.events.subscribe({ filters: WATCHED }, { signal })) {
            failures = 0;
            if (envelope.topic.startsWith("/namespaces/")) reload();
            // A container's create makes its namespace when missing, and containerd publishes no namespace event then.
            else if (envelope.topic === "/containers/create" && !known.current.has(envelope.namespace)) {
              known.current = new Set(known.current).add(envelope.namespace);
              reload();
            } else if (envelope.topic === "/containers/create" || envelope.topic === "/containers/delete") {
              const step = envelope.topic === "/containers/create" ? 1 : -1;
              setCounts((held) => adjust(held, envelope.namespace, step));
            }
          }
        } catch {
          // The container feed reports the connection; this only tries again.
        }
        await sleep(backoffDelay(failures++), signal);
      }
    };
    void follow();
    return () => stopped.abort();
  }, [client, connected, reload]);

  const names = namespaces.map((namespace) => namespace.name).join("\n");
  // Opening the view lists again: what it shows must be now, not when the page loaded.
  useEffect(() => {
    if (counted && connected) reload();
  }, [counted, connected, reload]);

  useEffect(() => {
    if (!counted || !connected || names === "") return;
    const stopped = new AbortController();
    const signal = stopped.signal;
    /** Whether berthd counts for us (its PagesService); a containerd behind berthd does not. */
    let pagesServed = true;
    const countContainers = async (scoped: BerthClient): Promise<number> => {
      if (pagesServed) {
        try {
          const page = await scoped.pages.listPage({ pageSize: 1, includeTotal: true }, { signal });
          return Number(page.total ?? 0n);
        } catch (error) {
          if (!(error instanceof ConnectError && error.code === Code.Unimplemented)) throw error;
          pagesServed = false;
        }
      }
      let containers = 0;
      for await (const _ of scoped.containers.listStream({}, { signal })) containers++;
      return containers;
    };
    const countOne = async (name: string) => {
      const scoped = client.withNamespace(name);
      const containers = await countContainers(scoped);
      const { leases } = await scoped.leases.list({}, { signal });
      if (!signal.aborted) setCounts((held) => new Map(held).set(name, { containers, leases: leases.length }));
    };
    const countAll = async () => {
      for (const name of names.split("\n")) await countOne(name).catch(() => undefined);
    };
    void countAll();
    return () => stopped.abort();
  }, [client, counted, connected, names]);

  return {
    namespaces: namespaces.map((namespace) => ({
      name: namespace.name,
      labels: namespace.labels,
      ...counts.get(namespace.name),
    })),
    names: namespaces.map((namespace) => namespace.name),
    loading,
    error,
    reload,
  };
}

function adjust(
  held: ReadonlyMap<string, { containers?: number; leases?: number }>,
  namespace: string,
  step: number,
): ReadonlyMap<string, { containers?: number; leases?: number }> {
  const count = held.get(namespace);
  if (count?.containers === undefined) return held;
  return new Map(held).set(namespace, { ...count, containers: Math.max(0, count.containers + step) });
}

/**
 * Keeps a {@link ContainerStore} equal to what berthd holds for one namespace
 * and filter: lists with ListStream (rows appear as messages arrive), follows
 * the namespace's events for changes made by anyone (berth, ctr, other tabs),
 * and reconnects with backoff when the server goes away. Where berthd keeps an
 * event history, events come from it, and a reconnection resumes after the last
 * one seen — what changed meanwhile is replayed and fetched, with no new listing;
 * a server without one (or a history that moved past us) is listed again.
 */
import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import type { ContainerStore } from "../model/container-store.js";
import { errorMessage, isInvalidArgument } from "../model/errors.js";
import type { TaskStore } from "../model/task-store.js";
import { type BackoffOptions, backoffDelay, sleep } from "./backoff.js";
import { containerChange, namespaceEventFilter, singleContainerFilter } from "./events.js";
import { createRefreshQueue } from "./refresh-queue.js";
import { createTaskTracker, taskContainerId } from "./task-tracker.js";

/** State of the link to berthd, for the connection indicator. */
export type ConnectionState = "connecting" | "connected" | "reconnecting";

/** State of the current listing, for the filter box and the count. */
export interface ListState {
  readonly loading: boolean;
  /** The server's message when it rejected the filter (or the namespace). */
  readonly error: string | undefined;
}

/** What the table shows: one namespace, one filter in containerd's syntax. */
export interface FeedView {
  readonly namespace: string;
  readonly filter: string;
}

/** Options of {@link createContainerFeed}. */
export interface ContainerFeedOptions {
  /** Client of any namespace; the feed picks the view's. */
  readonly client: BerthClient;
  readonly store: ContainerStore;
  /** Where the namespace's tasks go, when the server runs them (a containerd behind berthd). */
  readonly tasks?: TaskStore;
  /** Called when the connection state changes; `detail` is the last failure. */
  readonly onConnection: (state: ConnectionState, detail: string | undefined) => void;
  readonly onList: (state: ListState) => void;
  readonly backoff?: BackoffOptions;
}

/** A running feed. */
export interface ContainerFeed {
  /** Switches namespace (new subscription, table emptied) or filter (new listing). */
  show(view: FeedView): void;
  /** A container this app just created or updated: shown at once when it can be. */
  wrote(container: Container): void;
  /** A container this app just deleted. */
  deleted(id: string): void;
  /** Ends every call. */
  dispose(): void;
}

/** Starts nothing until {@link ContainerFeed.show} is called. */
export function createContainerFeed(options: ContainerFeedOptions): ContainerFeed {
  let view: FeedView | undefined;
  let session: Session | undefined;
  let connection: ConnectionState = "connecting";
  const setConnection = (state: ConnectionState, detail: string | undefined) => {
    if (state === connection && state === "connected") return;
    connection = state;
    options.onConnection(state, detail);
  };
  return {
    show(next) {
      const filter = next.filter.trim();
      const previous = view;
      view = { namespace: next.namespace, filter };
      if (session === undefined || previous?.namespace !== next.namespace) {
        session?.stop();
        options.store.clear();
        options.tasks?.clear();
        session = startSession(next.namespace, () => view?.filter ?? "", options, setConnection);
      } else if (previous.filter !== filter) {
        session.relist(true);
      }
    },
    wrote: (container) => session?.wrote(container),
    deleted: (id) => session?.deleted(id),
    dispose() {
      session?.stop();
      session = undefined;
    },
  };
}

interface Session {
  relist(supersede: boolean): void;
  wrote(container: Container): void;
  deleted(id: string): void;
  stop(): void;
}

/** Containers touched by events while a listing runs, so its older snapshot cannot undo them. */
interface Sweep {
  readonly seen: Set<string>;
  readonly deleted: Set<string>;
}

function startSession(
  namespace: string,
  currentFilter: () => string,
  options: ContainerFeedOptions,
  setConnection: (state: ConnectionState, detail: string | undefined) => void,
): Session {
  const { store } = options;
  const client = options.client.withNamespace(namespace);
  const tasks = options.tasks === undefined ? undefined : createTaskTracker(client, options.tasks);
  const stopped = new AbortController();
  let attempt: AbortController | undefined;
  let failures = 0;
  let lastError: string | undefined;
  let listing: AbortController | undefined;
  let listAgain = false;
  let listedFilter: string | undefined;
  let filterRejected = false;
  let sweep: Sweep | undefined;
  /** Whether the server keeps an event history; undefined until asked. */
  let historyKept: boolean | undefined;
  /** The sequence of the last history event seen: where a reconnection resumes. */
  let lastSequence: bigint | undefined;

  const connected = (signal: AbortSignal) => {
    if (signal.aborted) return;
    failures = 0;
    lastError = undefined;
    setConnection("connected", undefined);
  };

  /** Lists the current filter; throws only when the connection failed. */
  async function list(signal: AbortSignal): Promise<void> {
    listing?.abort();
    const own = new AbortController();
    const onAbort = () => own.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    listing = own;
    listAgain = false;
    const filter = currentFilter();
    if (listedFilter !== filter) store.clear();
    listedFilter = filter;
    const current: Sweep = { seen: new Set(), deleted: new Set() };
    sweep = current;
    options.onList({ loading: true, error: undefined });
    try {
      const request = { filters: filter === "" ? [] : [filter] };
      let first = true;
      for await (const { container } of client.containers.listStream(request, { signal: own.signal })) {
        // A message already decoded when the listing was cancelled must not reach the store.
        if (own.signal.aborted) return;
        if (first) connected(signal);
        first = false;
        if (container === undefined || current.deleted.has(container.id)) continue;
        current.seen.add(container.id);
        store.upsert(container);
      }
      store.retain(current.seen);
      filterRejected = false;
      connected(signal);
      options.onList({ loading: false, error: undefined });
    } catch (error) {
      if (own.signal.aborted) return;
      if (!isInvalidArgument(error)) throw error;
      store.clear();
      filterRejected = true;
      connected(signal);
      options.onList({ loading: false, error: errorMessage(error) });
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (sweep === current) sweep = undefined;
      if (listing === own) listing = undefined;
    }
    if (listAgain && !signal.aborted) await list(signal);
  }

  /** Lists again within the live attempt; `supersede` cancels a listing in progress. */
  function relist(supersede: boolean) {
    const live = attempt;
    if (live === undefined || live.signal.aborted) return; // the next attempt lists anyway
    if (listing !== undefined && !supersede) {
      listAgain = true;
      return;
    }
    list(live.signal).catch((error: unknown) => fail(live, error));
  }

  function fail(live: AbortController, error: unknown) {
    if (live.signal.aborted) return;
    lastError = errorMessage(error);
    live.abort();
  }

  /** The container as the view shows it: Get, or a listing of just it through the user's filter. */
  async function fetch(id: string, signal: AbortSignal): Promise<Container | undefined> {
    const filter = currentFilter();
    try {
      if (filter === "") return (await client.containers.get({ id }, { signal })).container;
      let found: Container | undefined;
      const request = { filters: [singleContainerFilter(id, filter)] };
      for await (const { container } of client.containers.listStream(request, { signal })) found = container;
      return found;
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
      throw error;
    }
  }

  const refreshes = createRefreshQueue({
    fetch,
    apply(id, container) {
      if (filterRejected) return;
      if (container === undefined) {
        sweep?.deleted.add(id);
        store.remove(id);
      } else {
        sweep?.deleted.delete(id);
        sweep?.seen.add(id);
        store.upsert(container);
      }
    },
    fail(error) {
      // A filter the server rejects is already shown; anything else means the connection is in trouble.
      if (attempt !== undefined && !isInvalidArgument(error)) fail(attempt, error);
    },
    overflow: () => relist(false),
  });

  function deleted(id: string) {
    refreshes.settled(id);
    sweep?.deleted.add(id);
    store.remove(id);
  }

  /** Applies one event of the namespace to the store and the tasks. */
  function apply(envelope: Pick<Envelope, "topic" | "event">, live: AbortController) {
    const change = containerChange(envelope);
    if (change?.kind === "changed") refreshes.changed(change.id);
    else if (change?.kind === "deleted") deleted(change.id);
    const taskOf = tasks === undefined ? undefined : taskContainerId(envelope);
    if (taskOf !== undefined) tasks?.changed(taskOf, live.signal).catch((error: unknown) => fail(live, error));
  }

  /**
   * Follows the namespace's events: from berthd's history, resuming after
   * `after` when given, else from containerd's Events.Subscribe.
   */
  async function follow(live: AbortController, after: bigint | undefined) {
    const { signal } = live;
    const filters = [namespaceEventFilter(namespace)];
    if (historyKept !== false) {
      try {
        const resume = after === undefined ? { filters } : { filters, after };
        for await (const { event } of client.history.subscribe(resume, { signal })) {
          if (signal.aborted || event === undefined) return;
          historyKept = true;
          lastSequence = event.sequence;
          // Events were missed (a gateway that lost containerd): only a listing knows what changed.
          if (event.gap !== undefined) relist(true);
          else apply(event, live);
        }
        return;
      } catch (error) {
        if (!(error instanceof ConnectError && error.code === Code.Unimplemented)) throw error;
        historyKept = false;
      }
    }
    for await (const envelope of client.events.subscribe({ filters }, { signal })) {
      // After a namespace switch the store belongs to the next session.
      if (signal.aborted) return;
      apply(envelope, live);
    }
  }

  /**
   * Whether a reconnection can resume after `after`: the history still holds
   * what follows it (asking also tells that the server is back).
   */
  async function canResume(after: bigint, signal: AbortSignal): Promise<boolean> {
    try {
      await client.history.list({ after, limit: 1 }, { signal });
      return true;
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.OutOfRange) return false;
      throw error;
    }
  }

  async function run() {
    while (!stopped.signal.aborted) {
      const live = new AbortController();
      const end = () => live.abort();
      stopped.signal.addEventListener("abort", end, { once: true });
      attempt = live;
      refreshes.resume(live.signal);
      const after = lastSequence;
      const resuming =
        after !== undefined &&
        historyKept === true &&
        (await canResume(after, live.signal).catch((error: unknown) => {
          fail(live, error);
          return false;
        }));
      if (!live.signal.aborted) {
        // Subscribe first, so that nothing committed after the listing's snapshot is missed.
        follow(live, resuming ? after : undefined).then(
          () => fail(live, new Error("event stream ended")),
          (error: unknown) => fail(live, error),
        );
        if (resuming) connected(live.signal);
        else await list(live.signal).catch((error: unknown) => fail(live, error));
        await tasks?.listAll(live.signal).catch((error: unknown) => fail(live, error));
      }
      await new Promise<void>((resolve) => {
        if (live.signal.aborted) resolve();
        else live.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      stopped.signal.removeEventListener("abort", end);
      attempt = undefined;
      refreshes.clear();
      if (stopped.signal.aborted) return;
      setConnection("reconnecting", lastError);
      await sleep(backoffDelay(failures++, options.backoff), stopped.signal);
    }
  }

  void run();
  return {
    relist,
    wrote(container) {
      if (currentFilter() === "" && !filterRejected) {
        refreshes.settled(container.id);
        sweep?.deleted.delete(container.id);
        sweep?.seen.add(container.id);
        store.upsert(container);
      } else {
        refreshes.changed(container.id);
      }
    },
    deleted,
    stop: () => stopped.abort(),
  };
}

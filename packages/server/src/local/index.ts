import type { Plugin } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import type { Exchange } from "../events/exchange.js";
import { envelopeOf } from "../store/event-log.js";
import type { Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import { type ContainersLocal, createContainersLocal } from "./containers.js";
import { createEventsLocal, type EventsLocal } from "./events.js";
import { createHistoryLocal, type HistoryLocal } from "./history.js";
import { createIntrospectionLocal, type IntrospectionLocal } from "./introspection.js";
import { createLeasesLocal, type LeasesLocal } from "./leases.js";
import { createNamespacesLocal, type NamespacesLocal } from "./namespaces.js";
import { MAX_MATCHING_MS } from "./paced-matching.js";

/** containerd's rules for every service, over one store and one event exchange. */
export interface Local {
  readonly containers: ContainersLocal;
  readonly namespaces: NamespacesLocal;
  readonly leases: LeasesLocal;
  readonly events: EventsLocal;
  readonly history: HistoryLocal;
  readonly introspection: IntrospectionLocal;
}

/** Options of {@link createLocal}. */
export interface LocalOptions {
  readonly clock?: Clock | undefined;
  /** CPU one List or ListStream may spend matching filters (default {@link MAX_MATCHING_MS}). */
  readonly maxMatchingMs?: number | undefined;
  /** The plugins introspection lists (default none). */
  readonly plugins?: (() => readonly Plugin[]) | undefined;
}

/**
 * Builds every rule set. Changes are stored with their events in one batch
 * (the store's history), and each committed event is then announced on `exchange`.
 */
export function createLocal(store: Store, exchange: Exchange, options: LocalOptions = {}): Local {
  const withClock = options.clock === undefined ? {} : { clock: options.clock };
  const maxMatchingMs = options.maxMatchingMs ?? MAX_MATCHING_MS;
  store.history.log.onCommitted((committed) => {
    for (const event of committed) {
      if (event.gap === undefined) exchange.publish(envelopeOf(event));
    }
  });
  const events = createEventsLocal({
    exchange,
    record: (envelope) => store.history.record([{ envelope }]),
    ...withClock,
  });
  return {
    containers: createContainersLocal({ store: store.containers, events, maxMatchingMs, ...withClock }),
    namespaces: createNamespacesLocal({ store: store.namespaces, events }),
    leases: createLeasesLocal({ store: store.leases, maxMatchingMs, ...withClock }),
    events,
    history: createHistoryLocal({ history: store.history }),
    introspection: createIntrospectionLocal({
      plugins: options.plugins ?? (() => []),
      serverUuid: () => store.serverUuid(),
    }),
  };
}

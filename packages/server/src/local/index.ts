import type { Exchange } from "../events/exchange.js";
import type { Store } from "../store/types.js";
import type { Clock } from "./clock.js";
import { type ContainersLocal, createContainersLocal } from "./containers.js";
import { createEventsLocal, type EventsLocal } from "./events.js";
import { createLeasesLocal, type LeasesLocal } from "./leases.js";
import { createNamespacesLocal, type NamespacesLocal } from "./namespaces.js";

/** containerd's rules for every service, over one store and one event exchange. */
export interface Local {
  readonly containers: ContainersLocal;
  readonly namespaces: NamespacesLocal;
  readonly leases: LeasesLocal;
  readonly events: EventsLocal;
}

/** Builds every rule set; changes are announced on `exchange` after they commit. */
export function createLocal(store: Store, exchange: Exchange, clock?: Clock): Local {
  const withClock = clock === undefined ? {} : { clock };
  const events = createEventsLocal({ exchange, ...withClock });
  return {
    containers: createContainersLocal({ store: store.containers, events, ...withClock }),
    namespaces: createNamespacesLocal({ store: store.namespaces, events }),
    leases: createLeasesLocal({ store: store.leases, ...withClock }),
    events,
  };
}

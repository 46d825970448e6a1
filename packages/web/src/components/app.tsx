import type { BerthClient } from "@berth/client";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useEventLog } from "../hooks/use-event-log.js";
import { useImages } from "../hooks/use-images.js";
import { useLeases } from "../hooks/use-leases.js";
import { useNamespaces } from "../hooks/use-namespaces.js";
import { useNow } from "../hooks/use-now.js";
import { useRoute } from "../hooks/use-route.js";
import { useStoreVersion } from "../hooks/use-store-version.js";
import { retryNow } from "../live/backoff.js";
import { type ConnectionState, createContainerFeed, type ListState } from "../live/container-feed.js";
import type { Credentials } from "../live/credentials.js";
import { createContainerStore } from "../model/container-store.js";
import { formatRoute, type ViewName } from "../model/route.js";
import { createTaskStore } from "../model/task-store.js";
import { ContainersView } from "../views/containers-view.js";
import { EventsView } from "../views/events-view.js";
import { ImagesView } from "../views/images-view.js";
import { LeasesView } from "../views/leases-view.js";
import { NamespacesView } from "../views/namespaces-view.js";
import { ConnectionBanner } from "./connection-banner.js";
import { ConnectionIndicator } from "./connection-indicator.js";
import { NamespacePicker } from "./namespace-picker.js";
import { ThemeToggle } from "./theme-toggle.js";
import { TokenDialog } from "./token-dialog.js";

/** Props of {@link App}. */
export interface AppProps {
  /** Client over the page's origin; the app picks the namespace. */
  readonly client: BerthClient;
  /** The bearer token the client sends, and whether the server wants one. */
  readonly credentials: Credentials;
}

const VIEW_LABELS: Record<ViewName, string> = {
  containers: "Containers",
  namespaces: "Namespaces",
  leases: "Leases",
  events: "Events",
  images: "Images",
};

/** Views that show one namespace, and so show the namespace picker. */
const NAMESPACED: ReadonlySet<ViewName> = new Set(["containers", "leases", "images"]);

/**
 * The whole app: navigation between the views (each its own URL), the
 * namespace picker, the connection banner and the token prompt. The container
 * feed runs whatever the view, so it also tells whether berthd is reachable.
 */
export function App({ client, credentials }: AppProps) {
  const { route, navigate } = useRoute();
  const store = useMemo(createContainerStore, []);
  const version = useStoreVersion(store);
  const tasks = useMemo(createTaskStore, []);
  const tasksVersion = useStoreVersion(tasks);
  const [connection, setConnection] = useState<{ state: ConnectionState; detail: string | undefined }>({
    state: "connecting",
    detail: undefined,
  });
  const [list, setList] = useState<ListState>({ loading: true, error: undefined });
  const [credentialState, setCredentialState] = useState(credentials.state);
  const [paused, setPaused] = useState(false);
  useEffect(() => credentials.subscribe(() => setCredentialState(credentials.state)), [credentials]);

  const feed = useMemo(
    () =>
      createContainerFeed({
        client,
        store,
        tasks,
        onConnection: (state, detail) => setConnection({ state, detail }),
        onList: setList,
      }),
    [client, store],
  );
  useEffect(() => () => feed.dispose(), [feed]);
  const containerFilter = route.view === "containers" ? route.filter : undefined;
  const [shownFilter, setShownFilter] = useState(route.filter);
  // Other views reuse `filter=` for their own syntax: the table keeps its last containers filter.
  useEffect(() => {
    if (containerFilter !== undefined) setShownFilter(containerFilter);
  }, [containerFilter]);
  useEffect(() => feed.show({ namespace: route.namespace, filter: shownFilter }), [feed, route.namespace, shownFilter]);

  const view = route.view;
  const connected = connection.state === "connected";
  const now = useNow(view === "leases" ? 1000 : 15_000);
  const scoped = useMemo(() => client.withNamespace(route.namespace), [client, route.namespace]);
  const namespaces = useNamespaces(client, connected, view === "namespaces");
  const images = useImages(client, route.namespace, view === "images");
  const leases = useLeases(client, route.namespace, view === "leases");
  const log = useEventLog(client, view === "events" ? route.filter : "", view === "events", paused);
  const views = (Object.keys(VIEW_LABELS) as ViewName[]).filter((name) => name !== "images" || images.supported);

  return (
    <>
      <header class="topbar">
        <h1 class="brand">Berth</h1>
        <nav class="nav" aria-label="Views">
          {views.map((name) => (
            <a
              key={name}
              class="nav-link"
              href={formatRoute({ ...route, view: name, id: "", filter: "", search: "", sort: "" })}
              aria-current={view === name ? "page" : undefined}
            >
              {VIEW_LABELS[name]}
            </a>
          ))}
        </nav>
        {NAMESPACED.has(view) && (
          <NamespacePicker
            value={route.namespace}
            names={namespaces.names}
            onFocus={namespaces.reload}
            onChange={(namespace) => navigate({ namespace, id: "" })}
          />
        )}
        <div class="topbar-end">
          <ConnectionIndicator state={connection.state} detail={connection.detail} />
          <ThemeToggle />
        </div>
      </header>
      <ConnectionBanner state={connection.state} detail={connection.detail} />
      {view === "namespaces" ? (
        <NamespacesView client={client} state={namespaces} route={route} />
      ) : view === "leases" ? (
        <LeasesView client={scoped} state={leases} now={now} route={route} navigate={navigate} />
      ) : view === "events" ? (
        <EventsView log={log} paused={paused} onPause={setPaused} now={now} route={route} navigate={navigate} />
      ) : view === "images" && images.supported === true ? (
        <main class="workspace">
          <ImagesView namespace={route.namespace} state={images} now={now} />
        </main>
      ) : (
        <ContainersView
          client={scoped}
          store={store}
          version={version}
          tasks={tasks}
          tasksVersion={tasksVersion}
          feed={feed}
          list={list}
          now={now}
          route={route}
          navigate={navigate}
        />
      )}
      {credentialState !== "ok" && (
        <TokenDialog
          refused={credentialState === "refused"}
          onToken={(token) => {
            credentials.set(token);
            retryNow();
          }}
        />
      )}
    </>
  );
}

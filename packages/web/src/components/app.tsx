import type { BerthClient } from "@berth/client";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useEventHistory } from "../hooks/use-event-history.js";
import { useImages } from "../hooks/use-images.js";
import { useNamespaces } from "../hooks/use-namespaces.js";
import { useNow } from "../hooks/use-now.js";
import { useStoreVersion } from "../hooks/use-store-version.js";
import { type ConnectionState, createContainerFeed, type ListState } from "../live/container-feed.js";
import { createContainerStore } from "../model/container-store.js";
import { initialNamespace, rememberNamespace } from "../model/namespace.js";
import { createTaskStore } from "../model/task-store.js";
import { ConnectionIndicator } from "./connection-indicator.js";
import { ContainerTable } from "./container-table.js";
import { CreateDialog } from "./create-dialog.js";
import { DeleteDialog } from "./delete-dialog.js";
import { DeleteTaskDialog } from "./delete-task-dialog.js";
import { DetailsPane } from "./details-pane.js";
import { EventsView } from "./events-view.js";
import { FilterBox } from "./filter-box.js";
import { ImagesView } from "./images-view.js";
import { KillDialog } from "./kill-dialog.js";
import { LabelsDialog } from "./labels-dialog.js";
import { ListSummary } from "./list-summary.js";
import { NamespacePicker } from "./namespace-picker.js";
import { ThemeToggle } from "./theme-toggle.js";

/** Props of {@link App}. */
export interface AppProps {
  /** Client over the page's origin; the app picks the namespace. */
  readonly client: BerthClient;
}

type Dialog =
  | { readonly kind: "create" }
  | { readonly kind: "labels"; readonly id: string }
  | { readonly kind: "delete"; readonly id: string }
  | { readonly kind: "kill"; readonly id: string; readonly pid: number }
  | { readonly kind: "delete-task"; readonly id: string; readonly exitStatus: number };

/** The views; Images only where the server keeps images (a containerd behind berthd), Events where it keeps a history. */
type View = "containers" | "images" | "events";

const VIEW_LABELS: Record<View, string> = { containers: "Containers", images: "Images", events: "Events" };

/**
 * The whole app: namespace picker, live container table, details, and the
 * dialogs that write. In front of a containerd it also shows each container's
 * task (start, kill, delete) and the namespace's images.
 */
export function App({ client }: AppProps) {
  const store = useMemo(createContainerStore, []);
  const version = useStoreVersion(store);
  const tasks = useMemo(createTaskStore, []);
  const tasksVersion = useStoreVersion(tasks);
  const [view, setView] = useState<View>("containers");
  const now = useNow();
  const [namespace, setNamespace] = useState(initialNamespace);
  const [filter, setFilter] = useState("");
  const [connection, setConnection] = useState<{ state: ConnectionState; detail: string | undefined }>({
    state: "connecting",
    detail: undefined,
  });
  const [list, setList] = useState<ListState>({ loading: true, error: undefined });
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [dialog, setDialog] = useState<Dialog | undefined>();

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
  useEffect(() => feed.show({ namespace, filter }), [feed, namespace, filter]);
  useEffect(() => rememberNamespace(namespace), [namespace]);

  const scoped = useMemo(() => client.withNamespace(namespace), [client, namespace]);
  const namespaces = useNamespaces(client, connection.state === "connected");
  const images = useImages(client, namespace, view === "images");
  const history = useEventHistory(client, namespace, view === "events");
  const views: View[] = [
    "containers",
    ...(images.supported === true ? (["images"] as const) : []),
    ...(history.supported === true ? (["events"] as const) : []),
  ];
  const selected = selectedId === undefined ? undefined : store.get(selectedId);
  const tasksSupported = tasks.supported === true;
  const selectedTask = selectedId === undefined ? undefined : tasks.get(selectedId);
  const closeDialog = () => setDialog(undefined);

  return (
    <>
      <header class="topbar">
        <h1 class="brand">Berth</h1>
        <NamespacePicker
          value={namespace}
          names={namespaces.names}
          onFocus={namespaces.reload}
          onChange={(next) => {
            setSelectedId(undefined);
            setDialog(undefined);
            setNamespace(next);
          }}
        />
        {views.length > 1 && (
          <div class="view-tabs" role="tablist" aria-label="View">
            {views.map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                class="button button-quiet"
                aria-selected={view === name}
                onClick={() => setView(name)}
              >
                {VIEW_LABELS[name]}
              </button>
            ))}
          </div>
        )}
        <div class="topbar-end">
          <ConnectionIndicator state={connection.state} detail={connection.detail} />
          <ThemeToggle />
        </div>
      </header>
      {view === "images" && images.supported === true ? (
        <main class="workspace">
          <ImagesView namespace={namespace} state={images} now={now} />
        </main>
      ) : view === "events" && history.supported === true ? (
        <main class="workspace">
          <EventsView namespace={namespace} state={history} now={now} />
        </main>
      ) : (
        <main class={selectedId === undefined ? "workspace" : "workspace with-details"}>
          <section class="list" aria-labelledby="containers-title">
            <div class="toolbar">
              <h2 id="containers-title">Containers</h2>
              <ListSummary count={store.size} loading={list.loading} failed={list.error !== undefined} />
              <FilterBox onApply={setFilter} error={list.error} />
              <button type="button" class="button button-primary" onClick={() => setDialog({ kind: "create" })}>
                New container
              </button>
            </div>
            <div class="table-area">
              <ContainerTable
                store={store}
                version={version}
                now={now}
                loading={list.loading}
                selectedId={selectedId}
                onOpen={setSelectedId}
                tasks={tasks}
                tasksVersion={tasksVersion}
              />
              {store.size === 0 && !list.loading && list.error === undefined && (
                <p class="empty">
                  No containers in {namespace}
                  {filter.trim() === "" ? "" : " match the filter"}.
                </p>
              )}
            </div>
          </section>
          {selectedId !== undefined && (
            <DetailsPane
              id={selectedId}
              container={selected}
              now={now}
              onClose={() => setSelectedId(undefined)}
              onEditLabels={() => setDialog({ kind: "labels", id: selectedId })}
              onDelete={() => setDialog({ kind: "delete", id: selectedId })}
              tasks={
                tasksSupported
                  ? {
                      client: scoped,
                      task: selectedTask,
                      onKill: () => setDialog({ kind: "kill", id: selectedId, pid: selectedTask?.pid ?? 0 }),
                      onDeleteTask: () =>
                        setDialog({ kind: "delete-task", id: selectedId, exitStatus: selectedTask?.exitStatus ?? 0 }),
                    }
                  : undefined
              }
            />
          )}
        </main>
      )}
      {dialog?.kind === "create" && (
        <CreateDialog
          client={scoped}
          onClose={closeDialog}
          onCreated={(container) => {
            feed.wrote(container);
            closeDialog();
            setSelectedId(container.id);
          }}
        />
      )}
      {dialog?.kind === "labels" && selected !== undefined && (
        <LabelsDialog
          client={scoped}
          container={selected}
          onClose={closeDialog}
          onSaved={(container) => {
            feed.wrote(container);
            closeDialog();
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <DeleteDialog
          client={scoped}
          id={dialog.id}
          container={store.get(dialog.id)}
          task={tasks.get(dialog.id)}
          tasksSupported={tasksSupported}
          onClose={closeDialog}
          onDeleted={(id) => {
            feed.deleted(id);
            closeDialog();
            setSelectedId(undefined);
          }}
        />
      )}
      {dialog?.kind === "kill" && (
        <KillDialog client={scoped} containerId={dialog.id} pid={dialog.pid} onClose={closeDialog} />
      )}
      {dialog?.kind === "delete-task" && (
        <DeleteTaskDialog
          client={scoped}
          containerId={dialog.id}
          exitStatus={dialog.exitStatus}
          onClose={closeDialog}
        />
      )}
    </>
  );
}

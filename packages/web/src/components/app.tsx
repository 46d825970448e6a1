import type { BerthClient } from "@berth/client";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useNamespaces } from "../hooks/use-namespaces.js";
import { useNow } from "../hooks/use-now.js";
import { useStoreVersion } from "../hooks/use-store-version.js";
import { type ConnectionState, createContainerFeed, type ListState } from "../live/container-feed.js";
import { createContainerStore } from "../model/container-store.js";
import { initialNamespace, rememberNamespace } from "../model/namespace.js";
import { ConnectionIndicator } from "./connection-indicator.js";
import { ContainerTable } from "./container-table.js";
import { CreateDialog } from "./create-dialog.js";
import { DeleteDialog } from "./delete-dialog.js";
import { DetailsPane } from "./details-pane.js";
import { FilterBox } from "./filter-box.js";
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
  | { readonly kind: "delete"; readonly id: string };

/** The whole app: namespace picker, live container table, details, and the dialogs that write. */
export function App({ client }: AppProps) {
  const store = useMemo(createContainerStore, []);
  const version = useStoreVersion(store);
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
  const selected = selectedId === undefined ? undefined : store.get(selectedId);
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
        <div class="topbar-end">
          <ConnectionIndicator state={connection.state} detail={connection.detail} />
          <ThemeToggle />
        </div>
      </header>
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
          />
        )}
      </main>
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
          onClose={closeDialog}
          onDeleted={(id) => {
            feed.deleted(id);
            closeDialog();
            setSelectedId(undefined);
          }}
        />
      )}
    </>
  );
}

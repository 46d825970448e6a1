import type { BerthClient } from "@berth/client";
import { useMemo, useState } from "preact/hooks";
import { BulkDialog, countOf, IdPreview } from "../components/bulk-dialog.js";
import { ContainerTable } from "../components/container-table.js";
import { CreateDialog } from "../components/create-dialog.js";
import { DeleteDialog } from "../components/delete-dialog.js";
import { DeleteTaskDialog } from "../components/delete-task-dialog.js";
import { DetailsPane } from "../components/details-pane.js";
import { FilterBox } from "../components/filter-box.js";
import { KillDialog } from "../components/kill-dialog.js";
import { LabelsDialog } from "../components/labels-dialog.js";
import { ListSummary } from "../components/list-summary.js";
import { SearchBox } from "../components/search-box.js";
import type { NavigateOptions } from "../hooks/use-route.js";
import type { ContainerFeed, ListState } from "../live/container-feed.js";
import { deleteContainer } from "../live/task-actions.js";
import { containerRows } from "../model/container-rows.js";
import type { ContainerStore } from "../model/container-store.js";
import { parseLabelLines } from "../model/labels.js";
import { nextSort, type Route } from "../model/route.js";
import type { TaskStore } from "../model/task-store.js";

/** Props of {@link ContainersView}. */
export interface ContainersViewProps {
  /** Client of the route's namespace. */
  readonly client: BerthClient;
  readonly store: ContainerStore;
  readonly version: number;
  readonly tasks: TaskStore;
  readonly tasksVersion: number;
  readonly feed: ContainerFeed;
  readonly list: ListState;
  readonly now: number;
  readonly route: Route;
  readonly navigate: (patch: Partial<Route>, options?: NavigateOptions) => void;
}

type Dialog =
  | { readonly kind: "create" }
  | { readonly kind: "labels"; readonly id: string }
  | { readonly kind: "delete"; readonly id: string }
  | { readonly kind: "kill"; readonly id: string; readonly pid: number }
  | { readonly kind: "delete-task"; readonly id: string; readonly exitStatus: number }
  | { readonly kind: "bulk-delete"; readonly ids: readonly string[] }
  | { readonly kind: "bulk-label"; readonly ids: readonly string[] };

/**
 * The namespace's containers: containerd filter (sent to the server), quick
 * search and sort (over what is loaded), the virtualised table with
 * multi-select and bulk delete / label, the details pane, and the dialogs that
 * write. In front of a containerd it also shows and drives each container's task.
 */
export function ContainersView(props: ContainersViewProps) {
  const { client, store, version, tasks, tasksVersion, feed, list, now, route, navigate } = props;
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(
    () => containerRows(store, route.search, route.sort, (id) => tasks.get(id)),
    [store, version, tasksVersion, route.search, route.sort],
  );
  const openId = route.id === "" ? undefined : route.id;
  const open = (id: string | undefined) => navigate({ id: id ?? "" });
  const tasksSupported = tasks.supported === true;
  const openTask = openId === undefined ? undefined : tasks.get(openId);
  const closeDialog = () => setDialog(undefined);
  const labelled = dialog?.kind === "labels" ? store.get(dialog.id) : undefined;
  // Picked containers that were deleted meanwhile are no longer picked.
  const picked = [...checked].filter((id) => store.get(id) !== undefined);
  const setPicked = (ids: Iterable<string>) => setChecked(new Set(ids));

  return (
    <>
      <main class={openId === undefined ? "workspace" : "workspace with-details"}>
        <section class="list" aria-labelledby="containers-title">
          <div class="toolbar">
            <h2 id="containers-title">Containers</h2>
            <ListSummary
              count={store.size}
              shown={rows.size}
              loading={list.loading}
              failed={list.error !== undefined}
            />
            <FilterBox
              id="filter"
              value={route.filter}
              onApply={(filter) => navigate({ filter: filter.trim() }, { replace: true })}
              error={list.error}
              placeholder="labels.env==dev,image~=redis"
            />
            <SearchBox
              id="container-search"
              value={route.search}
              onChange={(search) => navigate({ search }, { replace: true })}
              placeholder="id, image or label"
            />
            <button type="button" class="button button-primary" onClick={() => setDialog({ kind: "create" })}>
              New container
            </button>
          </div>
          {picked.length > 0 && (
            <div class="bulk-bar" role="toolbar" aria-label="Selected containers">
              <p class="bulk-count">{countOf(picked.length, "container")} selected</p>
              <button type="button" class="button" onClick={() => setDialog({ kind: "bulk-label", ids: picked })}>
                Label…
              </button>
              <button
                type="button"
                class="button button-danger"
                onClick={() => setDialog({ kind: "bulk-delete", ids: picked })}
              >
                Delete…
              </button>
              <button type="button" class="button button-quiet" onClick={() => setPicked([])}>
                Clear selection
              </button>
            </div>
          )}
          <div class="table-area">
            <ContainerTable
              rows={rows}
              version={version}
              now={now}
              loading={list.loading}
              openId={openId}
              onOpen={open}
              sort={route.sort}
              onSort={(column) => navigate({ sort: nextSort(route.sort || "id", column) })}
              checked={checked}
              onCheck={(id, on) => {
                const next = new Set(checked);
                if (on) next.add(id);
                else next.delete(id);
                setChecked(next);
              }}
              onCheckAll={(on) => {
                const next = new Set(checked);
                for (let index = 0; index < rows.size; index++) {
                  const id = rows.at(index)?.id;
                  if (id === undefined) continue;
                  if (on) next.add(id);
                  else next.delete(id);
                }
                setChecked(next);
              }}
              tasks={tasks}
              tasksVersion={tasksVersion}
            />
            {rows.size === 0 && !list.loading && list.error === undefined && (
              <p class="empty">
                {store.size > 0
                  ? "No loaded container matches the search."
                  : `No containers in ${route.namespace}${route.filter === "" ? "" : " match the filter"}.`}
              </p>
            )}
          </div>
        </section>
        {openId !== undefined && (
          <DetailsPane
            id={openId}
            container={store.get(openId)}
            now={now}
            onClose={() => open(undefined)}
            onEditLabels={() => setDialog({ kind: "labels", id: openId })}
            onDelete={() => setDialog({ kind: "delete", id: openId })}
            tasks={
              tasksSupported
                ? {
                    client,
                    task: openTask,
                    onKill: () => setDialog({ kind: "kill", id: openId, pid: openTask?.pid ?? 0 }),
                    onDeleteTask: () =>
                      setDialog({ kind: "delete-task", id: openId, exitStatus: openTask?.exitStatus ?? 0 }),
                  }
                : undefined
            }
          />
        )}
      </main>
      {dialog?.kind === "create" && (
        <CreateDialog
          client={client}
          onClose={closeDialog}
          onCreated={(container) => {
            feed.wrote(container);
            closeDialog();
            open(container.id);
          }}
        />
      )}
      {labelled !== undefined && (
        <LabelsDialog
          title={`Labels of ${labelled.id}`}
          labels={labelled.labels}
          onClose={closeDialog}
          save={async (patch) => {
            const response = await client.containers.update({
              container: { id: labelled.id, labels: patch.labels },
              updateMask: { paths: patch.paths },
            });
            if (response.container !== undefined) feed.wrote(response.container);
            closeDialog();
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <DeleteDialog
          client={client}
          id={dialog.id}
          container={store.get(dialog.id)}
          task={tasks.get(dialog.id)}
          tasksSupported={tasksSupported}
          onClose={closeDialog}
          onDeleted={(id) => {
            feed.deleted(id);
            closeDialog();
            open(undefined);
          }}
        />
      )}
      {dialog?.kind === "kill" && (
        <KillDialog client={client} containerId={dialog.id} pid={dialog.pid} onClose={closeDialog} />
      )}
      {dialog?.kind === "delete-task" && (
        <DeleteTaskDialog
          client={client}
          containerId={dialog.id}
          exitStatus={dialog.exitStatus}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === "bulk-delete" && (
        <BulkDialog
          title={`Delete ${countOf(dialog.ids.length, "container")}?`}
          ids={dialog.ids}
          confirmLabel={`Delete ${countOf(dialog.ids.length, "container")}`}
          tone="danger"
          prepare={() => (id) =>
            deleteContainer(client, store.get(id), id, tasks.get(id), tasksSupported).then(() => feed.deleted(id))
          }
          onFinished={(succeeded) => {
            const gone = new Set(succeeded);
            setPicked(picked.filter((id) => !gone.has(id)));
            if (openId !== undefined && gone.has(openId)) open(undefined);
          }}
          onClose={closeDialog}
        >
          <p>
            These containers are removed from namespace <strong>{route.namespace}</strong>
            {tasksSupported ? ", with their stopped tasks and snapshots" : ""}. This cannot be undone.
          </p>
          <IdPreview ids={dialog.ids} />
        </BulkDialog>
      )}
      {dialog?.kind === "bulk-label" && (
        <BulkDialog
          title={`Label ${countOf(dialog.ids.length, "container")}`}
          ids={dialog.ids}
          confirmLabel={`Label ${countOf(dialog.ids.length, "container")}`}
          tone="primary"
          prepare={(form) => {
            const parsed = parseLabelLines(String(new FormData(form).get("labels") ?? ""));
            if (!parsed.ok) return { error: parsed.error };
            const keys = Object.keys(parsed.labels).sort();
            if (keys.length === 0) return { error: "give at least one KEY=VALUE line" };
            const labels = Object.fromEntries(Object.entries(parsed.labels).filter(([, value]) => value !== ""));
            return async (id) => {
              const response = await client.containers.update({
                container: { id, labels },
                updateMask: { paths: keys.map((key) => `labels.${key}`) },
              });
              if (response.container !== undefined) feed.wrote(response.container);
            };
          }}
          onFinished={() => undefined}
          onClose={closeDialog}
        >
          <IdPreview ids={dialog.ids} />
          <label for="bulk-labels">Labels to set</label>
          <textarea
            id="bulk-labels"
            name="labels"
            rows={4}
            spellcheck={false}
            class="code"
            aria-describedby="bulk-labels-help"
          />
          <span id="bulk-labels-help" class="hint">
            One KEY=VALUE per line; an empty value (KEY=) removes that label. Other labels are kept.
          </span>
        </BulkDialog>
      )}
    </>
  );
}

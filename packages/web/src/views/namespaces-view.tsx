import type { BerthClient } from "@berth/client";
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { FormError } from "../components/form-error.js";
import { LabelsDialog } from "../components/labels-dialog.js";
import { ModalDialog } from "../components/modal-dialog.js";
import type { NamespacesState } from "../hooks/use-namespaces.js";
import { errorMessage } from "../model/errors.js";
import { parseLabelLines, summarizeLabels } from "../model/labels.js";
import { formatRoute, type Route } from "../model/route.js";

/** Props of {@link NamespacesView}. */
export interface NamespacesViewProps {
  readonly client: BerthClient;
  readonly state: NamespacesState;
  readonly route: Route;
}

type Dialog =
  | { readonly kind: "create" }
  | { readonly kind: "labels"; readonly name: string }
  | { readonly kind: "delete"; readonly name: string };

/**
 * Every namespace with its labels and how many containers and leases it
 * holds; create, edit labels, delete (containerd refuses to delete one that is
 * not empty, and says so). A name opens that namespace's containers.
 */
export function NamespacesView({ client, state, route }: NamespacesViewProps) {
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const close = () => setDialog(undefined);
  const editing = dialog?.kind === "labels" ? state.namespaces.find((ns) => ns.name === dialog.name) : undefined;
  const count = (value: number | undefined) => (value === undefined ? "…" : value.toLocaleString("en"));
  return (
    <main class="workspace">
      <section class="list" aria-labelledby="namespaces-title">
        <div class="toolbar">
          <h2 id="namespaces-title">Namespaces</h2>
          <p class="summary" aria-live="polite">
            {state.loading ? "Loading…" : `${state.namespaces.length} namespaces`}
          </p>
          <button type="button" class="button button-primary" onClick={() => setDialog({ kind: "create" })}>
            New namespace
          </button>
        </div>
        {state.error !== undefined && (
          <p class="form-error" role="alert">
            {state.error}
          </p>
        )}
        <div class="table-area scroll-area">
          <table class="plain-table" aria-label="Namespaces">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Labels</th>
                <th scope="col" class="number">
                  Containers
                </th>
                <th scope="col" class="number">
                  Leases
                </th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.namespaces.map((namespace) => (
                <tr key={namespace.name} id={`namespace-${namespace.name}`}>
                  <td>
                    <a href={formatRoute({ ...route, view: "containers", namespace: namespace.name, id: "" })}>
                      {namespace.name}
                    </a>
                  </td>
                  <td class="wrap">{summarizeLabels(namespace.labels) || <span class="muted">—</span>}</td>
                  <td class="number" data-count="containers">
                    {count(namespace.containers)}
                  </td>
                  <td class="number" data-count="leases">
                    {count(namespace.leases)}
                  </td>
                  <td>
                    <div class="row-actions">
                      <button
                        type="button"
                        class="button button-small"
                        aria-label={`Edit labels of ${namespace.name}`}
                        onClick={() => setDialog({ kind: "labels", name: namespace.name })}
                      >
                        Labels…
                      </button>
                      <button
                        type="button"
                        class="button button-small button-danger"
                        aria-label={`Delete ${namespace.name}`}
                        onClick={() => setDialog({ kind: "delete", name: namespace.name })}
                      >
                        Delete…
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {dialog?.kind === "create" && (
        <CreateNamespaceDialog
          client={client}
          onClose={close}
          onCreated={() => {
            state.reload();
            close();
          }}
        />
      )}
      {editing !== undefined && (
        <LabelsDialog
          title={`Labels of namespace ${editing.name}`}
          labels={editing.labels}
          onClose={close}
          save={async (patch) => {
            await client.namespaces.update({
              namespace: { name: editing.name, labels: patch.labels },
              updateMask: { paths: patch.paths },
            });
            state.reload();
            close();
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <ConfirmDialog
          title={`Delete namespace ${dialog.name}?`}
          confirmLabel="Delete"
          pendingLabel="Deleting…"
          errorId="namespace-delete-error"
          action={async () => {
            await client.namespaces.delete({ name: dialog.name });
          }}
          onDone={() => {
            state.reload();
            close();
          }}
          onClose={close}
        >
          <p>
            Namespace <strong>{dialog.name}</strong> is removed. containerd deletes only an empty namespace: one that
            still holds containers, leases, images or content stays, and the reason is shown here.
          </p>
        </ConfirmDialog>
      )}
    </main>
  );
}

/** Props of {@link CreateNamespaceDialog}. */
interface CreateNamespaceDialogProps {
  readonly client: BerthClient;
  readonly onCreated: () => void;
  readonly onClose: () => void;
}

/** A name and labels; the server checks the name (containerd's identifier rules). */
function CreateNamespaceDialog({ client, onCreated, onClose }: CreateNamespaceDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const labels = parseLabelLines(String(data.get("labels") ?? ""));
    if (!labels.ok) return setError(labels.error);
    setPending(true);
    setError(undefined);
    try {
      await client.namespaces.create({ namespace: { name: String(data.get("name") ?? ""), labels: labels.labels } });
      onCreated();
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };
  return (
    <ModalDialog title="New namespace" onClose={onClose}>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(event.currentTarget);
        }}
      >
        <label for="namespace-name">Name</label>
        <input id="namespace-name" name="name" required spellcheck={false} autocomplete="off" autofocus />
        <label for="namespace-labels">Labels</label>
        <textarea id="namespace-labels" name="labels" rows={3} spellcheck={false} class="code" />
        <span class="hint">One KEY=VALUE per line.</span>
        <FormError id="namespace-create-error" message={error} />
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? "Creating…" : "Create namespace"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

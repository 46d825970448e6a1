import type { BerthClient } from "@berth/client";
import type { Resource } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { useState } from "preact/hooks";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { FormError } from "../components/form-error.js";
import { KeyValueList } from "../components/key-value-list.js";
import { ModalDialog } from "../components/modal-dialog.js";
import type { LeaseInfo, LeasesState } from "../hooks/use-leases.js";
import type { NavigateOptions } from "../hooks/use-route.js";
import { errorMessage } from "../model/errors.js";
import { parseLabelLines, sortedEntries, summarizeLabels } from "../model/labels.js";
import { EXPIRE_LABEL, expiryLabel, formatCountdown, leaseExpiry } from "../model/lease-expiry.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";
import type { Route } from "../model/route.js";

/** Props of {@link LeasesView}. */
export interface LeasesViewProps {
  /** Client of the route's namespace. */
  readonly client: BerthClient;
  readonly state: LeasesState;
  /** Ticks every second: expiries count down. */
  readonly now: number;
  readonly route: Route;
  readonly navigate: (patch: Partial<Route>, options?: NavigateOptions) => void;
}

type Dialog = { readonly kind: "create" } | { readonly kind: "delete"; readonly id: string };

/**
 * The namespace's leases: expiry counting down, labels, resources. Create one
 * with an expiry; open one to add or remove resources or to delete it
 * (optionally waiting for the garbage collector: `sync`).
 */
export function LeasesView({ client, state, now, route, navigate }: LeasesViewProps) {
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const close = () => setDialog(undefined);
  const open = state.leases.find((info) => info.lease.id === route.id);
  return (
    <main class={route.id === "" ? "workspace" : "workspace with-details"}>
      <section class="list" aria-labelledby="leases-title">
        <div class="toolbar">
          <h2 id="leases-title">Leases</h2>
          <p class="summary" aria-live="polite">
            {state.loading ? "Loading…" : `${state.leases.length} leases`}
          </p>
          <button type="button" class="button button-primary" onClick={() => setDialog({ kind: "create" })}>
            New lease
          </button>
        </div>
        {state.error !== undefined && (
          <p class="form-error" role="alert">
            {state.error}
          </p>
        )}
        <div class="table-area scroll-area">
          <table class="plain-table" aria-label="Leases">
            <thead>
              <tr>
                <th scope="col">ID</th>
                <th scope="col">Expires</th>
                <th scope="col">Labels</th>
                <th scope="col" class="number">
                  Resources
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {state.leases.map(({ lease, resources }) => (
                <tr key={lease.id} id={`lease-${lease.id}`} aria-current={lease.id === route.id ? "true" : undefined}>
                  <td>
                    <button type="button" class="link-button" onClick={() => navigate({ id: lease.id })}>
                      {lease.id}
                    </button>
                  </td>
                  <td class="countdown">{formatCountdown(leaseExpiry(lease.labels), now)}</td>
                  <td class="wrap">{summarizeLabels(withoutExpiry(lease.labels)) || <span class="muted">—</span>}</td>
                  <td class="number">{resources === undefined ? "…" : resources.length}</td>
                  <td title={formatAbsolute(lease.createdAt)}>{formatRelative(lease.createdAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!state.loading && state.leases.length === 0 && state.error === undefined && (
            <p class="empty">No leases in {route.namespace}.</p>
          )}
        </div>
      </section>
      {route.id !== "" && (
        <LeaseDetails
          id={route.id}
          info={open}
          client={client}
          now={now}
          onChanged={state.reload}
          onDelete={() => setDialog({ kind: "delete", id: route.id })}
          onClose={() => navigate({ id: "" })}
        />
      )}
      {dialog?.kind === "create" && (
        <CreateLeaseDialog
          client={client}
          onClose={close}
          onCreated={(id) => {
            state.reload();
            close();
            navigate({ id });
          }}
        />
      )}
      {dialog?.kind === "delete" && (
        <DeleteLeaseDialog
          client={client}
          id={dialog.id}
          onClose={close}
          onDeleted={() => {
            state.reload();
            close();
            navigate({ id: "" });
          }}
        />
      )}
    </main>
  );
}

function withoutExpiry(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => key !== EXPIRE_LABEL));
}

interface LeaseDetailsProps {
  readonly id: string;
  readonly info: LeaseInfo | undefined;
  readonly client: BerthClient;
  readonly now: number;
  readonly onChanged: () => void;
  readonly onDelete: () => void;
  readonly onClose: () => void;
}

/** One lease: expiry, labels, its resources with Remove, a form that adds one, and Delete. */
function LeaseDetails({ id, info, client, now, onChanged, onDelete, onClose }: LeaseDetailsProps) {
  const [error, setError] = useState<string | undefined>();
  const act = async (call: Promise<unknown>) => {
    setError(undefined);
    try {
      await call;
      onChanged();
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  const remove = (resource: Resource) =>
    act(client.leases.deleteResource({ id, resource: { id: resource.id, type: resource.type } }));
  return (
    <aside
      class="details"
      aria-labelledby="lease-title"
      onKeyDown={(event) => {
        if (event.key !== "Escape" || event.defaultPrevented) return;
        event.preventDefault();
        onClose();
      }}
    >
      <header class="details-header">
        <h2 id="lease-title" tabIndex={-1}>
          <span class="visually-hidden">Lease </span>
          {id}
        </h2>
        <button type="button" class="button button-quiet" aria-label="Close lease" onClick={onClose}>
          ×
        </button>
      </header>
      {info === undefined ? (
        <p class="muted">No lease {id} in this namespace (it was deleted, or it expired).</p>
      ) : (
        <div class="details-body">
          <div class="details-actions">
            <button type="button" class="button button-danger" onClick={onDelete}>
              Delete lease…
            </button>
          </div>
          <KeyValueList
            entries={[
              ["Expires", formatCountdown(leaseExpiry(info.lease.labels), now)],
              ["Created", formatAbsolute(info.lease.createdAt)],
            ]}
          />
          <section aria-labelledby="lease-labels">
            <h3 id="lease-labels">Labels</h3>
            <KeyValueList entries={sortedEntries(info.lease.labels)} empty="No labels" />
          </section>
          <section aria-labelledby="lease-resources">
            <h3 id="lease-resources">Resources</h3>
            {info.resources === undefined || info.resources.length === 0 ? (
              <p class="muted">No resources</p>
            ) : (
              <ul class="resource-list">
                {info.resources.map((resource) => (
                  <li key={`${resource.type}/${resource.id}`}>
                    <span class="digest">
                      {resource.type} {resource.id}
                    </span>
                    <button
                      type="button"
                      class="button button-small"
                      aria-label={`Remove ${resource.type} ${resource.id}`}
                      onClick={() => void remove(resource)}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <form
              class="form resource-form"
              onSubmit={(event) => {
                event.preventDefault();
                const form = event.currentTarget;
                const data = new FormData(form);
                const resource = { type: String(data.get("type") ?? ""), id: String(data.get("id") ?? "") };
                void act(client.leases.addResource({ id, resource })).then(() => form.reset());
              }}
            >
              <label for="resource-type">Type</label>
              <input id="resource-type" name="type" required spellcheck={false} placeholder="content" />
              <label for="resource-id">Resource ID</label>
              <input id="resource-id" name="id" required spellcheck={false} placeholder="sha256:…" />
              <FormError id="lease-error" message={error} />
              <div class="form-actions">
                <button type="submit" class="button">
                  Add resource
                </button>
              </div>
            </form>
          </section>
        </div>
      )}
    </aside>
  );
}

interface CreateLeaseDialogProps {
  readonly client: BerthClient;
  readonly onCreated: (id: string) => void;
  readonly onClose: () => void;
}

/** An id (random by default, as containerd's Go client makes one), an expiry in minutes, and labels. */
function CreateLeaseDialog({ client, onCreated, onClose }: CreateLeaseDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const [suggested] = useState(() => `lease-${Math.random().toString(36).slice(2, 10)}`);
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const parsed = parseLabelLines(String(data.get("labels") ?? ""));
    if (!parsed.ok) return setError(parsed.error);
    const minutes = String(data.get("expires") ?? "").trim();
    const labels = { ...parsed.labels };
    if (minutes !== "") {
      const value = Number(minutes);
      if (!Number.isFinite(value) || value <= 0) return setError("expiry: give a number of minutes above 0");
      labels[EXPIRE_LABEL] = expiryLabel(value, Date.now());
    }
    setPending(true);
    setError(undefined);
    try {
      const response = await client.leases.create({ id: String(data.get("id") ?? ""), labels });
      onCreated(response.lease?.id ?? "");
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };
  return (
    <ModalDialog title="New lease" onClose={onClose}>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(event.currentTarget);
        }}
      >
        <label for="lease-id">ID</label>
        <input
          id="lease-id"
          name="id"
          required
          spellcheck={false}
          autocomplete="off"
          defaultValue={suggested}
          autofocus
        />
        <label for="lease-expires">Expires after (minutes)</label>
        <input
          id="lease-expires"
          name="expires"
          inputMode="decimal"
          defaultValue="60"
          aria-describedby="lease-expires-help"
        />
        <span id="lease-expires-help" class="hint">
          Empty: the lease never expires. The expiry is the {EXPIRE_LABEL} label.
        </span>
        <label for="lease-labels">Labels</label>
        <textarea id="lease-labels" name="labels" rows={3} spellcheck={false} class="code" />
        <FormError id="lease-create-error" message={error} />
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? "Creating…" : "Create lease"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

interface DeleteLeaseDialogProps {
  readonly client: BerthClient;
  readonly id: string;
  readonly onDeleted: () => void;
  readonly onClose: () => void;
}

/** Delete, optionally `sync`: the call returns only after the garbage collector ran. */
function DeleteLeaseDialog({ client, id, onDeleted, onClose }: DeleteLeaseDialogProps) {
  const [sync, setSync] = useState(false);
  return (
    <ConfirmDialog
      title={`Delete lease ${id}?`}
      confirmLabel="Delete lease"
      pendingLabel="Deleting…"
      errorId="lease-delete-error"
      action={async () => {
        await client.leases.delete({ id, sync });
      }}
      onDone={onDeleted}
      onClose={onClose}
    >
      <p>
        Lease <strong>{id}</strong> is removed; what only it held becomes garbage.
      </p>
      <label class="checkbox">
        <input type="checkbox" checked={sync} onChange={(event) => setSync(event.currentTarget.checked)} />
        Wait for garbage collection (sync)
      </label>
    </ConfirmDialog>
  );
}

import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Process } from "@berth/gen/containerd/types/task/task_pb.js";
import { useState } from "preact/hooks";
import { deleteContainer } from "../live/task-actions.js";
import { errorMessage } from "../model/errors.js";
import { taskIsLive, taskStatusName } from "../model/task-store.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link DeleteDialog}. */
export interface DeleteDialogProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly id: string;
  /** The record, when it is held (its snapshot is removed with it). */
  readonly container: Container | undefined;
  /** Its task, where the server runs tasks. */
  readonly task: Process | undefined;
  readonly tasksSupported: boolean;
  readonly onDeleted: (id: string) => void;
  readonly onClose: () => void;
}

/**
 * Asks before deleting a container; Cancel has the focus, Escape cancels. A
 * container whose task still runs cannot be deleted (kill it first); a stopped
 * task and the container's snapshot go with it, as with `ctr container rm`.
 */
export function DeleteDialog({ client, id, container, task, tasksSupported, onDeleted, onClose }: DeleteDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const live = taskIsLive(task);

  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      await deleteContainer(client, container, id, task, tasksSupported);
      onDeleted(id);
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <ModalDialog title={`Delete ${id}?`} role="alertdialog" onClose={onClose}>
      <p id="delete-description">
        The record of container <strong>{id}</strong> is removed from namespace <strong>{client.namespace}</strong>
        {task === undefined || live ? "" : ", with its stopped task"}
        {tasksSupported && container?.snapshotKey ? " and its snapshot" : ""}. This cannot be undone.
      </p>
      {live && task !== undefined && (
        <p class="form-error" role="alert">
          Its task is {taskStatusName(task)}: kill it first.
        </p>
      )}
      <FormError id="delete-error" message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose} autofocus>
          Cancel
        </button>
        <button type="button" class="button button-danger" disabled={pending || live} onClick={() => void confirm()}>
          {pending ? "Deleting…" : "Delete"}
        </button>
      </div>
    </ModalDialog>
  );
}

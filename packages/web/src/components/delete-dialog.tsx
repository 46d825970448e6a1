import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Process } from "@berth/gen/containerd/types/task/task_pb.js";
import { deleteContainer } from "../live/task-actions.js";
import { taskIsLive, taskStatusName } from "../model/task-store.js";
import { ConfirmDialog } from "./confirm-dialog.js";

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
  const live = taskIsLive(task);
  return (
    <ConfirmDialog
      title={`Delete ${id}?`}
      confirmLabel="Delete"
      pendingLabel="Deleting…"
      errorId="delete-error"
      blocked={live}
      action={() => deleteContainer(client, container, id, task, tasksSupported)}
      onDone={() => onDeleted(id)}
      onClose={onClose}
    >
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
    </ConfirmDialog>
  );
}

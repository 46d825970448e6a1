import type { BerthClient } from "@berth/client";
import { deleteTask } from "../live/task-actions.js";
import { ConfirmDialog } from "./confirm-dialog.js";

/** Props of {@link DeleteTaskDialog}. */
export interface DeleteTaskDialogProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly containerId: string;
  readonly exitStatus: number;
  readonly onClose: () => void;
}

/** Asks before deleting a stopped task; the container stays. */
export function DeleteTaskDialog({ client, containerId, exitStatus, onClose }: DeleteTaskDialogProps) {
  return (
    <ConfirmDialog
      title={`Delete the task of ${containerId}?`}
      confirmLabel="Delete task"
      pendingLabel="Deleting…"
      errorId="delete-task-error"
      action={() => deleteTask(client, containerId)}
      onDone={onClose}
      onClose={onClose}
    >
      <p>
        The stopped task (exit status {exitStatus}) and its state are removed; the container stays and can be started
        again.
      </p>
    </ConfirmDialog>
  );
}

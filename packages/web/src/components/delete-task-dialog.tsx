import type { BerthClient } from "@berth/client";
import { useState } from "preact/hooks";
import { deleteTask } from "../live/task-actions.js";
import { errorMessage } from "../model/errors.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

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
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      await deleteTask(client, containerId);
      onClose();
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };
  return (
    <ModalDialog title={`Delete the task of ${containerId}?`} role="alertdialog" onClose={onClose}>
      <p>
        The stopped task (exit status {exitStatus}) and its state are removed; the container stays and can be started
        again.
      </p>
      <FormError id="delete-task-error" message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose} autofocus>
          Cancel
        </button>
        <button type="button" class="button button-danger" disabled={pending} onClick={() => void confirm()}>
          {pending ? "Deleting…" : "Delete task"}
        </button>
      </div>
    </ModalDialog>
  );
}

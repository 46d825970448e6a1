import type { BerthClient } from "@berth/client";
import { useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link DeleteDialog}. */
export interface DeleteDialogProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly id: string;
  readonly onDeleted: (id: string) => void;
  readonly onClose: () => void;
}

/** Asks before deleting a container; Cancel has the focus, Escape cancels. */
export function DeleteDialog({ client, id, onDeleted, onClose }: DeleteDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      await client.containers.delete({ id });
      onDeleted(id);
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <ModalDialog title={`Delete ${id}?`} role="alertdialog" onClose={onClose}>
      <p id="delete-description">
        The record of container <strong>{id}</strong> is removed from namespace <strong>{client.namespace}</strong>.
        This cannot be undone.
      </p>
      <FormError id="delete-error" message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose} autofocus>
          Cancel
        </button>
        <button type="button" class="button button-danger" disabled={pending} onClick={() => void confirm()}>
          {pending ? "Deleting…" : "Delete"}
        </button>
      </div>
    </ModalDialog>
  );
}

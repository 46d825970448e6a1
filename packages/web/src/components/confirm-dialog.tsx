import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  readonly title: string;
  /** What will happen, and anything that stands in the way. */
  readonly children: ComponentChildren;
  /** The confirming button's label, and its label while the action runs. */
  readonly confirmLabel: string;
  readonly pendingLabel: string;
  /** Id of the error line, for tests and `aria-describedby`. */
  readonly errorId: string;
  /** The confirming button cannot be pressed (something stands in the way). */
  readonly blocked?: boolean;
  /** What confirming does; a failure is shown with the server's message, and the dialog stays. */
  readonly action: () => Promise<void>;
  /** After the action succeeded. */
  readonly onDone: () => void;
  readonly onClose: () => void;
}

/** A destructive action's confirmation (`alertdialog`): Cancel has the focus, Escape cancels. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      await props.action();
      props.onDone();
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };
  return (
    <ModalDialog title={props.title} role="alertdialog" onClose={props.onClose}>
      {props.children}
      <FormError id={props.errorId} message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={props.onClose} autofocus>
          Cancel
        </button>
        <button
          type="button"
          class="button button-danger"
          disabled={pending || props.blocked === true}
          onClick={() => void confirm()}
        >
          {pending ? props.pendingLabel : props.confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}

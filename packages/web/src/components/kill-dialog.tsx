import type { BerthClient } from "@berth/client";
import { useState } from "preact/hooks";
import { killTask, SIGNALS, type SignalName } from "../live/task-actions.js";
import { errorMessage } from "../model/errors.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link KillDialog}. */
export interface KillDialogProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly containerId: string;
  readonly pid: number;
  readonly onClose: () => void;
}

/** Asks before signalling a task, with the signal to send; Cancel has the focus. */
export function KillDialog({ client, containerId, pid, onClose }: KillDialogProps) {
  const [signal, setSignal] = useState<SignalName>("SIGTERM");
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const confirm = async () => {
    setPending(true);
    setError(undefined);
    try {
      await killTask(client, containerId, signal);
      onClose();
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };
  return (
    <ModalDialog title={`Kill the task of ${containerId}?`} role="alertdialog" onClose={onClose}>
      <p>
        Every process of the task (pid {pid}) in namespace <strong>{client.namespace}</strong> gets the signal.
      </p>
      <fieldset class="signal-choice">
        <legend>Signal</legend>
        {(Object.keys(SIGNALS) as SignalName[]).map((name) => (
          <label key={name}>
            <input type="radio" name="signal" value={name} checked={signal === name} onChange={() => setSignal(name)} />{" "}
            {name} ({SIGNALS[name]})
          </label>
        ))}
      </fieldset>
      <FormError id="kill-error" message={error} />
      <div class="form-actions">
        <button type="button" class="button" onClick={onClose} autofocus>
          Cancel
        </button>
        <button type="button" class="button button-danger" disabled={pending} onClick={() => void confirm()}>
          {pending ? "Killing…" : "Kill"}
        </button>
      </div>
    </ModalDialog>
  );
}

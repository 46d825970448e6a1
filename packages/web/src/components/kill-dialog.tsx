import type { BerthClient } from "@berth/client";
import { useState } from "preact/hooks";
import { killTask, SIGNALS, type SignalName } from "../live/task-actions.js";
import { ConfirmDialog } from "./confirm-dialog.js";

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
  return (
    <ConfirmDialog
      title={`Kill the task of ${containerId}?`}
      confirmLabel="Kill"
      pendingLabel="Killing…"
      errorId="kill-error"
      action={() => killTask(client, containerId, signal)}
      onDone={onClose}
      onClose={onClose}
    >
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
    </ConfirmDialog>
  );
}

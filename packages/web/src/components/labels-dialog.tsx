import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";
import { diffLabels, formatLabelLines, parseLabelLines } from "../model/labels.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link LabelsDialog}. */
export interface LabelsDialogProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly container: Container;
  readonly onSaved: (container: Container) => void;
  readonly onClose: () => void;
}

/**
 * Edits labels as `KEY=VALUE` lines and saves only the difference, as
 * `ctr c label` does: an Update whose mask names `labels.KEY` for each key set
 * or removed (a removed key is sent without a value).
 */
export function LabelsDialog({ client, container, onSaved, onClose }: LabelsDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const submit = async (form: HTMLFormElement) => {
    const parsed = parseLabelLines(String(new FormData(form).get("labels") ?? ""));
    if (!parsed.ok) return setError(parsed.error);
    const patch = diffLabels(container.labels, parsed.labels);
    // An empty mask would mean "replace everything": with no change, send nothing.
    if (patch.paths.length === 0) return onClose();
    setPending(true);
    setError(undefined);
    try {
      const response = await client.containers.update({
        container: { id: container.id, labels: patch.labels },
        updateMask: { paths: patch.paths },
      });
      if (response.container !== undefined) onSaved(response.container);
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <ModalDialog title={`Labels of ${container.id}`} onClose={onClose}>
      <form
        class="form"
        aria-describedby="labels-error"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(event.currentTarget);
        }}
      >
        <label for="labels-text">Labels</label>
        <textarea
          id="labels-text"
          name="labels"
          rows={8}
          spellcheck={false}
          class="code"
          defaultValue={formatLabelLines(container.labels)}
          aria-describedby="labels-help"
          autofocus
        />
        <span id="labels-help" class="hint">
          One KEY=VALUE per line. Delete a line, or leave its value empty, to remove that label.
        </span>
        <FormError id="labels-error" message={error} />
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? "Saving…" : "Save labels"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

import { useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";
import { diffLabels, formatLabelLines, type LabelPatch, parseLabelLines } from "../model/labels.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link LabelsDialog}. */
export interface LabelsDialogProps {
  /** e.g. "Labels of c1". */
  readonly title: string;
  /** The labels as they are now. */
  readonly labels: Readonly<Record<string, string>>;
  /** Sends the difference (an Update whose mask names `labels.KEY` per key); throws to show the server's error. */
  readonly save: (patch: LabelPatch) => Promise<void>;
  readonly onClose: () => void;
}

/**
 * Edits labels as `KEY=VALUE` lines and saves only the difference, as
 * `ctr c label` does: each key set or removed is one `labels.KEY` path of the
 * update mask (a removed key is sent without a value). Containers and
 * namespaces both take labels this way.
 */
export function LabelsDialog({ title, labels, save, onClose }: LabelsDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const submit = async (form: HTMLFormElement) => {
    const parsed = parseLabelLines(String(new FormData(form).get("labels") ?? ""));
    if (!parsed.ok) return setError(parsed.error);
    const patch = diffLabels(labels, parsed.labels);
    // An empty mask would mean "replace everything": with no change, send nothing.
    if (patch.paths.length === 0) return onClose();
    setPending(true);
    setError(undefined);
    try {
      await save(patch);
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <ModalDialog title={title} onClose={onClose}>
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
          defaultValue={formatLabelLines(labels)}
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

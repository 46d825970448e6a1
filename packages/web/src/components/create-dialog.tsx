import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { useState } from "preact/hooks";
import { errorMessage } from "../model/errors.js";
import { parseLabelLines } from "../model/labels.js";
import { DEFAULT_RUNTIME, defaultSpecText, packSpecText } from "../model/spec.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link CreateDialog}. */
export interface CreateDialogProps {
  /** Client of the namespace to create in. */
  readonly client: BerthClient;
  readonly onCreated: (container: Container) => void;
  readonly onClose: () => void;
}

/**
 * The create form. It checks only what it must turn into bytes (label lines,
 * spec JSON); everything else is judged by the server, whose message is shown.
 */
export function CreateDialog({ client, onCreated, onClose }: CreateDialogProps) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "");
    const labels = parseLabelLines(text("labels"));
    if (!labels.ok) return setError(labels.error);
    const spec = packSpecText(text("spec"));
    if (!spec.ok) return setError(spec.error);
    setPending(true);
    setError(undefined);
    try {
      const response = await client.containers.create({
        container: {
          id: text("id"),
          image: text("image"),
          runtime: { name: text("runtime") },
          labels: labels.labels,
          spec: spec.spec,
        },
      });
      if (response.container !== undefined) onCreated(response.container);
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <ModalDialog title={`New container in ${client.namespace}`} onClose={onClose}>
      <form
        class="form"
        aria-describedby="create-error"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(event.currentTarget);
        }}
      >
        <label for="create-id">ID</label>
        <input id="create-id" name="id" autocomplete="off" spellcheck={false} autofocus />
        <label for="create-image">Image</label>
        <input
          id="create-image"
          name="image"
          autocomplete="off"
          spellcheck={false}
          placeholder="docker.io/library/redis:7"
        />
        <label for="create-runtime">Runtime</label>
        <input
          id="create-runtime"
          name="runtime"
          defaultValue={DEFAULT_RUNTIME}
          autocomplete="off"
          spellcheck={false}
        />
        <label for="create-labels">Labels</label>
        <textarea
          id="create-labels"
          name="labels"
          rows={3}
          spellcheck={false}
          placeholder="env=dev"
          aria-describedby="create-labels-help"
        />
        <span id="create-labels-help" class="hint">
          One KEY=VALUE per line.
        </span>
        <label for="create-spec">Spec (OCI runtime spec JSON)</label>
        <textarea
          id="create-spec"
          name="spec"
          rows={10}
          spellcheck={false}
          class="code"
          defaultValue={defaultSpecText()}
        />
        <FormError id="create-error" message={error} />
        <div class="form-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

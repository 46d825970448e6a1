import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { type BulkResult, runBulk } from "../live/bulk.js";
import { FormError } from "./form-error.js";
import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link BulkDialog}. */
export interface BulkDialogProps {
  /** Names the count, e.g. "Delete 3 containers?". */
  readonly title: string;
  readonly ids: readonly string[];
  /** What will happen; may hold form fields that {@link prepare} reads. */
  readonly children: ComponentChildren;
  readonly confirmLabel: string;
  /** `danger` for destructive actions. */
  readonly tone: "danger" | "primary";
  /**
   * Reads the form and returns the action for one id, or an error to show
   * before anything is sent.
   */
  readonly prepare: (form: HTMLFormElement) => ((id: string) => Promise<unknown>) | { error: string };
  /** After the last call, with the ids that succeeded. */
  readonly onFinished: (succeeded: string[]) => void;
  readonly onClose: () => void;
}

/**
 * A confirmation for one action over many containers, then one result line
 * per container as the calls finish; failures stay listed, with their code and
 * message, until the dialog is closed.
 */
export function BulkDialog(props: BulkDialogProps) {
  const [results, setResults] = useState<BulkResult[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [running, setRunning] = useState(false);
  const submit = async (form: HTMLFormElement) => {
    const action = props.prepare(form);
    if (typeof action !== "function") return setError(action.error);
    setError(undefined);
    setRunning(true);
    setResults([]);
    const all = await runBulk(props.ids, action, (result) => setResults((held) => [...(held ?? []), result]));
    setRunning(false);
    props.onFinished(all.filter((result) => result.error === undefined).map((result) => result.id));
  };
  const failed = results?.filter((result) => result.error !== undefined) ?? [];
  const done = results !== undefined && !running;
  return (
    <ModalDialog title={props.title} role="alertdialog" onClose={props.onClose}>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          if (results === undefined) void submit(event.currentTarget);
        }}
      >
        {props.children}
        <FormError id="bulk-error" message={error} />
        {results !== undefined && (
          <div class="bulk-results">
            <p role="status" id="bulk-summary">
              {running
                ? `${results.length} of ${props.ids.length} done…`
                : `${results.length - failed.length} succeeded, ${failed.length} failed.`}
            </p>
            {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable list must be reachable by keyboard */}
            <ul class="bulk-list" aria-label="Results" tabIndex={0}>
              {[...failed, ...results.filter((result) => result.error === undefined)].map((result) => (
                <li key={result.id} data-outcome={result.error === undefined ? "ok" : "failed"}>
                  <strong>{result.id}</strong>: {result.error ?? "done"}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div class="form-actions">
          <button type="button" class="button" onClick={props.onClose} autofocus disabled={running}>
            {done ? "Close" : "Cancel"}
          </button>
          {results === undefined && (
            <button type="submit" class={`button button-${props.tone}`}>
              {props.confirmLabel}
            </button>
          )}
        </div>
      </form>
    </ModalDialog>
  );
}

/** "3 containers", "1 container". */
export function countOf(count: number, noun: string): string {
  return `${count.toLocaleString("en")} ${noun}${count === 1 ? "" : "s"}`;
}

/** The first ids, then how many more: what a confirmation lists. */
export function IdPreview({ ids }: { readonly ids: readonly string[] }) {
  const shown = ids.slice(0, 8);
  return (
    <ul class="id-preview">
      {shown.map((id) => (
        <li key={id}>{id}</li>
      ))}
      {ids.length > shown.length && <li class="muted">and {ids.length - shown.length} more</li>}
    </ul>
  );
}

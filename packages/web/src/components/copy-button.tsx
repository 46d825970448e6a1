import { useEffect, useState } from "preact/hooks";

/** Props of {@link CopyButton}. */
export interface CopyButtonProps {
  /** The button's label, e.g. "Copy ID". */
  readonly label: string;
  /** The text to copy, read when pressed. */
  readonly text: () => string;
}

/** Copies text to the clipboard and says, in a live region, whether it worked. */
export function CopyButton({ label, text }: CopyButtonProps) {
  const [outcome, setOutcome] = useState<"copied" | "failed" | undefined>();
  useEffect(() => {
    if (outcome === undefined) return;
    const timer = setTimeout(() => setOutcome(undefined), 2000);
    return () => clearTimeout(timer);
  }, [outcome]);
  return (
    <span class="copy">
      <button
        type="button"
        class="button button-small"
        onClick={() => {
          // The clipboard exists only in a secure context (https, localhost, 127.0.0.1).
          const write = navigator.clipboard?.writeText(text()) ?? Promise.reject(new Error("no clipboard"));
          write.then(
            () => setOutcome("copied"),
            () => setOutcome("failed"),
          );
        }}
      >
        {label}
      </button>
      <span class="copy-status muted" role="status">
        {outcome === "copied" ? "Copied" : outcome === "failed" ? "Copy failed: the browser refused the clipboard" : ""}
      </span>
    </span>
  );
}

import { ModalDialog } from "./modal-dialog.js";

/** Props of {@link TokenDialog}. */
export interface TokenDialogProps {
  /** The token sent was refused (else none was sent). */
  readonly refused: boolean;
  readonly onToken: (token: string) => void;
}

/**
 * Asks for the bearer token of a berthd started with `--token-file`. It is
 * kept in this tab's sessionStorage only. The dialog cannot be dismissed:
 * without a token nothing works.
 */
export function TokenDialog({ refused, onToken }: TokenDialogProps) {
  return (
    <ModalDialog title="berthd needs a token" onClose={() => undefined}>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          onToken(String(new FormData(event.currentTarget).get("token") ?? "").trim());
        }}
      >
        <p id="token-help">
          {refused
            ? "berthd refused the token (Unauthenticated). Enter the right one."
            : "This berthd requires a bearer token on its TCP listener (its --token-file). Enter it to continue."}{" "}
          It is kept for this tab only.
        </p>
        <label for="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          required
          autocomplete="off"
          spellcheck={false}
          aria-describedby="token-help"
          autofocus
        />
        <div class="form-actions">
          <button type="submit" class="button button-primary">
            Use token
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

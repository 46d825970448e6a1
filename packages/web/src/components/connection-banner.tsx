import { retryNow } from "../live/backoff.js";
import type { ConnectionState } from "../live/container-feed.js";

/** Props of {@link ConnectionBanner}. */
export interface ConnectionBannerProps {
  readonly state: ConnectionState;
  /** Why the last attempt failed (`Code: message`). */
  readonly detail: string | undefined;
}

/**
 * Says that berthd cannot be reached, and why, while the app retries with
 * backoff by itself; Retry now tries every link at once.
 */
export function ConnectionBanner({ state, detail }: ConnectionBannerProps) {
  if (state !== "reconnecting") return null;
  return (
    <div class="banner" role="alert">
      <p>
        <strong>Disconnected from berthd.</strong> Retrying automatically…
        {detail === undefined ? "" : ` Last error: ${detail}`}
      </p>
      <button type="button" class="button" onClick={retryNow}>
        Retry now
      </button>
    </div>
  );
}

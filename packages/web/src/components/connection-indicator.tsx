import type { ConnectionState } from "../live/container-feed.js";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
};

/** Props of {@link ConnectionIndicator}. */
export interface ConnectionIndicatorProps {
  readonly state: ConnectionState;
  /** Why the last attempt failed, shown as a tooltip. */
  readonly detail: string | undefined;
}

/** Whether live updates flow; a polite live region so changes are announced. */
export function ConnectionIndicator({ state, detail }: ConnectionIndicatorProps) {
  return (
    <p class="connection" data-state={state} role="status" title={detail}>
      <span class="connection-dot" aria-hidden="true" />
      {LABELS[state]}
    </p>
  );
}

/** Props of {@link ListSummary}. */
export interface ListSummaryProps {
  /** Containers loaded. */
  readonly count: number;
  /** Of them, those the quick search lets through. */
  readonly shown: number;
  readonly loading: boolean;
  readonly failed: boolean;
}

/**
 * How many containers are shown. Only the settled count is a live region:
 * the running count of a long listing would flood a screen reader.
 */
export function ListSummary({ count, shown, loading, failed }: ListSummaryProps) {
  const total = `${count.toLocaleString("en")} container${count === 1 ? "" : "s"}`;
  const settled = shown === count ? total : `${shown.toLocaleString("en")} of ${total}`;
  return (
    <p class="summary">
      <span aria-live="polite">{loading ? "Loading…" : failed ? "" : settled}</span>
      {loading && count > 0 && <span class="muted"> {count.toLocaleString("en")}</span>}
    </p>
  );
}

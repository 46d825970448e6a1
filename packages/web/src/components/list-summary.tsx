/** Props of {@link ListSummary}. */
export interface ListSummaryProps {
  readonly count: number;
  readonly loading: boolean;
  readonly failed: boolean;
}

/**
 * How many containers are shown. Only the settled count is a live region:
 * the running count of a long listing would flood a screen reader.
 */
export function ListSummary({ count, loading, failed }: ListSummaryProps) {
  const total = `${count.toLocaleString("en")} container${count === 1 ? "" : "s"}`;
  return (
    <p class="summary">
      <span aria-live="polite">{loading ? "Loading…" : failed ? "" : total}</span>
      {loading && count > 0 && <span class="muted"> {count.toLocaleString("en")}</span>}
    </p>
  );
}

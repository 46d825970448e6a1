/**
 * A lease's expiry as containerd keeps it: the `containerd.io/gc.expire`
 * label, an RFC 3339 time after which the garbage collector removes the lease.
 */

/** The label containerd's garbage collector reads. */
export const EXPIRE_LABEL = "containerd.io/gc.expire";

/** When the lease expires, in ms since the epoch; undefined when it never does (or the label is not a time). */
export function leaseExpiry(labels: Readonly<Record<string, string>>): number | undefined {
  const text = labels[EXPIRE_LABEL];
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `in 4m 05s`, `in 2h 10m`, `expired 12s ago`; `never` without an expiry. */
export function formatCountdown(expiry: number | undefined, nowMs: number): string {
  if (expiry === undefined) return "never";
  const seconds = Math.round((expiry - nowMs) / 1000);
  const span = formatSpan(Math.abs(seconds));
  return seconds >= 0 ? `in ${span}` : `expired ${span} ago`;
}

function formatSpan(seconds: number): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${pad(Math.floor((seconds % 3600) / 60))}m`;
  return `${Math.floor(seconds / 86_400)}d ${pad(Math.floor((seconds % 86_400) / 3600))}h`;
}

/** The label value for an expiry `minutes` from `nowMs`, as Go's time.RFC3339 writes UTC (no fraction). */
export function expiryLabel(minutes: number, nowMs: number): string {
  return `${new Date(nowMs + minutes * 60_000).toISOString().slice(0, 19)}Z`;
}

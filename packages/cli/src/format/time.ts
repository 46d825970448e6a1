/**
 * Times as ctr prints them: Go's `time.Time.String()` (in `ctr events`) and
 * `time.RFC3339` in local time (in `ctr leases ls` and lease expiry labels).
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** Go's zero time, 0001-01-01T00:00:00Z, which an absent timestamp decodes to in Go. */
export const GO_ZERO_TIME: Timestamp = { $typeName: "google.protobuf.Timestamp", seconds: -62_135_596_800n, nanos: 0 };

/**
 * A timestamp as Go's `Time.String()` prints a UTC time, e.g.
 * `2026-11-28 01:44:51.44454983 +0000 UTC`: the fraction has trailing zeros
 * removed and is left out when zero. An absent timestamp is Go's zero time.
 */
export function formatGoTime(timestamp: Timestamp | undefined): string {
  const { seconds, nanos } = timestamp ?? GO_ZERO_TIME;
  const base = isoSeconds(Number(seconds) * 1000).replace("T", " ");
  const fraction = nanos === 0 ? "" : `.${String(nanos).padStart(9, "0").replace(/0+$/, "")}`;
  return `${base}${fraction} +0000 UTC`;
}

/**
 * A time (milliseconds since the epoch) as Go's `Format(time.RFC3339)`:
 * whole seconds (truncated), then `Z` for UTC or the offset as `+hh:mm`.
 * `offsetMinutes` defaults to the local time zone's offset at that time, as
 * Go's `Local()`.
 */
export function formatRfc3339(ms: number, offsetMinutes: number = -new Date(ms).getTimezoneOffset()): string {
  const base = isoSeconds(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000);
  if (offsetMinutes === 0) return `${base}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, "0");
  const minutes = String(abs % 60).padStart(2, "0");
  return `${base}${sign}${hours}:${minutes}`;
}

/** `YYYY-MM-DDTHH:MM:SS` of a UTC time given in milliseconds. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

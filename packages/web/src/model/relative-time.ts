/** Relative and absolute renderings of protobuf timestamps. */
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** `5 min. ago`, `now`; empty for a missing timestamp. */
export function formatRelative(timestamp: Timestamp | undefined, nowMs: number): string {
  if (timestamp === undefined) return "";
  const seconds = Math.round((timestampMs(timestamp) - nowMs) / 1000);
  if (Math.abs(seconds) < 10) return "now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

/** ISO 8601 in UTC with containerd's nanosecond precision; empty for a missing timestamp. */
export function formatAbsolute(timestamp: Timestamp | undefined): string {
  if (timestamp === undefined) return "";
  const iso = new Date(timestampMs(timestamp)).toISOString();
  return `${iso.slice(0, 19)}.${String(timestamp.nanos).padStart(9, "0")}Z`;
}

import { type DestinationStream, type Logger, pino } from "pino";

/** How log lines are written: `text` for a person, `json` (one object per line) for a collector. */
export type LogFormat = "text" | "json";

/** Fields every pino line has, which text lines show in their own places or leave out. */
const FRAME_FIELDS = new Set(["level", "time", "pid", "hostname", "name", "msg"]);
const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/**
 * berthd's logger on standard error. Both formats carry the same fields for the same event;
 * text shows them as `key=value` after the message: `2026-12-03T10:00:00.000Z INFO serving
 * addresses=unix:/run/berth/berth.sock root=/var/lib/berth`.
 */
export function createDaemonLogger(level: string, format: LogFormat): Logger {
  const destination = pino.destination({ fd: 2, sync: true });
  const stream: DestinationStream =
    format === "json" ? destination : { write: (line: string) => destination.write(formatText(line)) };
  return pino({ name: "berthd", level }, stream);
}

/** Text when standard error is a terminal, else JSON. */
export function defaultLogFormat(): LogFormat {
  return process.stderr.isTTY ? "text" : "json";
}

/** One pino JSON line as a text line. */
export function formatText(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>;
  const time = new Date(Number(record.time)).toISOString();
  const level = LEVEL_NAMES[Number(record.level)] ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !FRAME_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${[time, level, String(record.msg ?? ""), ...fields].join(" ")}\n`;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatValue).join(",");
  if (typeof value === "object" && value !== null) {
    // An error: its message, never its stack (expected failures are reported, not traced).
    if ("message" in value && typeof value.message === "string") return formatValue(value.message);
    return JSON.stringify(value);
  }
  const text = String(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

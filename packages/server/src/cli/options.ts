/**
 * berthd's options, declared once: each is a command-line flag and a key of the config file with
 * the same name, parsed by the same function, with one default that `--help` and
 * `berthd config default` both show.
 */
import { defaultRootDirectory, defaultSocketPath } from "@berth/shared/defaults";
import { InvalidArgumentError } from "commander";
import { DEFAULT_LIMITS } from "../config.js";

/** How a value is written in the TOML config file. */
export type TomlKind = "string" | "integer" | "strings";

/** One option of berthd. */
export interface DaemonOption {
  /** Flag without dashes, and config key: `max-connections`. */
  readonly name: string;
  /** What the value is, in help: `<n>`. */
  readonly value: string;
  readonly description: string;
  readonly toml: TomlKind;
  /** Turns one written value (flag argument, config string) into the option's value. */
  readonly parse?: (text: string) => unknown;
  readonly choices?: readonly string[];
  /** The default as berthd uses it, absent when the option is off unless given. */
  readonly defaultValue?: unknown;
  /** The default as a person writes it (`10m`, `1024`, `off`). */
  readonly defaultText: string;
}

/** Parses `HOST:PORT` (IPv6 hosts in brackets); `:PORT` means 127.0.0.1. */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new InvalidArgumentError("expected HOST:PORT, e.g. 127.0.0.1:8080");
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/** Parses a duration such as `500ms`, `30s`, `10m`, `1h` or `7d` into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (match === null) throw new InvalidArgumentError("expected a duration such as 500ms, 30s, 10m, 1h or 7d");
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "ms" | "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

function parseCount(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("expected a positive whole number");
  return Number(value);
}

function parseCountOrZero(value: string): number {
  if (!/^(0|[1-9]\d*)$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
}

function parseId(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a numeric id");
  return Number(value);
}

/** A duration as {@link parseDuration} reads it: whole days, hours, minutes from ten on, seconds, or milliseconds. */
export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 600_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function duration(name: string, description: string, defaultMs: number): DaemonOption {
  return {
    name,
    value: "<duration>",
    description,
    toml: "string",
    parse: parseDuration,
    defaultValue: defaultMs,
    defaultText: formatDuration(defaultMs),
  };
}

const file = (name: string, description: string): DaemonOption => ({
  name,
  value: "<file>",
  description,
  toml: "string",
  defaultText: "off",
});

const id = (name: string, description: string): DaemonOption => ({
  name,
  value: `<${name}>`,
  description,
  toml: "integer",
  parse: parseId,
  defaultText: "berthd's own",
});

const repeatable = (name: string, value: string, description: string): DaemonOption => ({
  name,
  value,
  description: `${description} (repeatable; in the config file a list)`,
  toml: "strings",
  defaultValue: [],
  defaultText: "none",
});

/** Log levels, most to least severe. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** berthd's options, in the order `--help` and `berthd config default` list them. */
export function daemonOptions(env: NodeJS.ProcessEnv = process.env): readonly DaemonOption[] {
  const root = defaultRootDirectory(env);
  const socket = defaultSocketPath(env);
  return [
    {
      name: "root",
      value: "<dir>",
      description: "database directory",
      toml: "string",
      defaultValue: root,
      defaultText: root,
    },
    {
      name: "address",
      value: "<path>",
      description: "unix socket to serve (created 0660 in a 0711 directory)",
      toml: "string",
      defaultValue: socket,
      defaultText: socket,
    },
    {
      name: "containerd",
      value: "<socket>",
      description:
        "serve as a gateway in front of the containerd listening on this socket (every gRPC service forwarded) " +
        "instead of Berth's own records; also BERTH_CONTAINERD",
      toml: "string",
      ...(env.BERTH_CONTAINERD ? { defaultValue: env.BERTH_CONTAINERD } : {}),
      defaultText: env.BERTH_CONTAINERD ? env.BERTH_CONTAINERD : "off",
    },
    {
      name: "listen",
      value: "<host:port>",
      description: "also serve TCP (HTTP/2 and HTTP/1.1) on this address; :PORT means 127.0.0.1:PORT",
      toml: "string",
      parse: parseHostPort,
      defaultText: "off",
    },
    file("tls-cert", "serve TCP over TLS with this PEM certificate chain (with tls-key)"),
    file("tls-key", "PEM private key of tls-cert"),
    file("tls-client-ca", "require TCP clients to present a certificate issued by this PEM CA (mTLS)"),
    file("token-file", "require `authorization: Bearer <token>` on TCP calls; the file holds the token"),
    file(
      "read-only-token-file",
      "also accept this token on TCP calls, for methods that change nothing only (PermissionDenied for others)",
    ),
    id("uid", "owner of the socket file"),
    id("gid", "group of the socket file"),
    {
      name: "web-root",
      value: "<dir>",
      description: "serve this built web app at / on the TCP listener",
      toml: "string",
      defaultText: "the web app built with berthd",
    },
    repeatable("cors-origin", "<origin>", "let pages from this origin call the API"),
    repeatable(
      "allowed-host",
      "<name>",
      "host name the cleartext TCP listener answers to besides localhost, 127.0.0.1 and [::1]",
    ),
    {
      name: "max-connections",
      value: "<n>",
      description: "connections each listener accepts at once",
      toml: "integer",
      parse: parseCount,
      defaultValue: DEFAULT_LIMITS.maxConnections,
      defaultText: String(DEFAULT_LIMITS.maxConnections),
    },
    duration("idle-timeout", "close connections without open calls after this long", DEFAULT_LIMITS.h2.idleTimeoutMs),
    duration("request-timeout", "time a request has to arrive in full", DEFAULT_LIMITS.h2.requestTimeoutMs),
    duration(
      "stall-timeout",
      "cut off calls whose client reads nothing for this long",
      DEFAULT_LIMITS.h2.sendStallTimeoutMs,
    ),
    duration(
      "handshake-timeout",
      "time a new connection has to start HTTP/2 or TLS",
      DEFAULT_LIMITS.h2.handshakeTimeoutMs,
    ),
    duration("max-filter-cpu", "CPU one List may spend matching its filters", DEFAULT_LIMITS.maxMatchingMs),
    {
      name: "event-retention-count",
      value: "<n>",
      description: "events the history keeps at most (the newest), older ones pruned in the background; 0 keeps none",
      toml: "integer",
      parse: parseCountOrZero,
      defaultValue: DEFAULT_LIMITS.eventRetentionCount,
      defaultText: String(DEFAULT_LIMITS.eventRetentionCount),
    },
    duration(
      "event-retention-age",
      "events older than this are pruned from the history",
      DEFAULT_LIMITS.eventRetentionAgeMs,
    ),
    {
      name: "log-level",
      value: "<level>",
      description: "least severe level logged; debug logs one line per request",
      toml: "string",
      choices: LOG_LEVELS,
      defaultValue: "info",
      defaultText: "info",
    },
    {
      name: "log-format",
      value: "<format>",
      description: "log lines as text for people or JSON for machines",
      toml: "string",
      choices: ["text", "json"],
      defaultText: "text on a terminal, else json",
    },
  ];
}

/** The attribute commander stores an option under: `max-connections` → `maxConnections`. */
export function attributeName(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

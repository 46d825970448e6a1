import { defaultRootDirectory, defaultSocketPath } from "@berth/shared/defaults";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/cli/config-file.js";
import { renderDefaultConfig } from "../../src/cli/default-config.js";
import { formatText } from "../../src/cli/logger.js";
import { attributeName, daemonOptions } from "../../src/cli/options.js";

const ENV = { XDG_DATA_HOME: "/data", XDG_RUNTIME_DIR: "/run/user/1" };
const OPTIONS = daemonOptions(ENV);
const parse = (text: string) => parseConfig(text, "berth.toml", OPTIONS);

function refusal(text: string): string {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

describe("berthd's config file", () => {
  it("takes one key per option, named and parsed as the flag", () => {
    const values = parse(`
root = "/srv/berth"
listen = ":8080"
max-connections = 64
idle-timeout = "2m"
cors-origin = ["https://a.example", "https://b.example"]
uid = 0
log-level = "debug"
`);
    expect(Object.fromEntries(values)).toEqual({
      root: "/srv/berth",
      listen: { host: "127.0.0.1", port: 8080 },
      maxConnections: 64,
      idleTimeout: 120_000,
      corsOrigin: ["https://a.example", "https://b.example"],
      uid: 0,
      logLevel: "debug",
    });
  });

  it.each([
    ["max-conections = 5", 'unknown key "max-conections" (did you mean "max-connections"?)'],
    ["max_connections = 5", 'unknown key "max_connections" (did you mean "max-connections"?)'],
    ['[grpc]\naddress = "/run/x.sock"', `unknown key "grpc" (berthd's config has no tables: one key per option)`],
    [
      'idle-timeout = "10 minutes"',
      'key "idle-timeout": expected a duration such as 500ms, 30s, 10m, 1h or 7d, got "10 minutes"',
    ],
    ['max-connections = "5"', 'key "max-connections": expected an integer, got "5"'],
    ["max-connections = 0", 'key "max-connections": expected a positive whole number, got "0"'],
    ["max-connections = 1.5", 'key "max-connections": expected an integer, got number 1.5'],
    [
      'log-level = "loud"',
      'key "log-level": expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ],
    ['cors-origin = "https://a.example"', 'key "cors-origin": expected a list of strings, got "https://a.example"'],
    ["cors-origin = [1]", 'key "cors-origin": expected a string, got number 1'],
    ['listen = "8080"', 'key "listen": expected HOST:PORT, e.g. 127.0.0.1:8080, got "8080"'],
    ["root = true", 'key "root": expected a string, got boolean true'],
    ["root = ", "line 1, column 8: invalid value"],
    ['root = "a"\nroot = "b"', "line 2"],
  ])("refuses %j naming the file, the key and the reason", (text, reason) => {
    expect(refusal(text)).toContain(`config berth.toml: ${reason}`);
  });

  it("prints as its default every option with its default, which reads back as those defaults", () => {
    const text = renderDefaultConfig(OPTIONS);
    for (const option of OPTIONS) expect(text).toContain(`${option.name} = `);
    const values = parse(text);
    for (const option of OPTIONS) {
      expect(values.get(attributeName(option.name)), option.name).toEqual(option.defaultValue);
    }
    expect(values.get("root")).toBe(defaultRootDirectory(ENV));
    expect(values.get("address")).toBe(defaultSocketPath(ENV));
    // Options that are off unless given appear commented out, with a value that would be accepted.
    const examples = text
      .split("\n")
      .filter((line) => /^# [a-z-]+ = /.test(line))
      .map((line) => line.slice(2));
    expect(examples.length).toBe(OPTIONS.filter((option) => option.defaultValue === undefined).length);
    expect(parse(examples.join("\n")).size).toBe(examples.length);
  });
});

describe("text log lines", () => {
  it("show time, level, message and the same fields as JSON, quoting only where needed", () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 11, 3, 10, 0, 0),
      pid: 1,
      hostname: "h",
      name: "berthd",
      limit: "stall",
      remote: "unix socket",
      addresses: ["unix:/run/berth/berth.sock", "http://127.0.0.1:8080"],
      err: { type: "Error", message: "disk full", stack: "Error: disk full\n    at x" },
      msg: "cut off: stall",
    });
    expect(formatText(line)).toBe(
      '2026-12-03T10:00:00.000Z WARN cut off: stall limit=stall remote="unix socket" ' +
        'addresses=unix:/run/berth/berth.sock,http://127.0.0.1:8080 err="disk full"\n',
    );
  });
});

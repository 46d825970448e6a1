/**
 * berthd's config file (`--config FILE`): TOML with one key per option, named as the flags are
 * (`max-connections = 1024`, `cors-origin = ["https://a.example"]`). Every key is validated as the
 * flag would be; the first problem is reported naming the file, the key and the reason.
 */
import { readFile } from "node:fs/promises";
import { parse as parseToml, TomlError } from "smol-toml";
import { attributeName, type DaemonOption } from "./options.js";

/** A config file that cannot be used; the message names the file and, where there is one, the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Reads and validates `path`; returns the values it sets, keyed by option attribute (`maxConnections`). */
export async function loadConfigFile(path: string, options: readonly DaemonOption[]): Promise<Map<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`config ${path}: cannot read it (${code ?? String(error)})`);
  }
  return parseConfig(text, path, options);
}

/** Validates config `text` (from `path`, for messages). */
export function parseConfig(text: string, path: string, options: readonly DaemonOption[]): Map<string, unknown> {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "invalid TOML";
    throw new ConfigError(`config ${path}: line ${error.line}, column ${error.column}: ${reason}`);
  }
  const byName = new Map(options.map((option) => [option.name, option]));
  const values = new Map<string, unknown>();
  for (const [key, raw] of Object.entries(document)) {
    const option = byName.get(key);
    if (option === undefined) {
      const flat = typeof raw === "object" && raw !== null && !Array.isArray(raw) && !(raw instanceof Date);
      const hint = flat ? " (berthd's config has no tables: one key per option)" : suggestion(key, options);
      throw new ConfigError(`config ${path}: unknown key "${key}"${hint}`);
    }
    try {
      values.set(attributeName(key), convert(option, raw));
    } catch (error) {
      throw new ConfigError(`config ${path}: key "${key}": ${(error as Error).message}`);
    }
  }
  return values;
}

function convert(option: DaemonOption, raw: unknown): unknown {
  const one = (value: unknown): unknown => {
    if (typeof value !== "string") throw new Error(`expected a string, got ${describe(value)}`);
    if (option.choices !== undefined && !option.choices.includes(value)) {
      throw new Error(`expected one of ${option.choices.map((choice) => `"${choice}"`).join(", ")}, got "${value}"`);
    }
    return option.parse === undefined ? value : withValue(value, option.parse);
  };
  switch (option.toml) {
    case "string":
      return one(raw);
    case "integer":
      if (typeof raw !== "number" || !Number.isInteger(raw))
        throw new Error(`expected an integer, got ${describe(raw)}`);
      return withValue(String(raw), option.parse ?? Number);
    case "strings":
      if (!Array.isArray(raw)) throw new Error(`expected a list of strings, got ${describe(raw)}`);
      return raw.map(one);
  }
}

/** Runs a flag parser, adding the offending value to its message. */
function withValue(text: string, parse: (text: string) => unknown): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new Error(`${(error as Error).message}, got "${text}"`);
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return value instanceof Date ? "a date" : "a table";
  return typeof value === "string" ? `"${value}"` : `${typeof value} ${String(value)}`;
}

/** ` (did you mean "listen"?)` for a near miss, one edit or a different separator away. */
function suggestion(key: string, options: readonly DaemonOption[]): string {
  const normalized = key.toLowerCase().replaceAll("_", "-");
  const close = options.find((option) => option.name === normalized || editDistance(option.name, normalized) <= 2);
  return close === undefined ? "" : ` (did you mean "${close.name}"?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

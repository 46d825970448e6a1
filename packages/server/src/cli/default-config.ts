import type { DaemonOption } from "./options.js";

/**
 * The full default config, as `berthd config default` prints it: every option as a key with
 * its description above; options that are off unless given are commented out, with an example.
 */
export function renderDefaultConfig(options: readonly DaemonOption[]): string {
  const lines = [
    "# berthd config: one key per option, named as the flags are; flags override these.",
    "# Use with `berthd --config FILE`.",
  ];
  for (const option of options) {
    lines.push("", `# ${option.description}.`);
    if (option.choices !== undefined) lines.push(`# One of: ${option.choices.join(", ")}.`);
    if (option.defaultValue === undefined) {
      lines.push(`# Default: ${option.defaultText}.`, `# ${option.name} = ${example(option)}`);
    } else {
      lines.push(`${option.name} = ${toml(option)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function toml(option: DaemonOption): string {
  if (option.toml === "integer") return option.defaultText;
  if (option.toml === "strings") return `[${(option.defaultValue as string[]).map(quote).join(", ")}]`;
  return quote(option.defaultText);
}

/** A plausible value for an option that has no default. */
function example(option: DaemonOption): string {
  const examples: Record<string, string> = {
    listen: quote("127.0.0.1:8080"),
    uid: "0",
    gid: "0",
    "log-format": quote("json"),
  };
  return examples[option.name] ?? quote(`/path/to/${option.value.replace(/[<>]/g, "")}`);
}

/** A TOML basic string. */
function quote(text: string): string {
  return JSON.stringify(text);
}

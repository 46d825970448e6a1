/** `key=value` arguments, as ctr's `--label` flags and `label` arguments, and label sets as ctr prints them. */
import { InvalidArgumentError } from "commander";

/** One parsed `key=value` argument. */
export type LabelPair = readonly [key: string, value: string];

/**
 * Splits `key=value` on the first `=`. `key=` gives an empty value (which
 * removes the label on update); a missing `=` or an empty key is an error.
 *
 * @throws Error naming the argument when it is not `key=value`.
 */
export function parseLabel(argument: string): LabelPair {
  const at = argument.indexOf("=");
  if (at < 0) throw new Error(`invalid label "${argument}": expected key=value`);
  if (at === 0) throw new Error(`invalid label "${argument}": key must not be empty`);
  return [argument.slice(0, at), argument.slice(at + 1)];
}

/**
 * Parses several `key=value` arguments into a record; a repeated key keeps
 * its last value.
 *
 * @throws Error for the first argument that is not `key=value`.
 */
export function parseLabels(argumentsList: readonly string[]): Record<string, string> {
  // A Map, then fromEntries: a key such as `__proto__` stays an ordinary own property.
  const labels = new Map<string, string>();
  for (const argument of argumentsList) {
    const [key, value] = parseLabel(argument);
    labels.set(key, value);
  }
  return Object.fromEntries(labels);
}

/**
 * commander argParser for `key=value` options and arguments: validates the
 * argument (a usage error if it is not `key=value`) and collects it.
 */
export function collectLabel(value: string, previous: readonly string[] = []): readonly string[] {
  try {
    parseLabel(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  return [...previous, value];
}

/**
 * A label set as ctr prints it in `ns ls` and `leases ls`: `key=value` pairs
 * sorted in byte order (Go's `sort.Strings` on the joined pairs, so `a.b=2`
 * sorts before `a=1`) and joined with `,`. An empty set gives `""`.
 */
export function formatLabels(labels: { readonly [key: string]: string }): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .sort(compareUtf8)
    .join(",");
}

/** Compares strings by their UTF-8 bytes, as Go compares strings. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

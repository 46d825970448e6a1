/** `key=value` arguments, as ctr's `--label` flags and `label` arguments. */

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

/**
 * Labels as the forms edit them: one `KEY=VALUE` per line, and the update
 * mask that turns an edit into containerd's `labels.KEY` paths.
 */

/** Result of {@link parseLabelLines}: the labels, or the first malformed line. */
export type ParsedLabels =
  | { readonly ok: true; readonly labels: Record<string, string> }
  | { readonly ok: false; readonly error: string };

/**
 * Parses `KEY=VALUE` lines (split at the first `=`). Blank lines are skipped;
 * keys and values are kept verbatim so the server judges them. A later line
 * for the same key wins.
 */
export function parseLabelLines(text: string): ParsedLabels {
  const labels = new Map<string, string>();
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    const equals = line.indexOf("=");
    if (equals < 0) return { ok: false, error: `labels line ${index + 1}: expected KEY=VALUE, got "${line}"` };
    labels.set(line.slice(0, equals), line.slice(equals + 1));
  }
  // fromEntries defines own properties, so even a key like `__proto__` stays data.
  return { ok: true, labels: Object.fromEntries(labels) };
}

/** Formats labels as `KEY=VALUE` lines, sorted by key. */
export function formatLabelLines(labels: Readonly<Record<string, string>>): string {
  return sortedEntries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

/** Label entries sorted by key (byte order, as containerd prints them). */
export function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An Update request's label part: the values to send and their mask paths. */
export interface LabelPatch {
  /** Labels to set; keys being removed are absent. */
  readonly labels: Record<string, string>;
  /** `labels.KEY` for every key set or removed, in key order. */
  readonly paths: string[];
}

/**
 * The patch from `before` to `after`: changed or new keys are set, keys that
 * are gone or now empty are removed (containerd removes a `labels.KEY` path
 * whose value is empty or absent). Unchanged keys are not sent.
 */
export function diffLabels(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): LabelPatch {
  const set = new Map<string, string>();
  const keys = new Set<string>();
  for (const [key, value] of Object.entries(after)) {
    const had = Object.hasOwn(before, key);
    if (value === "") {
      if (had) keys.add(key);
    } else if (!had || before[key] !== value) {
      keys.add(key);
      set.set(key, value);
    }
  }
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) keys.add(key);
  const paths = [...keys].sort().map((key) => `labels.${key}`);
  return { labels: Object.fromEntries(set), paths };
}

/** One-line summary of labels for a table cell. */
export function summarizeLabels(labels: Readonly<Record<string, string>>): string {
  return sortedEntries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

import type { ComponentChildren } from "preact";

/** Props of {@link KeyValueList}. */
export interface KeyValueListProps {
  readonly entries: readonly (readonly [string, ComponentChildren])[];
  /** Shown when there are no entries. */
  readonly empty?: string;
}

/** A description list of key/value pairs, e.g. labels. */
export function KeyValueList({ entries, empty = "none" }: KeyValueListProps) {
  if (entries.length === 0) return <p class="muted">{empty}</p>;
  return (
    <dl class="kv">
      {entries.map(([key, value]) => (
        <div class="kv-entry" key={key}>
          <dt>{key}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

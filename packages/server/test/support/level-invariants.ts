import { Level } from "level";

/** Records found in a database, read key by key below the store's API. */
export interface DatabaseCensus {
  /** Names with a `!namespaces!` record. */
  readonly namespaces: ReadonlySet<string>;
  /** Container ids by namespace. */
  readonly containers: ReadonlyMap<string, readonly string[]>;
  /** Keys breaking the layout's rules: a record in a namespace without a record, a resource without its lease. */
  readonly orphans: readonly string[];
  /** Every key read. */
  readonly keys: number;
}

// Nested sublevels: `!v1!` + `!<namespace>!` + `!<section>!<key>`; namespace names cannot contain `!`.
const RECORD = /^!v1!!([^!]+)!!(containers|leases|lease-resources)!(.*)$/s;
const NAMESPACE = /^!namespaces!(.*)$/s;

/**
 * Reads every key of the LevelDB at `location` (a closed database: LevelDB's
 * lock admits one process) and checks the layout's cross-record invariants
 * from `store/layout.ts`: every record lives in a namespace that has a record,
 * and every lease resource belongs to a lease that exists.
 */
export async function censusOf(location: string): Promise<DatabaseCensus> {
  const db = new Level<string, string>(location, { keyEncoding: "utf8", valueEncoding: "utf8" });
  const namespaces = new Set<string>();
  const containers = new Map<string, string[]>();
  const leases = new Set<string>();
  const records: { key: string; namespace: string; section: string; rest: string }[] = [];
  let keys = 0;
  try {
    for await (const key of db.keys()) {
      keys += 1;
      const namespace = NAMESPACE.exec(key);
      if (namespace !== null) {
        namespaces.add(namespace[1] ?? "");
        continue;
      }
      const record = RECORD.exec(key);
      if (record === null) continue;
      const [, name = "", section = "", rest = ""] = record;
      records.push({ key, namespace: name, section, rest });
      if (section === "containers") containers.set(name, [...(containers.get(name) ?? []), rest]);
      if (section === "leases") leases.add(`${name}!${rest}`);
    }
  } finally {
    await db.close();
  }
  const orphans = records.flatMap(({ key, namespace, section, rest }) => {
    if (!namespaces.has(namespace)) return [key];
    const lease = decodeURIComponent(rest.slice(0, rest.indexOf("/")));
    return section === "lease-resources" && !leases.has(`${namespace}!${lease}`) ? [key] : [];
  });
  return { namespaces, containers, orphans, keys };
}

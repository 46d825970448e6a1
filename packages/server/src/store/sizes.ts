import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Layout, Section } from "./layout.js";
import type { StoreSizes } from "./types.js";

/** Keys read per native iterator call while counting. */
const COUNT_BATCH = 1024;

/**
 * Counts the records of every namespace by their keys (values are not read) and
 * sums the database's files on disk when `location` is known.
 */
export async function measureStore(layout: Layout, location: string | undefined): Promise<StoreSizes> {
  let namespaces = 0;
  let containers = 0;
  let leases = 0;
  for await (const name of layout.namespaces.keys()) {
    namespaces += 1;
    const sections = layout.of(name);
    containers += await countKeys(sections.containers);
    leases += await countKeys(sections.leases);
  }
  return { namespaces, containers, leases, diskBytes: location === undefined ? 0 : await directoryBytes(location) };
}

async function countKeys(section: Section): Promise<number> {
  const keys = section.keys();
  let count = 0;
  try {
    for (;;) {
      const batch = await keys.nextv(COUNT_BATCH);
      if (batch.length === 0) return count;
      count += batch.length;
    }
  } finally {
    await keys.close();
  }
}

async function directoryBytes(location: string): Promise<number> {
  const names = await readdir(location);
  // A file LevelDB removes between the listing and the stat simply counts as empty.
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(location, name)).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

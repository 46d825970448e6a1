/**
 * The equality index of containers: one empty key per (field, value, id) for
 * the fields a filter can pin with `==` besides the id — `image`,
 * `runtime.name` and each label — so that `labels.env==prod` reads the ids
 * under `label:env/prod/` instead of scanning the namespace.
 *
 * Keys live in the namespace's `index` section (layout.ts) and are written in
 * the same batch as the container, so the index never disagrees with the
 * records a reader can see. A field is indexed exactly when the container
 * filter sees it present (container-fields.ts): a non-empty image or runtime
 * name, a label that exists (berthd stores no empty label values).
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { AbstractChainedBatch } from "abstract-level";
import { afterPrefix, type Database, type Layout, type Section } from "./layout.js";

/** A batch being composed (a commit's, or the rebuild's own). */
type Batch = AbstractChainedBatch<Database, string, Uint8Array>;

/** A field the index holds. */
export type IndexedField =
  | { readonly kind: "image" }
  | { readonly kind: "runtime" }
  | { readonly kind: "label"; readonly key: string };

/** The `!meta!` key that says every container is in the index (set once it was built). */
export const INDEX_COMPLETE_KEY = "container-index";

/** Every index key starting with this holds the ids whose `field` equals `value`. */
export function indexTermPrefix(field: IndexedField, value: string): string {
  const name = field.kind === "label" ? `label:${encodeURIComponent(field.key)}` : field.kind;
  return `${name}/${encodeURIComponent(value)}/`;
}

/** The container's index keys (identifiers contain no `/`, so the id is the key's last part). */
export function indexKeys(container: Container): string[] {
  const keys: string[] = [];
  if (container.image !== "") keys.push(indexTermPrefix({ kind: "image" }, container.image) + container.id);
  const runtime = container.runtime?.name ?? "";
  if (runtime !== "") keys.push(indexTermPrefix({ kind: "runtime" }, runtime) + container.id);
  for (const [key, value] of Object.entries(container.labels)) {
    keys.push(indexTermPrefix({ kind: "label", key }, value) + container.id);
  }
  return keys;
}

/** Writes to the index: puts `after`'s keys that `before` lacks, deletes `before`'s that `after` lacks. */
export function changeIndex(
  batch: Batch,
  section: Section,
  before: Container | undefined,
  after: Container | undefined,
): void {
  const old = new Set(before === undefined ? [] : indexKeys(before));
  const next = new Set(after === undefined ? [] : indexKeys(after));
  for (const key of old) if (!next.has(key)) batch.del(key, { sublevel: section });
  for (const key of next) if (!old.has(key)) batch.put(key, EMPTY, { sublevel: section });
}

const EMPTY = new Uint8Array(0);

/** The ids whose `field` equals `value`, in id order. */
export async function indexedIds(section: Section, field: IndexedField, value: string): Promise<string[]> {
  const prefix = indexTermPrefix(field, value);
  const keys = await section.keys({ gte: prefix, lt: afterPrefix(prefix) }).all();
  return keys.map((key) => key.slice(prefix.length));
}

/**
 * Rebuilds the index of every namespace from the records, then marks it
 * complete: for a database written before the index existed, or after a
 * repair. Runs before the store serves anything.
 */
export async function rebuildContainerIndex(
  db: Database,
  layout: Layout,
  decode: (bytes: Uint8Array) => Container,
): Promise<void> {
  for await (const name of layout.namespaces.keys()) {
    const sections = layout.of(name);
    let batch: Batch = db.batch();
    for await (const key of sections.index.keys()) batch.del(key, { sublevel: sections.index });
    for await (const bytes of sections.containers.values()) {
      for (const key of indexKeys(decode(bytes))) batch.put(key, EMPTY, { sublevel: sections.index });
      if (batch.length >= 10_000) {
        await batch.write();
        batch = db.batch();
      }
    }
    await batch.write();
  }
  // Synced: once it is set, listings trust the index.
  const synced = { sync: true, valueEncoding: "utf8" };
  await layout.meta.put(INDEX_COMPLETE_KEY, "1", synced);
}

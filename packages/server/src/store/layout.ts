/**
 * The keyspace of berthd's LevelDB, drawn once; every key is built here.
 *
 * ```
 * <root>/db  (LevelDB; keys utf8, values bytes)
 * │
 * ├─ !meta!schema                              "1"  (layout version)
 * └─ !v1!                                      sublevel "v1": everything versioned
 *    └─ !v1!!<namespace>!                      one sublevel per namespace
 *       └─ !v1!!<namespace>!!containers!<id>   Container, protobuf binary
 *                                               (containerd.services.containers.v1.Container)
 * ```
 *
 * A namespace name is a containerd identifier and cannot contain `!`, so one
 * namespace's keys never fall inside another's range. Container ids are
 * identifiers too; within a namespace they sort in byte order, which is the order
 * List returns. A record is one key: a write replaces it whole, so no reader can
 * see a partial container.
 */
import type { AbstractLevel, AbstractSublevel } from "abstract-level";

/** The database a store runs on: LevelDB on disk, or memory-level in unit tests. */
// biome-ignore lint/suspicious/noExplicitAny: abstract-level's format parameter varies by implementation.
export type Database = AbstractLevel<any, string, Uint8Array>;

/** A sublevel of string keys and byte values. */
export type Section = AbstractSublevel<Database, unknown, string, Uint8Array>;

/** Version of this layout, stored under `!meta!schema`. */
export const SCHEMA_VERSION = "1";

const MAX_CACHED_NAMESPACES = 4096;

const BYTES = { valueEncoding: "view" } as const;

/** Builds (and caches) the sublevels of one database. */
export class Layout {
  /** `!meta!`: layout version and other database-wide facts. */
  readonly meta: AbstractSublevel<Database, unknown, string, string>;
  private readonly versioned: Section;
  private readonly containerSections = new Map<string, Section>();

  constructor(readonly db: Database) {
    this.meta = db.sublevel<string, string>("meta", { valueEncoding: "utf8" });
    this.versioned = db.sublevel<string, Uint8Array>("v1", BYTES) as Section;
  }

  /** The containers of one namespace, keyed by container id. */
  containers(namespace: string): Section {
    let section = this.containerSections.get(namespace);
    if (section === undefined) {
      // Sublevels are cheap to rebuild; the cap only keeps a flood of names from growing memory.
      if (this.containerSections.size >= MAX_CACHED_NAMESPACES) this.containerSections.clear();
      section = this.versioned
        .sublevel<string, Uint8Array>(namespace, BYTES)
        .sublevel<string, Uint8Array>("containers", BYTES) as unknown as Section;
      this.containerSections.set(namespace, section);
    }
    return section;
  }
}

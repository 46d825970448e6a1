/**
 * The keyspace of berthd's LevelDB, drawn once; every key is built here.
 *
 * ```
 * <root>/db  (LevelDB; keys utf8, values bytes)
 * │
 * ├─ !meta!schema                                  "1"  (layout version)
 * ├─ !meta!uuid                                    the server's UUID, made on first use
 * ├─ !meta!container-index                         "1" once every container is in the index below
 * ├─ !events!<sequence>                            berth.events.v1.Event, protobuf binary; the
 * │                                                 sequence as 20 decimal digits (see event-log.ts)
 * ├─ !namespaces!<name>                            Namespace, protobuf binary (name + labels)
 * └─ !v1!                                          sublevel "v1": records per namespace
 *    └─ !v1!!<namespace>!                          one sublevel per namespace
 *       ├─ !containers!<id>                        Container, protobuf binary
 *       │                                           (containerd.services.containers.v1.Container)
 *       ├─ !leases!<id>                            Lease, protobuf binary
 *       ├─ !lease-resources!<lease>/<type>/<id>    Resource, protobuf binary; the three
 *       │                                           parts URI-encoded, so `/` separates them
 *       ├─ !index!<field>/<value>/<id>             empty: container <id> has <value> in <field>
 *       │                                           (`image`, `runtime`, or `label:<key>`), the
 *       │                                           field's key and the value URI-encoded; written
 *       │                                           in the batch that writes the container (see
 *       │                                           container-index.ts)
 *       └─ !buckets!<containers|leases>            empty: containerd's bucket of that name exists
 *                                                   in the namespace (made by its first record,
 *                                                   kept when the last goes, as in bbolt)
 * ```
 *
 * Namespace names are containerd identifiers and cannot contain `!`, so one
 * namespace's keys never fall inside another's range. Container ids are
 * identifiers too; within a namespace they sort in byte order, which is the order
 * List returns. A record is one key: a write replaces it whole, so no reader can
 * see a partial record. A namespace record exists for every namespace that holds
 * anything: it is written in the same batch as the first record in it.
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

/** The sections of one namespace. */
export interface NamespaceSections {
  readonly containers: Section;
  readonly leases: Section;
  readonly leaseResources: Section;
  /** Markers of containerd's buckets, which outlive their records (see `buckets.ts`). */
  readonly buckets: Section;
  /** Equality index of the containers' image, runtime and labels (see `container-index.ts`). */
  readonly index: Section;
}

/** Builds (and caches) the sublevels of one database. */
export class Layout {
  /** `!meta!`: layout version and other database-wide facts. */
  readonly meta: AbstractSublevel<Database, unknown, string, string>;
  /** `!namespaces!`: one record per namespace, keyed by name. */
  readonly namespaces: Section;
  /** `!events!`: the event history, keyed by sequence. */
  readonly events: Section;
  private readonly versioned: Section;
  private readonly cache = new Map<string, NamespaceSections>();

  constructor(readonly db: Database) {
    this.meta = db.sublevel<string, string>("meta", { valueEncoding: "utf8" });
    this.namespaces = db.sublevel<string, Uint8Array>("namespaces", BYTES) as Section;
    this.events = db.sublevel<string, Uint8Array>("events", BYTES) as Section;
    this.versioned = db.sublevel<string, Uint8Array>("v1", BYTES) as Section;
  }

  /** The sections of one namespace. */
  of(namespace: string): NamespaceSections {
    let sections = this.cache.get(namespace);
    if (sections === undefined) {
      // Sublevels are cheap to rebuild; the cap only keeps a flood of names from growing memory.
      if (this.cache.size >= MAX_CACHED_NAMESPACES) this.cache.clear();
      const root = this.versioned.sublevel<string, Uint8Array>(namespace, BYTES);
      const section = (name: string) => root.sublevel<string, Uint8Array>(name, BYTES) as unknown as Section;
      sections = {
        containers: section("containers"),
        leases: section("leases"),
        leaseResources: section("lease-resources"),
        buckets: section("buckets"),
        index: section("index"),
      };
      this.cache.set(namespace, sections);
    }
    return sections;
  }

  /**
   * Closes and reopens the database and its sublevels (closing a database
   * closes its sublevels); namespace sections are built anew when next used.
   * Reads that arrive meanwhile wait for the open.
   */
  async reopen(): Promise<void> {
    this.cache.clear();
    await this.db.close();
    await this.db.open();
    await Promise.all([this.meta.open(), this.namespaces.open(), this.events.open(), this.versioned.open()]);
  }

  /** The containers of one namespace, keyed by container id. */
  containers(namespace: string): Section {
    return this.of(namespace).containers;
  }
}

/** Key of a lease's resource in `lease-resources`. */
export function leaseResourceKey(leaseId: string, type: string, id: string): string {
  return `${leaseResourcePrefix(leaseId)}${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
}

/** Every resource key of a lease starts with this. */
export function leaseResourcePrefix(leaseId: string): string {
  return `${encodeURIComponent(leaseId)}/`;
}

/** The smallest key after every key starting with `prefix`. */
export function afterPrefix(prefix: string): string {
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
}

import { EventSchema } from "@berth/gen/berth/events/v1/history_pb.js";
import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { LeaseSchema, ResourceSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { validateContainer } from "../local/container-validation.js";
import { validateIdentifier } from "../local/identifiers.js";
import { validateLabels } from "../local/labels.js";
import { BUCKET_NAMES } from "../store/buckets.js";
import { INDEX_COMPLETE_KEY, indexKeys } from "../store/container-index.js";
import { type Database, Layout, leaseResourceKey, SCHEMA_VERSION } from "../store/layout.js";
import { isUuid } from "../store/server-uuid.js";

/** One thing wrong with one key. */
export interface StoreProblem {
  /** The whole LevelDB key, as stored. */
  readonly key: string;
  readonly problem: string;
}

/** What {@link verifyStore} found. */
export interface StoreReport {
  /** Every key in the database. */
  readonly keys: number;
  /** Namespace records. */
  readonly namespaces: number;
  readonly containers: number;
  readonly leases: number;
  readonly leaseResources: number;
  /** Events in the history. */
  readonly events: number;
  readonly problems: readonly StoreProblem[];
}

/** The per-namespace sections of `layout.ts`, by their sublevel name. */
const SECTIONS = ["containers", "leases", "lease-resources", "buckets", "index"] as const;
type SectionName = (typeof SECTIONS)[number];

/**
 * Walks every key of a berthd database once, in key order, and checks it
 * against the keyspace drawn in `store/layout.ts`: each value decodes as its
 * protobuf type, names the same id as its key, and passes the rules berthd
 * applies on write (`local/`); every namespace holding records has a namespace
 * record; every lease resource belongs to a lease; each stored event names the
 * sequence of its key; the container index holds exactly the entries of the
 * containers beside it; no other keys exist. Reads only.
 */
export async function verifyStore(db: Database): Promise<StoreReport> {
  const layout = new Layout(db);
  const metaPrefix = layout.meta.prefix;
  const namespacesPrefix = layout.namespaces.prefix;
  const eventsPrefix = layout.events.prefix;
  const problems: StoreProblem[] = [];
  const report = (key: string, problem: string) => problems.push({ key, problem });
  const namespaceRecords = new Set<string>();
  /** Namespace → first key that puts a record in it. */
  const usedNamespaces = new Map<string, string>();
  const leaseIds = new Set<string>();
  const resources: { key: string; namespace: string; leaseId: string }[] = [];
  const counts = { keys: 0, namespaces: 0, containers: 0, leases: 0, leaseResources: 0, events: 0 };
  let schemaSeen = false;
  let indexComplete = false;
  // Keys sort "containers" before "index" within a namespace: a namespace's expected
  // index entries are known, whole, before its index keys are reached.
  let indexNamespace: string | undefined;
  let expectedIndex = new Map<string, string>();
  const settleIndex = (namespace: string | undefined) => {
    if (namespace === indexNamespace) return;
    for (const [entry, container] of expectedIndex) {
      report(`${layout.of(indexNamespace ?? "").index.prefix}${entry}`, `missing index entry of ${container}`);
    }
    indexNamespace = namespace;
    expectedIndex = new Map();
  };

  const iterator = db.iterator({ keyEncoding: "utf8", valueEncoding: "view" });
  try {
    for (;;) {
      const entries = await iterator.nextv(256);
      if (entries.length === 0) break;
      for (const [key, value] of entries) {
        counts.keys += 1;
        if (key.startsWith(metaPrefix)) {
          const name = key.slice(metaPrefix.length);
          if (name === "uuid") {
            if (!isUuid(Buffer.from(value).toString("utf8"))) report(key, "server UUID is not a UUID");
          } else if (name === INDEX_COMPLETE_KEY) {
            indexComplete = Buffer.from(value).toString("utf8") === "1";
            if (!indexComplete) report(key, 'container index marker is not "1"');
          } else if (name !== "schema") report(key, "unknown key in !meta!");
          else {
            schemaSeen = true;
            const version = Buffer.from(value).toString("utf8");
            if (version !== SCHEMA_VERSION)
              report(key, `layout version ${JSON.stringify(version)}, expected "${SCHEMA_VERSION}"`);
          }
          continue;
        }
        if (key.startsWith(eventsPrefix)) {
          counts.events += 1;
          const name = key.slice(eventsPrefix.length);
          if (!/^\d{20}$/.test(name)) {
            report(key, "unknown key in !events!");
            continue;
          }
          // Sequences need not follow each other: a repair drops events with the writes they reported.
          const event = decode(EventSchema, value, key, report);
          if (event !== undefined && event.sequence !== BigInt(name)) {
            report(key, `record has sequence ${event.sequence}`);
          }
          continue;
        }
        if (key.startsWith(namespacesPrefix)) {
          counts.namespaces += 1;
          const name = key.slice(namespacesPrefix.length);
          namespaceRecords.add(name);
          const namespace = decode(NamespaceSchema, value, key, report);
          if (namespace === undefined) continue;
          if (namespace.name !== name) report(key, `record names namespace ${JSON.stringify(namespace.name)}`);
          check(key, report, "namespace name", () => validateIdentifier(name));
          check(key, report, "namespace labels", () => validateLabels(namespace.labels));
          continue;
        }
        const place = parseRecordKey(layout, key);
        if (place === undefined) {
          report(key, "unknown key");
          continue;
        }
        if (!usedNamespaces.has(place.namespace)) usedNamespaces.set(place.namespace, key);
        settleIndex(place.namespace);
        if (place.section === "containers") {
          counts.containers += 1;
          const container = decode(ContainerSchema, value, key, report);
          if (container === undefined) continue;
          if (container.id !== place.id) report(key, `record has id ${JSON.stringify(container.id)}`);
          check(key, report, "container", () => validateContainer(container));
          for (const entry of indexKeys(container))
            expectedIndex.set(entry, `container ${JSON.stringify(container.id)}`);
        } else if (place.section === "index") {
          if (value.length > 0) report(key, "index entry has a value");
          if (!expectedIndex.delete(place.id)) report(key, "index entry of no container with that value");
        } else if (place.section === "buckets") {
          if (!(BUCKET_NAMES as readonly string[]).includes(place.id)) report(key, "unknown bucket marker");
          else if (value.length > 0) report(key, "bucket marker has a value");
        } else if (place.section === "leases") {
          counts.leases += 1;
          leaseIds.add(`${place.namespace}/${place.id}`);
          const lease = decode(LeaseSchema, value, key, report);
          if (lease === undefined) continue;
          if (lease.id !== place.id) report(key, `record has id ${JSON.stringify(lease.id)}`);
        } else {
          counts.leaseResources += 1;
          const resource = decode(ResourceSchema, value, key, report);
          if (resource === undefined) continue;
          const leaseId = decodeURIComponentOrUndefined(place.id.slice(0, Math.max(0, place.id.indexOf("/"))));
          if (leaseId === undefined || leaseResourceKey(leaseId, resource.type, resource.id) !== place.id) {
            report(key, `key does not match the resource it holds (${resource.type} ${JSON.stringify(resource.id)})`);
            continue;
          }
          resources.push({ key, namespace: place.namespace, leaseId });
        }
      }
    }
  } finally {
    await iterator.close();
  }

  settleIndex(undefined);
  if (counts.keys > 0 && !schemaSeen) report(`${metaPrefix}schema`, "missing layout version");
  if (counts.keys > 0 && !indexComplete) {
    report(
      `${metaPrefix}${INDEX_COMPLETE_KEY}`,
      "missing: the container index was never completed (berthd builds it when it starts; berthd check --repair builds it now)",
    );
  }
  for (const [namespace, key] of usedNamespaces) {
    check(key, report, "namespace name", () => validateIdentifier(namespace));
    if (!namespaceRecords.has(namespace))
      report(
        `${namespacesPrefix}${namespace}`,
        `missing: namespace ${JSON.stringify(namespace)} holds records (first ${key})`,
      );
  }
  for (const resource of resources) {
    if (!leaseIds.has(`${resource.namespace}/${resource.leaseId}`)) {
      report(resource.key, `resource of lease ${JSON.stringify(resource.leaseId)}, which does not exist`);
    }
  }
  return { ...counts, problems };
}

interface RecordPlace {
  readonly namespace: string;
  readonly section: SectionName;
  readonly id: string;
}

/**
 * Splits `!v1!!<namespace>!!<section>!<id>`. Namespace names cannot contain the
 * separator; ids may (lease ids are not identifiers), so the id is the rest.
 * The prefix found is compared with the one `Layout` builds, so the two cannot drift.
 */
function parseRecordKey(layout: Layout, key: string): RecordPlace | undefined {
  const match = /^!v1!!([^!]+)!!([^!]+)!/.exec(key);
  if (match === null) return undefined;
  const [prefix, namespace = "", section = ""] = match;
  if (!(SECTIONS as readonly string[]).includes(section)) return undefined;
  let sections: ReturnType<Layout["of"]>;
  try {
    sections = layout.of(namespace);
  } catch {
    // abstract-level refuses sublevel names outside printable ASCII: no berthd could have written this key.
    return undefined;
  }
  const expected = {
    containers: sections.containers,
    leases: sections.leases,
    "lease-resources": sections.leaseResources,
    buckets: sections.buckets,
    index: sections.index,
  }[section as SectionName].prefix;
  if (expected !== prefix) return undefined;
  return { namespace, section: section as SectionName, id: key.slice(prefix.length) };
}

function decode<Desc extends DescMessage>(
  schema: Desc,
  value: Uint8Array,
  key: string,
  report: (key: string, problem: string) => void,
): MessageShape<Desc> | undefined {
  try {
    return fromBinary(schema, value);
  } catch (error) {
    report(
      key,
      `value does not decode as ${schema.typeName}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

function check(key: string, report: (key: string, problem: string) => void, what: string, validate: () => void): void {
  try {
    validate();
  } catch (error) {
    report(key, `invalid ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeURIComponentOrUndefined(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

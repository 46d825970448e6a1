import {
  NamespaceCreateSchema,
  NamespaceDeleteSchema,
  NamespaceUpdateSchema,
} from "@berth/gen/containerd/events/namespace_pb.js";
import { type Namespace, NamespaceSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create } from "@bufbuild/protobuf";
import { BerthError, failedPrecondition, notFound, plainError } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";
import type { NamespaceRecord, NamespaceStore } from "../store/types.js";
import type { EventsLocal } from "./events.js";
import { validateIdentifier } from "./identifiers.js";
import { ownEntry, setEntry, validateLabels, withoutEmptyLabels } from "./labels.js";
import type { RequestNamespace } from "./namespace.js";

/** Dependencies of {@link createNamespacesLocal}. */
export interface NamespacesLocalOptions {
  readonly store: NamespaceStore;
  readonly events: Pick<EventsLocal, "envelope">;
}

/** containerd's namespace rules (`services/namespaces/local.go`, `metadata/namespaces.go`). */
export interface NamespacesLocal {
  /** Never fails: an unknown name has no labels. */
  get(name: string): Promise<Namespace>;
  list(signal?: AbortSignal): AsyncIterable<Namespace>;
  /** Every namespace as stored (encoded Namespace messages), in name order: what a binary List sends. */
  listEncoded(): Promise<Uint8Array[]>;
  /** Returns the namespace as requested, empty-valued labels included (they are not stored). */
  create(requestNamespace: RequestNamespace, namespace: Namespace): Promise<Namespace>;
  /** Sets labels (all, or those named by `labels.KEY` paths), creating the namespace if needed. */
  update(requestNamespace: RequestNamespace, namespace: Namespace, paths: readonly string[]): Promise<void>;
  delete(name: string): Promise<void>;
}

const toMessage = (record: NamespaceRecord) =>
  create(NamespaceSchema, { name: record.name, labels: { ...record.labels } });

/** Builds the namespace rules over a store. */
export function createNamespacesLocal({ store, events }: NamespacesLocalOptions): NamespacesLocal {
  return {
    async get(name) {
      return toMessage((await store.get(name)) ?? { name, labels: {} });
    },

    async *list(signal) {
      for await (const record of store.list(signal === undefined ? {} : { signal })) yield toMessage(record);
    },

    listEncoded: () => store.listEncoded(),

    async create(requestNamespace, namespace) {
      validateIdentifier(namespace.name);
      validateNamespaceLabels(namespace.labels);
      await store.create(
        { name: namespace.name, labels: withoutEmptyLabels(namespace.labels) },
        events.envelope(
          envelopeNamespace(requestNamespace, namespace.name),
          "/namespaces/create",
          NamespaceCreateSchema,
          {
            name: namespace.name,
            labels: namespace.labels,
          },
        ),
      );
      return namespace;
    },

    async update(requestNamespace, namespace, paths) {
      for (const path of paths) {
        if (!path.startsWith("labels.")) {
          throw plainError("invalid argument", `cannot update ${quoteInput(path)} field`);
        }
      }
      // containerd creates the namespace only when it sets a label. A replace with no
      // labels sets none: a missing namespace stays missing, whatever its name, and
      // the call still succeeds (and is published).
      const setsLabels = paths.length > 0 || Object.keys(namespace.labels).length > 0;
      if (setsLabels) validateIdentifier(namespace.name);
      validateNamespaceLabels(paths.length === 0 ? namespace.labels : namedLabels(namespace.labels, paths));
      const change = (stored: Readonly<Record<string, string>>) => {
        if (paths.length === 0) return withoutEmptyLabels(namespace.labels);
        const labels = { ...stored };
        for (const path of paths) {
          const key = path.slice("labels.".length);
          const value = ownEntry(namespace.labels, key);
          if (value === undefined || value === "") delete labels[key];
          else setEntry(labels, key, value);
        }
        return labels;
      };
      await store.update(namespace.name, change, {
        create: setsLabels,
        event: events.envelope(
          envelopeNamespace(requestNamespace, namespace.name),
          "/namespaces/update",
          NamespaceUpdateSchema,
          { name: namespace.name, labels: namespace.labels },
        ),
      });
    },

    async delete(name) {
      const result = await store.delete(
        name,
        events.envelope(name, "/namespaces/delete", NamespaceDeleteSchema, { name }),
      );
      if (!result.deleted) {
        throw result.reason === "not found"
          ? notFound(`namespace ${quoteInput(name)}`)
          : failedPrecondition(
              `namespace ${quoteInput(name)} must be empty, but it still has ${result.holds.join(", ")}`,
            );
      }
    },
  };
}

/** The request labels that `labels.KEY` paths name: only those are written, so only those are checked. */
function namedLabels(labels: Readonly<Record<string, string>>, paths: readonly string[]): Record<string, string> {
  const named: Record<string, string> = {};
  for (const path of paths) {
    const key = path.slice("labels.".length);
    const value = ownEntry(labels, key);
    if (value !== undefined) setEntry(named, key, value);
  }
  return named;
}

function validateNamespaceLabels(labels: Readonly<Record<string, string>>): void {
  try {
    validateLabels(labels);
  } catch (error) {
    throw error instanceof BerthError ? error.wrap("namespace.Labels") : error;
  }
}

/**
 * The envelope namespace of a namespace event: the caller's header, as in
 * containerd. Where containerd commits and then fails the call because the header
 * is missing or invalid, berthd publishes under the namespace's own name instead
 * (docs/compatibility.md).
 */
function envelopeNamespace(requestNamespace: RequestNamespace, name: string): string {
  try {
    return requestNamespace.require();
  } catch {
    return name;
  }
}

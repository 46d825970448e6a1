/**
 * JSON rendering of containers for `ls --format json` and `info`, and of
 * namespaces and leases for their `ls --format json`. Written by
 * hand rather than with protobuf-es `toJson`: that needs every Any's type in a
 * registry, and a container's Anys carry arbitrary client-defined type URLs.
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Lease } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import type { Namespace } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { compareUtf8 } from "../labels.js";
import { decodeSpec } from "../oci-spec.js";

/** An Any shown as its type URL and base64 value bytes. */
export function anyToJson(value: Any): JsonObject {
  return { typeUrl: value.typeUrl, value: Buffer.from(value.value).toString("base64") };
}

/**
 * A timestamp as RFC 3339 in UTC, with 0, 3, 6 or 9 fractional digits as in
 * proto3 JSON (nanoseconds are kept, unlike `timestampDate`).
 */
export function timestampToJson(timestamp: Timestamp): string {
  const seconds = Number(timestamp.seconds);
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "");
  const nanos = timestamp.nanos;
  if (nanos === 0) return `${base}Z`;
  const digits = String(nanos).padStart(9, "0");
  const fraction = nanos % 1_000_000 === 0 ? digits.slice(0, 3) : nanos % 1000 === 0 ? digits.slice(0, 6) : digits;
  return `${base}.${fraction}Z`;
}

/**
 * A container as a JSON object with proto3 JSON field names. The spec is shown
 * decoded when it is OCI JSON, else as `{typeUrl, value}`; absent messages
 * (runtime options, spec, timestamps) are left out.
 */
export function containerToJson(container: Container): JsonObject {
  const runtime: JsonObject = { name: container.runtime?.name ?? "" };
  if (container.runtime?.options) runtime.options = anyToJson(container.runtime.options);
  const json: JsonObject = {
    id: container.id,
    labels: sortedRecord(container.labels, (value) => value),
    image: container.image,
    runtime,
  };
  if (container.spec) json.spec = decodeSpec(container.spec) ?? anyToJson(container.spec);
  json.snapshotter = container.snapshotter;
  json.snapshotKey = container.snapshotKey;
  if (container.createdAt) json.createdAt = timestampToJson(container.createdAt);
  if (container.updatedAt) json.updatedAt = timestampToJson(container.updatedAt);
  json.extensions = sortedRecord(container.extensions, anyToJson);
  return json;
}

/** A namespace as `{name, labels}`, labels sorted by key. */
export function namespaceToJson(namespace: Namespace): JsonObject {
  return { name: namespace.name, labels: sortedRecord(namespace.labels, (value) => value) };
}

/** A lease as `{id, createdAt, labels}` (createdAt left out when absent), labels sorted by key. */
export function leaseToJson(lease: Lease): JsonObject {
  const json: JsonObject = { id: lease.id };
  if (lease.createdAt) json.createdAt = timestampToJson(lease.createdAt);
  json.labels = sortedRecord(lease.labels, (value) => value);
  return json;
}

/** Indented JSON text (4 spaces, as ctr's `PrintAsJSON`) with a final newline. */
export function formatJson(value: JsonValue): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

function sortedRecord<T>(record: { readonly [key: string]: T }, render: (value: T) => JsonValue): JsonObject {
  const entries = Object.keys(record)
    .sort(compareUtf8)
    .map((key) => [key, render(record[key] as T)] as const);
  return Object.fromEntries(entries);
}

import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { unpackEvent } from "./event-payloads.js";
import type { FieldAdaptor } from "./filters/index.js";
import { ownEntry } from "./labels.js";

/** Payload fields a subscription filter can see under `event.`, per payload type (containerd's Field methods). */
const PAYLOAD_FIELDS: Record<
  string,
  (payload: Record<string, unknown>, path: readonly string[]) => string | undefined
> = {
  "containerd.events.ContainerCreate": (payload, path) => {
    if (path.length === 1 && (path[0] === "id" || path[0] === "image")) return nonEmpty(payload[path[0]]);
    if (path.length === 2 && path[0] === "runtime" && path[1] === "name") {
      return nonEmpty((payload.runtime as { name?: string } | undefined)?.name);
    }
    return undefined;
  },
  "containerd.events.ContainerUpdate": (payload, path) => {
    if (path.length === 1 && (path[0] === "id" || path[0] === "image" || path[0] === "snapshot_key")) {
      return nonEmpty(payload[path[0] === "snapshot_key" ? "snapshotKey" : path[0]]);
    }
    return labelField(payload, path);
  },
  "containerd.events.ContainerDelete": (payload, path) =>
    path.length === 1 && path[0] === "id" ? nonEmpty(payload.id) : undefined,
  "containerd.events.NamespaceCreate": (payload, path) =>
    path.length === 1 && path[0] === "name" ? nonEmpty(payload.name) : labelField(payload, path),
  "containerd.events.NamespaceUpdate": (payload, path) =>
    path.length === 1 && path[0] === "name" ? nonEmpty(payload.name) : labelField(payload, path),
};

/**
 * The fields an Events.Subscribe filter can see (containerd `events.Envelope.Field`):
 * `namespace`, `topic`, and `event.<field>` of a decoded payload of a known type.
 * The payload is decoded at most once per envelope and subscriber filter.
 */
export function envelopeFields(envelope: Envelope): FieldAdaptor {
  let decoded: ReturnType<typeof unpackEvent> | null = null;
  return {
    field(path) {
      switch (path[0]) {
        case "namespace":
          return path.length === 1 ? nonEmpty(envelope.namespace) : undefined;
        case "topic":
          return path.length === 1 ? nonEmpty(envelope.topic) : undefined;
        case "event": {
          if (decoded === null) decoded = unpackEvent(envelope.event);
          if (decoded === undefined) return undefined;
          return PAYLOAD_FIELDS[decoded.typeName]?.(decoded.payload, path.slice(1));
        }
        default:
          return undefined;
      }
    },
  };
}

function labelField(payload: Record<string, unknown>, path: readonly string[]): string | undefined {
  if (path.length < 2 || path[0] !== "labels") return undefined;
  return ownEntry((payload.labels ?? {}) as Record<string, string>, path.slice(1).join("."));
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

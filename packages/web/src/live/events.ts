/** Reading containerd's container events and building filters for them. */
import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { fromBinary } from "@bufbuild/protobuf";

/** What a container event means for the table. */
export type ContainerChange =
  | { readonly kind: "changed"; readonly id: string }
  | { readonly kind: "deleted"; readonly id: string };

/**
 * The container a `/containers/*` envelope is about; `undefined` for other
 * topics and for payloads that do not decode.
 */
export function containerChange(envelope: Pick<Envelope, "topic" | "event">): ContainerChange | undefined {
  const value = envelope.event?.value;
  if (value === undefined) return undefined;
  try {
    switch (envelope.topic) {
      case "/containers/create":
        return { kind: "changed", id: fromBinary(ContainerCreateSchema, value).id };
      case "/containers/update":
        return { kind: "changed", id: fromBinary(ContainerUpdateSchema, value).id };
      case "/containers/delete":
        return { kind: "deleted", id: fromBinary(ContainerDeleteSchema, value).id };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * A value for containerd's filter language as a double-quoted literal. The
 * JSON escapes used here (`\"`, `\\`, `\n`, `\uNNNN`) are Go escapes too.
 */
export function quoteFilterValue(value: string): string {
  return JSON.stringify(value);
}

/** The Subscribe filter for one namespace's events. */
export function namespaceEventFilter(namespace: string): string {
  return `namespace==${quoteFilterValue(namespace)}`;
}

/**
 * A filter that matches only container `id` and only if it also matches the
 * user's filter (`,` is AND within one filter string).
 */
export function singleContainerFilter(id: string, filter: string): string {
  return filter === "" ? `id==${quoteFilterValue(id)}` : `id==${quoteFilterValue(id)},${filter}`;
}

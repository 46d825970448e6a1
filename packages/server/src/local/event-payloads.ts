import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import {
  NamespaceCreateSchema,
  NamespaceDeleteSchema,
  NamespaceUpdateSchema,
} from "@berth/gen/containerd/events/namespace_pb.js";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

/** The payload types berthd publishes, by their bare type URL (containerd's typeurl registry names). */
const PAYLOADS = new Map<string, DescMessage>(
  [
    ContainerCreateSchema,
    ContainerUpdateSchema,
    ContainerDeleteSchema,
    NamespaceCreateSchema,
    NamespaceUpdateSchema,
    NamespaceDeleteSchema,
  ].map((schema) => [schema.typeName, schema]),
);

/**
 * Packs an event payload the way containerd does: the type URL is the bare
 * message name (`containerd.events.ContainerCreate`), without the
 * `type.googleapis.com/` prefix that Go's typeurl v1.0.2 could not resolve.
 */
export function packEvent<Desc extends DescMessage>(schema: Desc, payload: MessageInitShape<Desc>): Any {
  return create(AnySchema, { typeUrl: schema.typeName, value: toBinary(schema, create(schema, payload)) });
}

/** Decodes a payload of a known event type, or undefined (unknown type or bad bytes). */
export function unpackEvent(
  event: Any | undefined,
): { typeName: string; payload: Record<string, unknown> } | undefined {
  if (event === undefined) return undefined;
  const schema = PAYLOADS.get(event.typeUrl.slice(event.typeUrl.lastIndexOf("/") + 1));
  if (schema === undefined) return undefined;
  try {
    return { typeName: schema.typeName, payload: fromBinary(schema, event.value) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

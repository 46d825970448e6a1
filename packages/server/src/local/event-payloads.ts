import { EVENT_PAYLOAD_SCHEMAS } from "@berth/shared/event-types";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

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
  const schema = EVENT_PAYLOAD_SCHEMAS.get(event.typeUrl.slice(event.typeUrl.lastIndexOf("/") + 1));
  if (schema === undefined) return undefined;
  try {
    return { typeName: schema.typeName, payload: fromBinary(schema, event.value) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

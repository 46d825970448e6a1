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
import type { DescMessage } from "@bufbuild/protobuf";

/**
 * The payload types containerd's metadata services publish (containerd's api/events), keyed by
 * their bare type URL (`containerd.events.ContainerCreate`…): containerd's type
 * registry names, without a `type.googleapis.com/` prefix.
 */
export const EVENT_PAYLOAD_SCHEMAS: ReadonlyMap<string, DescMessage> = new Map(
  [
    ContainerCreateSchema,
    ContainerUpdateSchema,
    ContainerDeleteSchema,
    NamespaceCreateSchema,
    NamespaceUpdateSchema,
    NamespaceDeleteSchema,
  ].map((schema): [string, DescMessage] => [schema.typeName, schema]),
);

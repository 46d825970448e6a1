/** Event payloads as the Events view shows them: decoded to JSON where the app knows the type. */
import { file_containerd_events_container } from "@berth/gen/containerd/events/container_pb.js";
import { file_containerd_events_content } from "@berth/gen/containerd/events/content_pb.js";
import { file_containerd_events_image } from "@berth/gen/containerd/events/image_pb.js";
import { file_containerd_events_namespace } from "@berth/gen/containerd/events/namespace_pb.js";
import { file_containerd_events_snapshot } from "@berth/gen/containerd/events/snapshot_pb.js";
import { file_containerd_events_task } from "@berth/gen/containerd/events/task_pb.js";
import { createRegistry, fromBinary, toJsonString } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";

/** Every payload containerd 1.6 publishes. */
const PAYLOADS = createRegistry(
  file_containerd_events_container,
  file_containerd_events_content,
  file_containerd_events_image,
  file_containerd_events_namespace,
  file_containerd_events_snapshot,
  file_containerd_events_task,
);

/** The payload as compact JSON, or its type URL and size when it cannot be decoded. */
export function describePayload(payload: Any | undefined): string {
  if (payload === undefined) return "";
  const schema = PAYLOADS.getMessage(payload.typeUrl.slice(payload.typeUrl.lastIndexOf("/") + 1));
  if (schema !== undefined) {
    try {
      return toJsonString(schema, fromBinary(schema, payload.value));
    } catch {
      // Not what its type URL says: shown as bytes.
    }
  }
  return `${payload.typeUrl} (${payload.value.length} bytes)`;
}

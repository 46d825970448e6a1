import { file_containerd_events_container } from "@berth/gen/containerd/events/container_pb.js";
import { file_containerd_events_content } from "@berth/gen/containerd/events/content_pb.js";
import { file_containerd_events_image } from "@berth/gen/containerd/events/image_pb.js";
import { file_containerd_events_namespace } from "@berth/gen/containerd/events/namespace_pb.js";
import { file_containerd_events_snapshot } from "@berth/gen/containerd/events/snapshot_pb.js";
import { file_containerd_events_task } from "@berth/gen/containerd/events/task_pb.js";
import { file_containerd_runc_v1_options } from "@berth/gen/containerd/runc/v1/options_pb.js";
import { file_runtimeoptions_v1_api } from "@berth/gen/runtimeoptions/v1/api_pb.js";
import { createRegistry, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import { file_google_protobuf_wrappers } from "@bufbuild/protobuf/wkt";

/**
 * Files of the protobuf types that travel inside Anys: containerd's events
 * (Envelope.event) and the runtime options ctr, nerdctl and CRI clients attach
 * (Runtime.options). Reflection serves them too, so tools can decode those Anys.
 */
export const ANY_PAYLOAD_FILES: readonly DescFile[] = [
  file_containerd_events_container,
  file_containerd_events_content,
  file_containerd_events_image,
  file_containerd_events_namespace,
  file_containerd_events_snapshot,
  file_containerd_events_task,
  file_containerd_runc_v1_options,
  file_runtimeoptions_v1_api,
];

/** Every message of the served services, their imports, and {@link ANY_PAYLOAD_FILES}: what JSON can resolve. */
export function createPayloadRegistry(services: readonly DescService[]): Registry {
  return createRegistry(
    ...services.map((service) => service.file),
    ...ANY_PAYLOAD_FILES,
    file_google_protobuf_wrappers,
  );
}

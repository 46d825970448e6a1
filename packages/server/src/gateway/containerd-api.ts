import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Content } from "@berth/gen/containerd/services/content/v1/content_pb.js";
import { Diff } from "@berth/gen/containerd/services/diff/v1/diff_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Images } from "@berth/gen/containerd/services/images/v1/images_pb.js";
import { Introspection } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import { Leases } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { Snapshots } from "@berth/gen/containerd/services/snapshots/v1/snapshots_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import { Version } from "@berth/gen/containerd/services/version/v1/version_pb.js";
import { Health } from "@berth/gen/grpc/health/v1/health_pb.js";
import { ImageService, RuntimeService } from "@berth/gen/runtime/v1/api_pb.js";
import type { DescMethod, DescService } from "@bufbuild/protobuf";

/**
 * The gRPC services containerd 1.6 serves on its socket whose schema Berth
 * restates (proto/containerd, proto/runtime): what the gateway can translate
 * to and from JSON and describe through reflection. Calls of any other path
 * (CRI's v1alpha2, a containerd 2.x's newer services) are still forwarded,
 * as binary messages only.
 */
export const CONTAINERD_SERVICES: readonly DescService[] = [
  Containers,
  Content,
  Diff,
  Events,
  Images,
  Introspection,
  Leases,
  Namespaces,
  Snapshots,
  Tasks,
  Version,
  RuntimeService,
  ImageService,
  Health,
];

/** Each method of {@link CONTAINERD_SERVICES}, by its request path (`/package.Service/Method`). */
export const CONTAINERD_METHODS: ReadonlyMap<string, DescMethod> = new Map(
  CONTAINERD_SERVICES.flatMap((service) =>
    service.methods.map((method) => [`/${service.typeName}/${method.name}`, method] as const),
  ),
);

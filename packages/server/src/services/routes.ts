import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Leases } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import { Health } from "@berth/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Local } from "../local/index.js";
import { createContainersService } from "./containers.js";
import { createEventsService } from "./events.js";
import { createHealthService } from "./health.js";
import { createLeasesService } from "./leases.js";
import { createNamespacesService } from "./namespaces.js";
import { registerReflection } from "./reflection.js";
import { createTasksService } from "./tasks.js";

/** Every service berthd serves: containerd's, then gRPC's health and reflection. */
export const SERVED_SERVICES = [
  Containers,
  Namespaces,
  Leases,
  Events,
  Tasks,
  Health,
  ServerReflectionV1,
  ServerReflectionV1alpha,
] as const;

/** Options of {@link createRoutes}. */
export interface RoutesOptions {
  /** Aborted when berthd begins to shut down: health turns NOT_SERVING. */
  readonly shutdown?: AbortSignal;
}

/** Registers every service on a Connect router. */
export function createRoutes(dependencies: Local, options: RoutesOptions = {}): (router: ConnectRouter) => void {
  return (router) => {
    router.service(Containers, createContainersService(dependencies.containers));
    router.service(Namespaces, createNamespacesService(dependencies.namespaces));
    router.service(Leases, createLeasesService(dependencies.leases));
    router.service(Events, createEventsService(dependencies.events));
    router.service(Tasks, createTasksService(dependencies.containers));
    router.service(Health, createHealthService({ services: SERVED_SERVICES, ...options }));
    registerReflection(router, SERVED_SERVICES);
  };
}

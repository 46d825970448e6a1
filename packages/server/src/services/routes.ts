import { PagesService } from "@berth/gen/berth/containers/v1/pages_pb.js";
import { HistoryService } from "@berth/gen/berth/events/v1/history_pb.js";
import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Introspection } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import { Leases } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import { Version } from "@berth/gen/containerd/services/version/v1/version_pb.js";
import { Health } from "@berth/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createServiceImplSpec,
  type MethodImplSpec,
  type ServiceImplSpec,
} from "@connectrpc/connect";
import type { Local } from "../local/index.js";
import { createContainersService } from "./containers.js";
import { createEventsService } from "./events.js";
import { createHealthService } from "./health.js";
import { createHistoryService } from "./history.js";
import { createIntrospectionService } from "./introspection.js";
import { createLargeResponses } from "./large-responses.js";
import { createLeasesService } from "./leases.js";
import { createNamespacesService } from "./namespaces.js";
import { createPagesService } from "./pages.js";
import { registerReflection } from "./reflection.js";
import { createTasksService } from "./tasks.js";
import { createVersionService, type DaemonBuild } from "./version.js";

/** Every service berthd serves: containerd's, Berth's event history and pages, then gRPC's health and reflection. */
export const SERVED_SERVICES = [
  Containers,
  Namespaces,
  Leases,
  Events,
  Tasks,
  Introspection,
  Version,
  HistoryService,
  PagesService,
  Health,
  ServerReflectionV1,
  ServerReflectionV1alpha,
] as const;

/**
 * The methods of a served service that berthd routes: all of them, except for
 * Tasks, of which berthd serves only Get (it runs no tasks).
 */
export function servedMethods(service: DescService): readonly DescMethod[] {
  return service === Tasks ? service.methods.filter((method) => method.name === "Get") : service.methods;
}

/** Options of {@link createRoutes}. */
export interface RoutesOptions {
  /** Aborted when berthd begins to shut down: health turns NOT_SERVING. */
  readonly shutdown?: AbortSignal;
  /** Large unary answers gathered at once (default 4). */
  readonly concurrentLargeResponses?: number;
  /** Largest message berthd sends (default 16 MiB, containerd's): a List stops building its answer past it. */
  readonly maxMessageBytes?: number;
  /** Why the store refuses writes now, for health's `berth.store.writes`. */
  readonly writeFailure?: () => string | undefined;
  /** What Version reports (default "unknown" for both). */
  readonly build?: DaemonBuild;
}

/**
 * Every service's implementation except reflection (which {@link createRoutes}
 * registers), as specs that pair each method's descriptor with its function.
 */
export function createServiceImplementations(
  dependencies: Local,
  options: RoutesOptions = {},
): readonly ServiceImplSpec[] {
  return [
    createServiceImplSpec<typeof Containers>(
      Containers,
      createContainersService(
        dependencies.containers,
        createLargeResponses(options.concurrentLargeResponses),
        options.maxMessageBytes,
      ),
    ),
    createServiceImplSpec<typeof Namespaces>(Namespaces, createNamespacesService(dependencies.namespaces)),
    createServiceImplSpec<typeof Leases>(Leases, createLeasesService(dependencies.leases)),
    createServiceImplSpec<typeof Events>(Events, createEventsService(dependencies.events)),
    routedOnly(createServiceImplSpec<typeof Tasks>(Tasks, createTasksService(dependencies.containers))),
    createServiceImplSpec<typeof Introspection>(Introspection, createIntrospectionService(dependencies.introspection)),
    createServiceImplSpec<typeof HistoryService>(HistoryService, createHistoryService(dependencies.history)),
    createServiceImplSpec<typeof PagesService>(PagesService, createPagesService(dependencies.containers)),
    createServiceImplSpec<typeof Version>(
      Version,
      createVersionService(options.build ?? { version: "unknown", revision: "unknown" }),
    ),
    createServiceImplSpec<typeof Health>(
      Health,
      createHealthService({
        services: SERVED_SERVICES,
        ...(options.shutdown === undefined ? {} : { shutdown: options.shutdown }),
        ...(options.writeFailure === undefined ? {} : { writeFailure: options.writeFailure }),
      }),
    ),
  ];
}

/**
 * The spec of the methods {@link servedMethods} names, and no others: the rest
 * are not routed at all and answer grpc-go's "unknown method", as on a
 * containerd that lacks them, instead of Connect's "not implemented".
 */
function routedOnly(spec: ServiceImplSpec): ServiceImplSpec {
  const served = new Set(servedMethods(spec.service).map((method) => method.localName));
  return { ...spec, methods: Object.fromEntries(Object.entries(spec.methods).filter(([name]) => served.has(name))) };
}

/** Registers the implementations and gRPC reflection on a Connect router. */
export function createRoutes(implementations: readonly ServiceImplSpec[]): (router: ConnectRouter) => void {
  return (router) => {
    for (const spec of implementations) {
      for (const method of Object.values(spec.methods)) registerMethod(router, method);
    }
    registerReflection(router, SERVED_SERVICES);
  };
}

function registerMethod(router: ConnectRouter, spec: MethodImplSpec): void {
  switch (spec.kind) {
    case "unary":
      router.rpc(spec.method, spec.impl);
      break;
    case "server_streaming":
      router.rpc(spec.method, spec.impl);
      break;
    case "client_streaming":
      router.rpc(spec.method, spec.impl);
      break;
    case "bidi_streaming":
      router.rpc(spec.method, spec.impl);
      break;
  }
}

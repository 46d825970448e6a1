import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Leases } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Local } from "../local/index.js";
import { createContainersService } from "./containers.js";
import { createEventsService } from "./events.js";
import { createLeasesService } from "./leases.js";
import { createNamespacesService } from "./namespaces.js";
import { createTasksService } from "./tasks.js";


/** containerd's services that berthd serves. */
export const CONTAINERD_SERVICES = [Containers, Namespaces, Leases, Events, Tasks] as const;

/** Registers every service on a Connect router. */
export function createRoutes(dependencies: Local): (router: ConnectRouter) => void {
  return (router) => {
    router.service(Containers, createContainersService(dependencies.containers));
    router.service(Namespaces, createNamespacesService(dependencies.namespaces));
    router.service(Leases, createLeasesService(dependencies.leases));
    router.service(Events, createEventsService(dependencies.events));
    router.service(Tasks, createTasksService(dependencies.containers));
  };
}

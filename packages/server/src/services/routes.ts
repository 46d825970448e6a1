import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { ConnectRouter } from "@connectrpc/connect";
import type { ContainersLocal } from "../local/containers.js";
import { createContainersService } from "./containers.js";

/** What the services are built from. */
export interface ServiceDependencies {
  readonly containers: ContainersLocal;
}

/** Registers every service on a Connect router. */
export function createRoutes(dependencies: ServiceDependencies): (router: ConnectRouter) => void {
  return (router) => {
    router.service(Containers, createContainersService(dependencies.containers));
  };
}

import type { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ContainersLocal } from "../local/containers.js";
import { getTask } from "../local/tasks.js";
import { requestNamespaceKey } from "./context.js";

/**
 * The part of `containerd.services.tasks.v1.Tasks` that container clients need:
 * Get, always "no task" (berthd runs none); the other methods answer Unimplemented.
 */
export function createTasksService(containers: ContainersLocal): Partial<ServiceImpl<typeof Tasks>> {
  return {
    get(request, context) {
      return getTask(containers, context.values.get(requestNamespaceKey), request.containerId);
    },
  };
}

import { plainError } from "../errdefs.js";
import type { ContainersLocal } from "./containers.js";
import type { RequestNamespace } from "./namespace.js";

/**
 * Tasks.Get as containerd answers it for a container with no running task:
 * berthd runs nothing, so every existing container has no task. ctr and the Go
 * client call it before deleting a container and treat any error as "no task".
 */
export async function getTask(
  containers: ContainersLocal,
  namespace: RequestNamespace,
  containerId: string,
): Promise<never> {
  await containers.get(namespace, containerId);
  throw plainError("not found", `task ${containerId} not found`);
}

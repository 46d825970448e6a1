/**
 * Keeps a {@link TaskStore} equal to containerd's tasks in one namespace:
 * a full listing after each (re)connection, then one Get per container a
 * `/tasks/*` event names. A server without a tasks service (standalone
 * berthd) marks the store unsupported, once, and is not asked again.
 */
import { type BerthClient, Code, ConnectError } from "@berth/client";
import {
  TaskCheckpointedSchema,
  TaskCreateSchema,
  TaskDeleteSchema,
  TaskExecAddedSchema,
  TaskExecStartedSchema,
  TaskExitSchema,
  TaskOOMSchema,
  TaskPausedSchema,
  TaskResumedSchema,
  TaskStartSchema,
} from "@berth/gen/containerd/events/task_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import type { TaskStore } from "../model/task-store.js";
import { hasServicePlugin } from "./capabilities.js";

/** containerd's task topics and their payloads (each names its container in field 1). */
const TASK_EVENTS: Record<string, DescMessage> = {
  "/tasks/create": TaskCreateSchema,
  "/tasks/start": TaskStartSchema,
  "/tasks/delete": TaskDeleteSchema,
  "/tasks/exit": TaskExitSchema,
  "/tasks/oom": TaskOOMSchema,
  "/tasks/exec-added": TaskExecAddedSchema,
  "/tasks/exec-started": TaskExecStartedSchema,
  "/tasks/paused": TaskPausedSchema,
  "/tasks/resumed": TaskResumedSchema,
  "/tasks/checkpointed": TaskCheckpointedSchema,
};

/** The container a `/tasks/*` envelope is about; `undefined` for other topics and undecodable payloads. */
export function taskContainerId(envelope: Pick<Envelope, "topic" | "event">): string | undefined {
  const schema = TASK_EVENTS[envelope.topic];
  const value = envelope.event?.value;
  if (schema === undefined || value === undefined) return undefined;
  try {
    const id = (fromBinary(schema, value) as { containerId?: unknown }).containerId;
    return typeof id === "string" && id !== "" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The tracker of one namespace's tasks. */
export interface TaskTracker {
  /** Lists every task again; throws only when the connection failed. */
  listAll(signal: AbortSignal): Promise<void>;
  /** A task event named this container: fetch its task again. */
  changed(containerId: string, signal: AbortSignal): Promise<void>;
}

/** Creates the tracker over a client of the namespace. */
export function createTaskTracker(client: BerthClient, store: TaskStore): TaskTracker {
  const unsupported = (error: unknown) => error instanceof ConnectError && error.code === Code.Unimplemented;
  // One Get at a time per container, so that an older answer never lands after a newer one.
  const queued = new Map<string, Promise<void>>();
  const fetchTask = async (containerId: string, signal: AbortSignal) => {
    if (store.supported === false || signal.aborted) return;
    try {
      const { process } = await client.tasks.get({ containerId }, { signal });
      if (!signal.aborted) store.set(containerId, process);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) store.set(containerId, undefined);
      else if (unsupported(error)) store.markUnsupported();
      else throw error;
    }
  };
  return {
    async listAll(signal) {
      if (store.supported === undefined && !(await hasServicePlugin(client, "tasks-service", signal))) {
        store.markUnsupported();
      }
      if (store.supported === false) return;
      try {
        const { tasks } = await client.tasks.list({}, { signal });
        if (!signal.aborted) store.replaceAll(tasks);
      } catch (error) {
        if (!unsupported(error)) throw error;
        store.markUnsupported();
      }
    },
    changed(containerId, signal) {
      const next = (queued.get(containerId) ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => fetchTask(containerId, signal));
      queued.set(containerId, next);
      const forget = () => {
        if (queued.get(containerId) === next) queued.delete(containerId);
      };
      next.then(forget, forget);
      return next;
    },
  };
}

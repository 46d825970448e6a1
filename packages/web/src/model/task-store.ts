/**
 * The tasks (running processes) of the current namespace's containers, as a
 * containerd behind berthd reports them. Standalone berthd runs no tasks:
 * there the store stays `supported === false` and the app shows no task column.
 */
import { type Process, Status } from "@berth/gen/containerd/types/task/task_pb.js";

/** Container id → its task (the init process), with change notification. */
export interface TaskStore {
  /** Whether the server has tasks at all; `undefined` until it answered once. */
  readonly supported: boolean | undefined;
  /** Bumped on every change. */
  readonly version: number;
  /** The task of a container, or undefined when it has none. */
  get(containerId: string): Process | undefined;
  /** Replaces every task with a full listing. */
  replaceAll(tasks: readonly Process[]): void;
  /** Sets (or, with `undefined`, removes) the task of one container. */
  set(containerId: string, task: Process | undefined): void;
  /** Records that the server runs no tasks. */
  markUnsupported(): void;
  /** Forgets everything (another namespace). */
  clear(): void;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Creates an empty store. */
export function createTaskStore(): TaskStore {
  let tasks = new Map<string, Process>();
  let supported: boolean | undefined;
  let version = 0;
  const listeners = new Set<() => void>();
  const changed = () => {
    version++;
    for (const listener of listeners) listener();
  };
  return {
    get supported() {
      return supported;
    },
    get version() {
      return version;
    },
    get: (containerId) => tasks.get(containerId),
    replaceAll(listed) {
      supported = true;
      tasks = new Map(listed.map((task) => [task.containerId || task.id, task]));
      changed();
    },
    set(containerId, task) {
      supported = true;
      if (task === undefined) tasks.delete(containerId);
      else tasks.set(containerId, task);
      changed();
    },
    markUnsupported() {
      if (supported === false) return;
      supported = false;
      tasks.clear();
      changed();
    },
    clear() {
      if (tasks.size === 0) return;
      tasks = new Map();
      changed();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A task's state as ctr prints it: RUNNING, STOPPED, PAUSED, … */
export function taskStatusName(task: Process): string {
  return Status[task.status] ?? "UNKNOWN";
}

/** Whether a task still runs (or is paused): it must be killed before its container can go. */
export function taskIsLive(task: Process | undefined): boolean {
  return task !== undefined && task.status !== Status.STOPPED && task.status !== Status.UNKNOWN;
}

/** One line about a task: `RUNNING · pid 4242`, `STOPPED · exit 137`. */
export function describeTask(task: Process): string {
  const status = taskStatusName(task);
  if (task.status === Status.STOPPED) return `${status} · exit ${task.exitStatus}`;
  return task.pid > 0 ? `${status} · pid ${task.pid}` : status;
}

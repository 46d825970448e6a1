/**
 * What the app asks a containerd behind berthd to do with a container's task,
 * the way ctr and containerd's Go client do it.
 */
import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { type Process, Status } from "@berth/gen/containerd/types/task/task_pb.js";

/** The signals the kill dialog offers, by number. */
export const SIGNALS = { SIGTERM: 15, SIGKILL: 9 } as const;

/** The name of one of {@link SIGNALS}. */
export type SignalName = keyof typeof SIGNALS;

/**
 * Starts the container's task (`ctr task start -d`): a stopped task of it is
 * deleted first; the rootfs is the container's snapshot's mounts; stdio goes
 * nowhere (the task runs detached).
 */
export async function startTask(
  client: BerthClient,
  container: Container,
  current: Process | undefined,
): Promise<void> {
  if (current?.status === Status.STOPPED || current?.status === Status.CREATED) {
    await ignoreNotFound(client.tasks.delete({ containerId: container.id }));
  }
  const rootfs =
    container.snapshotKey === ""
      ? []
      : (await client.snapshots.mounts({ snapshotter: container.snapshotter, key: container.snapshotKey })).mounts;
  await client.tasks.create({ containerId: container.id, rootfs });
  await client.tasks.start({ containerId: container.id });
}

/** Sends `signal` to the task's every process (`ctr task kill -a`). */
export async function killTask(client: BerthClient, containerId: string, signal: SignalName): Promise<void> {
  await client.tasks.kill({ containerId, signal: SIGNALS[signal], all: true });
}

/** Deletes a stopped task, keeping its exit status in containerd's events (`ctr task rm`). */
export async function deleteTask(client: BerthClient, containerId: string): Promise<void> {
  await ignoreNotFound(client.tasks.delete({ containerId }));
}

/**
 * Deletes a container as `ctr container rm` does where tasks exist: its
 * stopped task first, then the record, then its snapshot. A live task must be
 * killed first: containerd's clients refuse, and so does this.
 */
export async function deleteContainer(
  client: BerthClient,
  container: Container | undefined,
  id: string,
  task: Process | undefined,
  tasksSupported: boolean,
): Promise<void> {
  if (task !== undefined && task.status !== Status.STOPPED) {
    throw new Error(`cannot delete a non stopped container: its task is ${Status[task.status]}`);
  }
  if (task !== undefined) await deleteTask(client, id);
  await client.containers.delete({ id });
  if (tasksSupported && container !== undefined && container.snapshotKey !== "") {
    await ignoreNotFound(client.snapshots.remove({ snapshotter: container.snapshotter, key: container.snapshotKey }));
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ConnectError && error.code === Code.NotFound)) throw error;
  }
}

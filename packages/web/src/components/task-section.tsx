import type { BerthClient } from "@berth/client";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { type Process, Status } from "@berth/gen/containerd/types/task/task_pb.js";
import { useState } from "preact/hooks";
import { startTask } from "../live/task-actions.js";
import { errorMessage } from "../model/errors.js";
import { formatAbsolute } from "../model/relative-time.js";
import { taskStatusName } from "../model/task-store.js";
import { FormError } from "./form-error.js";
import { KeyValueList } from "./key-value-list.js";

/** Props of {@link TaskSection}. */
export interface TaskSectionProps {
  /** Client of the container's namespace. */
  readonly client: BerthClient;
  readonly container: Container;
  readonly task: Process | undefined;
  /** Opens the kill confirmation. */
  readonly onKill: () => void;
  /** Opens the delete-task confirmation. */
  readonly onDeleteTask: () => void;
}

/**
 * The container's task in the details pane: its state, pid and exit status,
 * and the actions that fit it — Start without a running task, Kill… while it
 * runs, Delete task… once it stopped. The state shown follows containerd's
 * events, so it changes when the action has taken effect.
 */
export function TaskSection({ client, container, task, onKill, onDeleteTask }: TaskSectionProps) {
  const [error, setError] = useState<string | undefined>();
  const [starting, setStarting] = useState(false);
  const stopped = task === undefined || task.status === Status.STOPPED || task.status === Status.CREATED;
  const start = async () => {
    setStarting(true);
    setError(undefined);
    try {
      await startTask(client, container, task);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setStarting(false);
    }
  };
  const entries: [string, string][] =
    task === undefined
      ? []
      : [
          ["Status", taskStatusName(task)],
          ["PID", task.pid > 0 ? String(task.pid) : "—"],
          ...(task.status === Status.STOPPED
            ? ([
                ["Exit status", String(task.exitStatus)],
                ["Exited", formatAbsolute(task.exitedAt)],
              ] as [string, string][])
            : []),
        ];
  return (
    <section aria-labelledby="details-task">
      <h3 id="details-task">Task</h3>
      <KeyValueList entries={entries} empty="No task" />
      <div class="details-actions">
        {stopped && (
          <button type="button" class="button button-primary" disabled={starting} onClick={() => void start()}>
            {starting ? "Starting…" : "Start"}
          </button>
        )}
        {!stopped && (
          <button type="button" class="button button-danger" onClick={onKill}>
            Kill…
          </button>
        )}
        {task?.status === Status.STOPPED && (
          <button type="button" class="button" onClick={onDeleteTask}>
            Delete task…
          </button>
        )}
      </div>
      <FormError id="task-error" message={error} />
    </section>
  );
}

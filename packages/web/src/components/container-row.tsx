import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Process } from "@berth/gen/containerd/types/task/task_pb.js";
import { summarizeLabels } from "../model/labels.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";
import { describeTask, taskStatusName } from "../model/task-store.js";

/** Height of every row in px; the table's virtual scrolling depends on it (see styles.css). */
export const ROW_HEIGHT = 36;

/** DOM id of a container's row, for `aria-activedescendant`. */
export function rowDomId(id: string): string {
  return `row-${id}`;
}

/** Props of {@link ContainerRow}. */
export interface ContainerRowProps {
  readonly container: Container;
  /** 0-based position in the whole list. */
  readonly index: number;
  readonly now: number;
  readonly active: boolean;
  /** Its details are open. */
  readonly open: boolean;
  /** Picked for a bulk action. */
  readonly checked: boolean;
  readonly onOpen: (id: string) => void;
  readonly onCheck: (id: string, checked: boolean) => void;
  /** The Task column: absent where the server runs no tasks; `null` for a container without one. */
  readonly task?: Process | null;
}

/** One row of the container table, placed at its offset in the scrolled list. */
export function ContainerRow({
  container,
  index,
  now,
  active,
  open,
  checked,
  onOpen,
  onCheck,
  task,
}: ContainerRowProps) {
  const labels = summarizeLabels(container.labels);
  const runtime = container.runtime?.name ?? "";
  return (
    // Keys reach rows through the grid (aria-activedescendant, Enter opens, Space picks), not through each row.
    <tr
      id={rowDomId(container.id)}
      class={`grid-row grid-item${task === undefined ? "" : " with-task"}${active ? " active" : ""}${open ? " open" : ""}`}
      aria-rowindex={index + 2}
      aria-selected={checked}
      aria-current={open ? "true" : undefined}
      style={{ transform: `translateY(${index * ROW_HEIGHT}px)` }}
      onClick={() => onOpen(container.id)}
    >
      <td class="cell cell-check">
        <input
          type="checkbox"
          tabIndex={-1}
          checked={checked}
          aria-label={`Select ${container.id}`}
          onClick={(event) => event.stopPropagation()}
          onChange={(event) => onCheck(container.id, event.currentTarget.checked)}
        />
      </td>
      <td class="cell cell-id" title={container.id}>
        {container.id}
      </td>
      {task !== undefined && (
        <td class="cell cell-task" data-status={task === null ? "NONE" : taskStatusName(task)}>
          {task === null ? <span class="muted">—</span> : describeTask(task)}
        </td>
      )}
      <td class="cell cell-image" title={container.image}>
        {container.image || <span class="muted">—</span>}
      </td>
      <td class="cell cell-runtime" title={runtime}>
        {runtime}
      </td>
      <td class="cell cell-labels" title={labels}>
        {labels}
      </td>
      <td class="cell cell-created" title={formatAbsolute(container.createdAt)}>
        {formatRelative(container.createdAt, now)}
      </td>
      <td class="cell cell-updated" title={formatAbsolute(container.updatedAt)}>
        {formatRelative(container.updatedAt, now)}
      </td>
    </tr>
  );
}

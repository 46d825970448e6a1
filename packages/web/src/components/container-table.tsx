import type { JSX, TargetedKeyboardEvent } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ContainerColumn, RowList } from "../model/container-rows.js";
import { parseSort } from "../model/route.js";
import type { TaskStore } from "../model/task-store.js";
import { ContainerRow, ROW_HEIGHT, rowDomId } from "./container-row.js";

/** Props of {@link ContainerTable}. */
export interface ContainerTableProps {
  /** The rows to show, already searched and sorted. */
  readonly rows: RowList;
  /** Changes whenever the rows' content may have changed: re-renders the visible rows. */
  readonly version: number;
  readonly now: number;
  readonly loading: boolean;
  /** The container whose details are open. */
  readonly openId: string | undefined;
  readonly onOpen: (id: string) => void;
  /** The `sort=` value, and what a header click asks for. */
  readonly sort: string;
  readonly onSort: (column: ContainerColumn) => void;
  /** Containers picked for bulk actions. */
  readonly checked: ReadonlySet<string>;
  readonly onCheck: (id: string, checked: boolean) => void;
  /** Picks (or unpicks) every row shown. */
  readonly onCheckAll: (checked: boolean) => void;
  /** The namespace's tasks: a Task column once the server turns out to run them. */
  readonly tasks?: TaskStore;
  /** The task store's version: a new value re-renders the visible rows. */
  readonly tasksVersion?: number;
}

/** Rows rendered beyond each edge of the viewport. */
const OVERSCAN = 6;

const COLUMNS: readonly { key: ContainerColumn; label: string; task?: true }[] = [
  { key: "id", label: "ID" },
  { key: "task", label: "Task", task: true },
  { key: "image", label: "Image" },
  { key: "runtime", label: "Runtime" },
  { key: "labels", label: "Labels" },
  { key: "created", label: "Created" },
  { key: "updated", label: "Updated" },
];

/**
 * The containers as a table (ARIA grid) that renders only the rows in view,
 * so 100,000 containers cost as much as 30: the body is as tall as all rows,
 * and each rendered row is moved to its place with a CSS transform. The grid
 * itself takes focus and marks its active row with `aria-activedescendant`:
 * arrows, Page Up/Down, Home/End move it; Enter opens its details, Space picks
 * it for a bulk action. A header button sorts by its column.
 */
export function ContainerTable(props: ContainerTableProps) {
  const { rows, now, loading, openId, onOpen, tasks, checked } = props;
  const showTasks = tasks?.supported === true;
  const columns = COLUMNS.filter((column) => showTasks || column.task !== true);
  const order = parseSort(props.sort);
  const scroller = useRef<HTMLTableElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [activeId, setActiveId] = useState<string | undefined>();

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight));
    observer.observe(element);
    setViewport(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  const size = rows.size;
  const activeIndex = activeId === undefined ? -1 : rows.indexOf(activeId);
  const lastActiveIndex = useRef(-1);
  if (activeIndex >= 0) lastActiveIndex.current = activeIndex;

  // The active container went away: the cursor moves to the row that took its place.
  useEffect(() => {
    if (activeId === undefined || activeIndex >= 0) return;
    setActiveId(rows.at(Math.min(lastActiveIndex.current, rows.size - 1))?.id);
  }, [activeId, activeIndex, rows]);

  const moveTo = (index: number) => {
    const target = rows.at(Math.max(0, Math.min(size - 1, index)));
    if (target === undefined) return;
    setActiveId(target.id);
    const element = scroller.current;
    if (element === null) return;
    const top = rows.indexOf(target.id) * ROW_HEIGHT;
    const bodyHeight = element.clientHeight - ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + bodyHeight) element.scrollTop = top + ROW_HEIGHT - bodyHeight;
  };

  const onKeyDown = (event: TargetedKeyboardEvent<HTMLTableElement>) => {
    if (event.target !== event.currentTarget) return; // keys of the header's buttons are theirs
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    const current = activeIndex < 0 ? -1 : activeIndex;
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: size - 1,
    };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      moveTo(current < 0 && event.key === "ArrowUp" ? 0 : target);
    } else if (event.key === "Enter" && activeId !== undefined && activeIndex >= 0) {
      event.preventDefault();
      onOpen(activeId);
    } else if (event.key === " " && activeId !== undefined && activeIndex >= 0) {
      event.preventDefault();
      props.onCheck(activeId, !checked.has(activeId));
    }
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(size, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const rendered: JSX.Element[] = [];
  let activeRendered = false;
  for (let index = first; index < last; index++) {
    const container = rows.at(index);
    if (container === undefined) continue;
    const active = index === activeIndex;
    activeRendered ||= active;
    rendered.push(
      <ContainerRow
        key={container.id}
        container={container}
        index={index}
        now={now}
        active={active}
        open={container.id === openId}
        checked={checked.has(container.id)}
        onCheck={props.onCheck}
        {...(showTasks ? { task: tasks?.get(container.id) ?? null } : {})}
        onOpen={(id) => {
          setActiveId(id);
          onOpen(id);
        }}
      />,
    );
  }
  const activeContainer = activeIndex >= 0 ? rows.at(activeIndex) : undefined;
  const allChecked = size > 0 && checked.size >= size && everyChecked(rows, checked);
  const rowClass = showTasks ? "grid-row with-task" : "grid-row";

  return (
    <table
      ref={scroller}
      id="containers-grid"
      class="grid"
      // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: ARIA in HTML allows role=grid on <table>, which aria-activedescendant needs
      role="grid"
      aria-label="Containers"
      aria-multiselectable="true"
      aria-rowcount={size + 1}
      aria-colcount={columns.length + 1}
      aria-busy={loading}
      aria-activedescendant={activeRendered && activeContainer ? rowDomId(activeContainer.id) : undefined}
      tabIndex={0}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      onFocus={(event) => {
        if (event.target === event.currentTarget && activeIndex < 0 && size > 0) {
          moveTo(Math.floor(scrollTop / ROW_HEIGHT));
        }
      }}
      onKeyDown={onKeyDown}
    >
      <thead class="grid-head">
        <tr class={rowClass} aria-rowindex={1}>
          <th class="cell cell-check" scope="col">
            <input
              type="checkbox"
              checked={allChecked}
              disabled={size === 0}
              aria-label={`Select all ${size.toLocaleString("en")} shown`}
              onChange={(event) => props.onCheckAll(event.currentTarget.checked)}
            />
          </th>
          {columns.map(({ key, label }) => {
            const sorted = order?.column === key || (order === undefined && key === "id");
            const direction = sorted ? (order?.descending === true ? "descending" : "ascending") : undefined;
            return (
              <th key={key} class={`cell cell-${key}`} scope="col" aria-sort={direction ?? "none"}>
                <button type="button" class="sort-button" onClick={() => props.onSort(key)}>
                  {label}
                  <span class="sort-mark" aria-hidden="true">
                    {direction === "ascending" ? "▲" : direction === "descending" ? "▼" : ""}
                  </span>
                </button>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody class="grid-body" style={{ height: `${size * ROW_HEIGHT}px` }}>
        {rendered}
      </tbody>
    </table>
  );
}

function everyChecked(rows: RowList, checked: ReadonlySet<string>): boolean {
  for (let index = 0; index < rows.size; index++) {
    if (!checked.has(rows.at(index)?.id ?? "")) return false;
  }
  return true;
}

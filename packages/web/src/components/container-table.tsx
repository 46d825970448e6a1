import type { JSX, TargetedKeyboardEvent } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { ContainerStore } from "../model/container-store.js";
import type { TaskStore } from "../model/task-store.js";
import { ContainerRow, ROW_HEIGHT, rowDomId } from "./container-row.js";

/** Props of {@link ContainerTable}. */
export interface ContainerTableProps {
  readonly store: ContainerStore;
  /** The store's version: a new value re-renders the visible rows. */
  readonly version: number;
  readonly now: number;
  readonly loading: boolean;
  /** The container whose details are open. */
  readonly selectedId: string | undefined;
  readonly onOpen: (id: string) => void;
  /** The namespace's tasks: a Task column once the server turns out to run them. */
  readonly tasks?: TaskStore;
  /** The task store's version: a new value re-renders the visible rows. */
  readonly tasksVersion?: number;
}

/** Rows rendered beyond each edge of the viewport. */
const OVERSCAN = 6;
const COLUMNS = ["ID", "Image", "Runtime", "Labels", "Created", "Updated"];
const COLUMNS_WITH_TASK = ["ID", "Task", "Image", "Runtime", "Labels", "Created", "Updated"];

/**
 * The containers as a table (ARIA grid) that renders only the rows in view,
 * so 10,000 containers cost as much as 30: the body is as tall as all rows,
 * and each rendered row is moved to its place with a CSS transform. The grid
 * itself takes focus and marks its active row with `aria-activedescendant`:
 * arrows, Page Up/Down, Home/End move it; Enter or Space opens its details.
 */
export function ContainerTable({ store, now, loading, selectedId, onOpen, tasks }: ContainerTableProps) {
  const showTasks = tasks?.supported === true;
  const columns = showTasks ? COLUMNS_WITH_TASK : COLUMNS;
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

  const size = store.size;
  const activeIndex = activeId === undefined ? -1 : store.indexOf(activeId);
  const lastActiveIndex = useRef(-1);
  if (activeIndex >= 0) lastActiveIndex.current = activeIndex;

  // The active container went away: the cursor moves to the row that took its place.
  useEffect(() => {
    if (activeId === undefined || activeIndex >= 0) return;
    setActiveId(store.at(Math.min(lastActiveIndex.current, store.size - 1))?.id);
  }, [activeId, activeIndex, store]);

  const moveTo = (index: number) => {
    const target = store.at(Math.max(0, Math.min(size - 1, index)));
    if (target === undefined) return;
    setActiveId(target.id);
    const element = scroller.current;
    if (element === null) return;
    const position = store.indexOf(target.id);
    const top = position * ROW_HEIGHT;
    const bodyHeight = element.clientHeight - ROW_HEIGHT;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + ROW_HEIGHT > element.scrollTop + bodyHeight) element.scrollTop = top + ROW_HEIGHT - bodyHeight;
  };

  const onKeyDown = (event: TargetedKeyboardEvent<HTMLTableElement>) => {
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
    } else if ((event.key === "Enter" || event.key === " ") && activeId !== undefined && activeIndex >= 0) {
      event.preventDefault();
      onOpen(activeId);
    }
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(size, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const rows: JSX.Element[] = [];
  let activeRendered = false;
  for (let index = first; index < last; index++) {
    const container = store.at(index);
    if (container === undefined) continue;
    const active = index === activeIndex;
    activeRendered ||= active;
    rows.push(
      <ContainerRow
        key={container.id}
        container={container}
        index={index}
        now={now}
        active={active}
        selected={container.id === selectedId}
        {...(showTasks ? { task: tasks?.get(container.id) ?? null } : {})}
        onOpen={(id) => {
          setActiveId(id);
          onOpen(id);
        }}
      />,
    );
  }
  const activeContainer = activeIndex >= 0 ? store.at(activeIndex) : undefined;

  return (
    <table
      ref={scroller}
      id="containers-grid"
      class="grid"
      // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: ARIA in HTML allows role=grid on <table>, which aria-activedescendant needs
      role="grid"
      aria-label="Containers"
      aria-rowcount={size + 1}
      aria-colcount={columns.length}
      aria-busy={loading}
      aria-activedescendant={activeRendered && activeContainer ? rowDomId(activeContainer.id) : undefined}
      tabIndex={0}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
      onFocus={() => {
        if (activeIndex < 0 && size > 0) moveTo(Math.floor(scrollTop / ROW_HEIGHT));
      }}
      onKeyDown={onKeyDown}
    >
      <thead class="grid-head">
        <tr class={showTasks ? "grid-row with-task" : "grid-row"} aria-rowindex={1}>
          {columns.map((name) => (
            <th key={name} class="cell" scope="col">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody class="grid-body" style={{ height: `${size * ROW_HEIGHT}px` }}>
        {rows}
      </tbody>
    </table>
  );
}

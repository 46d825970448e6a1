/**
 * The rows the container table shows: the store's containers narrowed by the
 * quick search and put in the chosen column's order. With neither, the store
 * itself is the row list (id order, no copy), which is what a 100,000-row
 * listing needs while it streams in.
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { Process } from "@berth/gen/containerd/types/task/task_pb.js";
import type { ContainerStore } from "./container-store.js";
import { compareTimestamps } from "./container-store.js";
import { summarizeLabels } from "./labels.js";
import { parseSort } from "./route.js";
import { describeTask } from "./task-store.js";

/** The columns a click can sort by, as the `sort=` parameter names them. */
export const SORTABLE_COLUMNS = ["id", "task", "image", "runtime", "labels", "created", "updated"] as const;

/** One of {@link SORTABLE_COLUMNS}. */
export type ContainerColumn = (typeof SORTABLE_COLUMNS)[number];

/** Indexed rows, as the virtualised table reads them. */
export interface RowList {
  readonly size: number;
  at(index: number): Container | undefined;
  indexOf(id: string): number;
}

/** Whether a container matches the quick search: id, image or any `key=value` label, case-insensitively. */
export function matchesSearch(container: Container, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (needle === "") return true;
  if (container.id.toLowerCase().includes(needle) || container.image.toLowerCase().includes(needle)) return true;
  for (const [key, value] of Object.entries(container.labels)) {
    if (`${key}=${value}`.toLowerCase().includes(needle)) return true;
  }
  return false;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Orders two containers by `column`; ties fall back to id order so the result is stable. */
function comparator(
  column: ContainerColumn,
  task: (id: string) => Process | undefined,
): (a: Container, b: Container) => number {
  switch (column) {
    case "image":
      return (a, b) => byString(a.image, b.image);
    case "runtime":
      return (a, b) => byString(a.runtime?.name ?? "", b.runtime?.name ?? "");
    case "labels":
      return (a, b) => byString(summarizeLabels(a.labels), summarizeLabels(b.labels));
    case "created":
      return (a, b) => compareTimestamps(a.createdAt, b.createdAt);
    case "updated":
      return (a, b) => compareTimestamps(a.updatedAt, b.updatedAt);
    case "task":
      return (a, b) => byString(describeOrEmpty(task(a.id)), describeOrEmpty(task(b.id)));
    default:
      return () => 0;
  }
}

function describeOrEmpty(process: Process | undefined): string {
  return process === undefined ? "" : describeTask(process);
}

/**
 * The rows for a search and a `sort=` value. `task` looks up the Task
 * column's value; an unknown column sorts by id.
 */
export function containerRows(
  store: ContainerStore,
  search: string,
  sort: string,
  task: (id: string) => Process | undefined = () => undefined,
): RowList {
  const order = parseSort(sort);
  const column = (SORTABLE_COLUMNS as readonly string[]).includes(order?.column ?? "")
    ? (order?.column as ContainerColumn)
    : "id";
  const descending = order?.descending === true && (SORTABLE_COLUMNS as readonly string[]).includes(order.column);
  if (search.trim() === "" && column === "id" && !descending) return store;
  const rows: Container[] = [];
  for (let index = 0; index < store.size; index++) {
    const container = store.at(index) as Container;
    if (matchesSearch(container, search)) rows.push(container);
  }
  if (column !== "id") {
    const compare = comparator(column, task);
    // The store is in id order and Array#sort is stable: ties stay in id order.
    rows.sort(descending ? (a, b) => compare(b, a) : compare);
  } else if (descending) {
    rows.reverse();
  }
  let positions: Map<string, number> | undefined;
  return {
    size: rows.length,
    at: (index) => rows[index],
    indexOf(id) {
      positions ??= new Map(rows.map((container, index) => [container.id, index]));
      return positions.get(id) ?? -1;
    },
  };
}

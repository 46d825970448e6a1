/**
 * Where the app is, as the URL's hash: `#/containers?ns=default&filter=…&q=…&sort=-created&id=c1`.
 * Every view has its own address, so reload, back/forward and a pasted link
 * land on the same view, namespace, filter, sort and selection.
 */

/** The app's views, in navigation order. */
export const VIEWS = ["containers", "namespaces", "leases", "events", "images"] as const;

/** One of {@link VIEWS}. */
export type ViewName = (typeof VIEWS)[number];

/** What the URL says. Empty strings mean "not set". */
export interface Route {
  readonly view: ViewName;
  /** The namespace of the namespaced views (`ns=`). */
  readonly namespace: string;
  /** A filter in containerd's syntax (`filter=`): containers and events. */
  readonly filter: string;
  /** The quick search over the loaded rows (`q=`). */
  readonly search: string;
  /** A column key, `-` first for descending (`sort=-created`); empty for the view's own order. */
  readonly sort: string;
  /** The selected item (`id=`): a container or a lease. */
  readonly id: string;
}

const PARAMS: Record<Exclude<keyof Route, "view">, string> = {
  namespace: "ns",
  filter: "filter",
  search: "q",
  sort: "sort",
  id: "id",
};

/** Reads a hash such as `#/leases?ns=x`; unknown views open Containers, a missing `ns` is `fallbackNamespace`. */
export function parseRoute(hash: string, fallbackNamespace: string): Route {
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  const question = text.indexOf("?");
  const path = (question < 0 ? text : text.slice(0, question)).replace(/^\/+|\/+$/g, "");
  const params = new URLSearchParams(question < 0 ? "" : text.slice(question + 1));
  const view = (VIEWS as readonly string[]).includes(path) ? (path as ViewName) : "containers";
  return {
    view,
    namespace: params.get(PARAMS.namespace) || fallbackNamespace,
    filter: params.get(PARAMS.filter) ?? "",
    search: params.get(PARAMS.search) ?? "",
    sort: params.get(PARAMS.sort) ?? "",
    id: params.get(PARAMS.id) ?? "",
  };
}

/** The hash for a route; empty parameters are left out. */
export function formatRoute(route: Route): string {
  const params = new URLSearchParams();
  for (const [key, name] of Object.entries(PARAMS) as [keyof typeof PARAMS, string][]) {
    if (route[key] !== "") params.set(name, route[key]);
  }
  const query = params.toString();
  return `#/${route.view}${query === "" ? "" : `?${query}`}`;
}

/** A sort parameter read as column and direction. */
export interface SortOrder {
  readonly column: string;
  readonly descending: boolean;
}

/** `-created` → created, descending; empty → undefined. */
export function parseSort(sort: string): SortOrder | undefined {
  if (sort === "" || sort === "-") return undefined;
  return sort.startsWith("-") ? { column: sort.slice(1), descending: true } : { column: sort, descending: false };
}

/** The sort after a click on `column`'s header: ascending first, then descending. */
export function nextSort(current: string, column: string): string {
  const order = parseSort(current);
  return order?.column === column && !order.descending ? `-${column}` : column;
}

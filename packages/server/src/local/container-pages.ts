/**
 * Pages of containers (berth.containers.v1.PagesService): containers in id
 * order after a position, the position carried by an opaque token. A token
 * names the last id of its page and a digest of the filters it was made for,
 * so a page always starts strictly after an id (writes meanwhile move no
 * container into or out of a page already sent, nor repeat one) and a token
 * cannot be replayed against other filters.
 */
import { invalidArgument } from "../errdefs.js";
import type { StoredContainer } from "../store/stored-container.js";
import type { ContainersLocal } from "./containers.js";
import type { RequestNamespace } from "./namespace.js";

/** Containers per page when the request says 0. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest page: about 24 MiB of 2.4 KB specs would not fit a 16 MiB answer anyway. */
export const MAX_PAGE_SIZE = 10_000;

/** One page request. */
export interface PageQuery {
  readonly filters: readonly string[];
  readonly pageSize: number;
  readonly pageToken: string;
  /** An id to start after, instead of a token; empty for none. */
  readonly startAfter: string;
  readonly includeTotal: boolean;
}

/** One page. */
export interface Page {
  readonly containers: readonly StoredContainer[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
  readonly total: bigint | undefined;
}

/** Reads one page through the containers rules (filters, index, pacing). */
export async function listPage(
  containers: ContainersLocal,
  namespace: RequestNamespace,
  query: PageQuery,
  signal?: AbortSignal,
): Promise<Page> {
  if (query.pageSize > MAX_PAGE_SIZE) {
    throw invalidArgument(`page_size ${query.pageSize} is above the largest page, ${MAX_PAGE_SIZE}`);
  }
  const size = query.pageSize === 0 ? DEFAULT_PAGE_SIZE : query.pageSize;
  const digest = filtersDigest(query.filters);
  if (query.pageToken !== "" && query.startAfter !== "") {
    throw invalidArgument("page_token and start_after cannot both be set");
  }
  const after =
    query.pageToken !== ""
      ? readToken(query.pageToken, digest)
      : query.startAfter === ""
        ? undefined
        : query.startAfter;
  const page: StoredContainer[] = [];
  let more = false;
  const options = { ...(after === undefined ? {} : { after }), ...(signal === undefined ? {} : { signal }) };
  for await (const stored of containers.list(namespace, query.filters, options)) {
    if (page.length === size) {
      more = true;
      break;
    }
    page.push(stored);
  }
  const last = page.at(-1);
  return {
    containers: page,
    nextPageToken: more && last !== undefined ? makeToken(last.container.id, digest) : "",
    total: query.includeTotal ? BigInt(await containers.count(namespace, query.filters, signal)) : undefined,
  };
}

const TOKEN_VERSION = "p1";

function makeToken(lastId: string, digest: string): string {
  return Buffer.from(`${TOKEN_VERSION}:${digest}:${lastId}`, "utf8").toString("base64url");
}

function readToken(token: string, digest: string): string {
  const text = Buffer.from(token, "base64url").toString("utf8");
  const [version, madeFor, ...rest] = text.split(":");
  if (version !== TOKEN_VERSION || rest.length === 0 || Buffer.from(text, "utf8").toString("base64url") !== token) {
    throw invalidArgument(`page_token ${JSON.stringify(token)} is not a page token`);
  }
  if (madeFor !== digest) {
    throw invalidArgument(`page_token ${JSON.stringify(token)} was made for other filters`);
  }
  return rest.join(":");
}

/** FNV-1a (32 bits) of the filters: enough to catch a token sent with the wrong filters. */
function filtersDigest(filters: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(filters), "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

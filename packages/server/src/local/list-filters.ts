import { invalidArgument } from "../errdefs.js";
import { type Filter, FilterParseError, parseFilters } from "./filters/index.js";

/**
 * Parses the filters of a containers, leases or plugins List. A parse error becomes
 * InvalidArgument with containerd's doubled class suffix (`…: invalid argument: invalid argument`).
 * @returns undefined when the filters match everything (none, or any `""`)
 */
export function parseListFilters(filters: readonly string[]): Filter | undefined {
  try {
    const filter = parseFilters(filters);
    return filters.length === 0 || filters.includes("") ? undefined : filter;
  } catch (error) {
    if (error instanceof FilterParseError) throw invalidArgument(`${error.message}: invalid argument`);
    throw error;
  }
}

/**
 * containerd's filter language (containerd 1.6 `filters` package): selectors such as
 * `labels."com.example/x"==y,image~=busybox`, ANDed within one string and ORed across strings.
 * See spec §6 for the syntax, the error texts and the matching rules.
 */
import { ALWAYS, allOf, anyOf, type Filter, selectorFilter } from "./matcher.js";
import { parseSelectors } from "./parser.js";

export type { FieldAdaptor, Filter } from "./matcher.js";
export { FilterParseError } from "./parse-error.js";

/**
 * Parses one filter string: comma-separated selectors that must all match. `""` matches everything
 * (a string of only whitespace is an error, as in containerd). Parsing is linear in the input, and
 * `~=` expressions are compiled here, once.
 *
 * @throws FilterParseError with containerd's exact message when the string is malformed.
 */
export function parseFilter(input: string): Filter {
  if (input === "") return ALWAYS;
  return allOf(parseSelectors(input).map(selectorFilter));
}

/**
 * Parses a request's `filters` list: the result matches when any of the strings does. An empty list
 * matches everything, and so does a list holding `""`; every string is still parsed, so a malformed
 * one fails the whole list even next to `""` (containerd's `ParseAll`).
 *
 * @throws FilterParseError for the first malformed string. containerd wraps it with the
 * invalid-argument class; the caller adds that mapping.
 */
export function parseFilters(inputs: readonly string[]): Filter {
  if (inputs.length === 0) return ALWAYS;
  const filters = inputs.map(parseFilter);
  if (filters.includes(ALWAYS)) return ALWAYS;
  return filters.length === 1 ? (filters[0] as Filter) : anyOf(filters);
}

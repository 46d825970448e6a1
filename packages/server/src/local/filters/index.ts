/**
 * containerd's filter language (containerd 1.6 `filters` package): selectors such as
 * `labels."com.example/x"==y,image~=busybox`, ANDed within one string and ORed across strings.
 * The syntax, error texts and matching rules are those of containerd's `filters` package (1.6.20).
 */
import { checkFilterList, createRegexBudget, type RegexBudget } from "./limits.js";
import { ALWAYS, allOf, anyOf, type Filter, selectorFilter } from "./matcher.js";
import { parseSelectors } from "./parser.js";

export { MAX_FILTER_BYTES, MAX_FILTERS, MAX_REGEX_INSTRUCTIONS } from "./limits.js";
export type { FieldAdaptor, Filter } from "./matcher.js";
export { FilterParseError } from "./parse-error.js";

/**
 * Parses one filter string: comma-separated selectors that must all match. `""` matches everything
 * (a string of only whitespace is an error, as in containerd). Parsing is linear in the input, and
 * `~=` expressions are compiled here, once, after their estimated size is charged to `budget`.
 *
 * @throws FilterParseError with containerd's exact message when the string is malformed.
 * @throws BerthError (invalid argument) when its regular expressions exceed the budget.
 */
export function parseFilter(input: string, budget: RegexBudget = createRegexBudget()): Filter {
  if (input === "") return ALWAYS;
  return allOf(parseSelectors(input).map((selector) => selectorFilter(selector, budget)));
}

/**
 * Parses a request's `filters` list: the result matches when any of the strings does. An empty list
 * matches everything, and so does a list holding `""`; every string is still parsed, so a malformed
 * one fails the whole list even next to `""` (containerd's `ParseAll`). The list must respect the
 * limits of `limits.ts` (count, length, regex size), which containerd does not have.
 *
 * @throws FilterParseError for the first malformed string. containerd wraps it with the
 * invalid-argument class; the caller adds that mapping.
 * @throws BerthError (invalid argument) when the list exceeds a limit.
 */
export function parseFilters(inputs: readonly string[]): Filter {
  if (inputs.length === 0) return ALWAYS;
  checkFilterList(inputs);
  const budget = createRegexBudget();
  const filters = inputs.map((input) => parseFilter(input, budget));
  if (filters.includes(ALWAYS)) return ALWAYS;
  return filters.length === 1 ? (filters[0] as Filter) : anyOf(filters);
}

/**
 * The ids a valid filter list can match at most, when every one of its strings
 * pins the `id` field with `==`: a listing then reads those records instead of
 * scanning the namespace (and still applies the whole filter to each).
 * Undefined when any string leaves the id open. Sorted, each once.
 */
export function pinnedIds(inputs: readonly string[]): string[] | undefined {
  if (inputs.length === 0) return undefined;
  const ids = new Set<string>();
  for (const input of inputs) {
    if (input === "") return undefined;
    const pin = parseSelectors(input).find(
      (selector) => selector.operator === "==" && selector.fieldpath.length === 1 && selector.fieldpath[0] === "id",
    );
    if (pin === undefined) return undefined;
    ids.add(pin.value);
  }
  // Identifiers are ASCII: string order is the store's byte order.
  return [...ids].sort();
}

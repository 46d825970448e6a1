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

/** What one filter string pins with `==`: an id, or an indexed field's value (see store/container-index.ts). */
export type Pin =
  | { readonly kind: "id"; readonly id: string }
  | { readonly kind: "image" | "runtime"; readonly value: string }
  | { readonly kind: "label"; readonly key: string; readonly value: string };

/**
 * One pin per string of a valid filter list, when every string has a selector
 * that pins the id, the image, the runtime name or a label with `==`: a
 * listing then reads only the containers those pins allow (by key, or from the
 * index) and still applies the whole filter to each. The id is preferred, then
 * a label, then the image, then the runtime. Undefined when any string pins
 * nothing (the listing scans).
 */
export function filterPins(inputs: readonly string[]): Pin[] | undefined {
  if (inputs.length === 0) return undefined;
  const pins: Pin[] = [];
  for (const input of inputs) {
    if (input === "") return undefined;
    let best: Pin | undefined;
    for (const { operator, fieldpath, value } of parseSelectors(input)) {
      if (operator !== "==") continue;
      const pin = pinOf(fieldpath, value);
      if (pin !== undefined && (best === undefined || PREFERENCE[pin.kind] < PREFERENCE[best.kind])) best = pin;
    }
    if (best === undefined) return undefined;
    pins.push(best);
  }
  return pins;
}

const PREFERENCE: Record<Pin["kind"], number> = { id: 0, label: 1, image: 2, runtime: 3 };

/** The pin of `fieldpath == value`, for the fields container-fields.ts sees (an empty value is never present). */
function pinOf(fieldpath: readonly string[], value: string): Pin | undefined {
  const [field] = fieldpath;
  if (field === "id" && fieldpath.length === 1) return { kind: "id", id: value };
  if (value === "") return undefined;
  if (field === "image" && fieldpath.length === 1) return { kind: "image", value };
  if (field === "runtime" && fieldpath.length === 2 && fieldpath[1] === "name") return { kind: "runtime", value };
  if (field === "labels" && fieldpath.length > 1) return { kind: "label", key: fieldpath.slice(1).join("."), value };
  return undefined;
}

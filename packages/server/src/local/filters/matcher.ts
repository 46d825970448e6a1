import { RE2JS } from "re2js";
import type { RegexBudget } from "./limits.js";
import type { Selector } from "./parser.js";

/**
 * Exposes an object's filterable fields to a {@link Filter} (containerd's `filters.Adaptor`).
 *
 * `path` is the selector's field path split into segments, with quoted segments already unquoted:
 * `labels."com.example/x"` arrives as `["labels", "com.example/x"]` and `runtime.name` as
 * `["runtime", "name"]`. Adaptors look up map entries by joining the segments after the first with
 * `.`, as containerd's do, so `labels.a.b` and `labels."a.b"` find the same label.
 */
export interface FieldAdaptor {
  /** The field's value, or undefined when the object has no such field (the field is absent). */
  field(path: readonly string[]): string | undefined;
}

/** A parsed filter, reusable across objects. */
export interface Filter {
  /** Whether the object seen through `adaptor` satisfies the filter. */
  match(adaptor: FieldAdaptor): boolean;
}

/** Matches everything: the filter of `""` and of an empty filter list. */
export const ALWAYS: Filter = { match: () => true };

/** Matches when every one of `filters` does (selectors within one filter string). */
export function allOf(filters: readonly Filter[]): Filter {
  return { match: (adaptor) => filters.every((filter) => filter.match(adaptor)) };
}

/** Matches when at least one of `filters` does (several filter strings). */
export function anyOf(filters: readonly Filter[]): Filter {
  return { match: (adaptor) => filters.some((filter) => filter.match(adaptor)) };
}

/**
 * Turns one selector into a filter. An absent field reads as `""` for `!=` and `~=`. A `~=` operand
 * is compiled once, here, as an RE2 expression; if it does not compile, the selector never matches
 * (containerd only logs the error) and parsing still succeeds. Before it is compiled, the operand is
 * charged to `budget`, which refuses patterns too costly to compile or match.
 */
export function selectorFilter(selector: Selector, budget: RegexBudget): Filter {
  const { fieldpath, value } = selector;
  switch (selector.operator) {
    case "present":
      return { match: (adaptor) => adaptor.field(fieldpath) !== undefined };
    case "==":
      return { match: (adaptor) => adaptor.field(fieldpath) === value };
    case "!=":
      return { match: (adaptor) => (adaptor.field(fieldpath) ?? "") !== value };
    case "~=": {
      budget.charge(value);
      const re = compileRegexp(value);
      if (re === undefined) return { match: () => false };
      // RE2 matching runs in time linear in the field's length; `test` finds a match anywhere.
      return { match: (adaptor) => re.test(adaptor.field(fieldpath) ?? "") };
    }
  }
}

function compileRegexp(pattern: string): RE2JS | undefined {
  try {
    return RE2JS.compile(pattern);
  } catch {
    return undefined;
  }
}

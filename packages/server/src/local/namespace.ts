import { BerthError, failedPrecondition } from "../errdefs.js";
import { validateIdentifier } from "./identifiers.js";

export { NAMESPACE_HEADER } from "@berth/shared/headers";

/**
 * The namespace of one request, resolved once from its header. Calls that need
 * it call {@link RequestNamespace.require} at the point containerd checks it, so
 * checks that containerd makes first (e.g. Update's `Container.ID required`) still
 * come first.
 */
export interface RequestNamespace {
  /** The header value as sent, or undefined when absent. */
  readonly raw: string | undefined;
  /**
   * The validated namespace.
   * @throws BerthError failed precondition when absent or empty, invalid argument when not an identifier.
   */
  require(): string;
}

/**
 * Resolves a namespace header value (its first value when repeated). The value
 * is validated when first required: calls that need no namespace (health,
 * namespace listing) pay for no error they never send.
 */
export function resolveNamespace(raw: string | undefined): RequestNamespace {
  let outcome: string | BerthError | undefined;
  return {
    raw,
    require() {
      outcome ??= validated(raw);
      if (typeof outcome !== "string") throw outcome;
      return outcome;
    },
  };
}

function validated(raw: string | undefined): string | BerthError {
  if (raw === undefined || raw === "") return failedPrecondition("namespace is required");
  try {
    validateIdentifier(raw);
    return raw;
  } catch (error) {
    return error instanceof BerthError ? error.wrap("namespace validation") : (error as BerthError);
  }
}

/**
 * Error classes shared by every layer, after containerd's `errdefs`.
 *
 * Lower layers throw a {@link BerthError} carrying one {@link ErrorClass}; the
 * server maps the class to a gRPC code in one place (`rpc/interceptors/errors.ts`). As in
 * containerd, the message is the whole error chain and ends with the class text
 * (`…: not found`), so Go clients that strip that suffix see the same text.
 */

/** The error classes of containerd's errdefs that this service raises. */
export type ErrorClass =
  | "invalid argument"
  | "not found"
  | "already exists"
  | "failed precondition"
  | "unavailable"
  | "not implemented"
  | "resource exhausted"
  | "out of range"
  | "data loss";

/** An error of a known class; its message already ends with `: <class>` unless built as `plain`. */
export class BerthError extends Error {
  override readonly name = "BerthError";

  constructor(
    readonly errorClass: ErrorClass,
    message: string,
  ) {
    super(message);
  }

  /** Prefixes context the way Go's `fmt.Errorf("…: %w", err)` does, keeping the class. */
  wrap(prefix: string): BerthError {
    return new BerthError(this.errorClass, `${prefix}: ${this.message}`);
  }
}

function classed(errorClass: ErrorClass) {
  return (detail: string) => new BerthError(errorClass, `${detail}: ${errorClass}`);
}

/** `<detail>: invalid argument` */
export const invalidArgument = classed("invalid argument");
/** `<detail>: not found` */
export const notFound = classed("not found");
/** `<detail>: already exists` */
export const alreadyExists = classed("already exists");
/** `<detail>: failed precondition` */
export const failedPrecondition = classed("failed precondition");
/** `<detail>: unavailable` */
export const unavailable = classed("unavailable");
/** `<detail>: resource exhausted` */
export const resourceExhausted = classed("resource exhausted");
/** `<detail>: data loss` (Berth only: containerd's errdefs has no such class) */
export const dataLoss = classed("data loss");
/** A position outside what is kept (an event history cursor older than its retention). */
export const outOfRange = classed("out of range");

/**
 * An error whose message is sent as is, with no class suffix: containerd builds
 * some statuses directly (e.g. `Container.ID required`).
 */
export function plainError(errorClass: ErrorClass, message: string): BerthError {
  return new BerthError(errorClass, message);
}

/**
 * `message` with every absolute path cut to its last part (`/var/lib/berth/db/000003.log`
 * becomes `000003.log`): error texts from LevelDB or the system name files, and
 * where the daemon keeps them is not for callers.
 */
export function withoutPaths(message: string): string {
  return message.replace(/(?<![\w.])\/(?:[^\s/:'"()]+\/)+([^\s/:'"()]+)/g, "$1");
}

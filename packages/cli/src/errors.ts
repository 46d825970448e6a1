/** How berth turns failures into the one-line `berth: <message>` it prints. */
import { ConnectError } from "@berth/client";

/**
 * Thrown once a command has already printed its errors (e.g. `rm` of several
 * ids), so that only the exit code remains to be set.
 */
export class ReportedError extends Error {
  /** The process exit code to use. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "ReportedError";
    this.exitCode = exitCode;
  }
}

/** Plain words for the socket errors that mean nothing answered at the address. */
const CONNECT_FAILURES: Readonly<Record<string, string>> = {
  ENOENT: "no such socket",
  ECONNREFUSED: "connection refused",
  EACCES: "permission denied",
  ENOTSOCK: "not a socket",
  ENOTDIR: "not a directory",
  ENOTFOUND: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

/**
 * The message berth prints for an error: the server's own text for a
 * ConnectError (`rawMessage`, without the `[code]` prefix), a message naming the
 * address when berthd cannot be reached, else the error's message.
 */
export function describeError(error: unknown, address: string): string {
  const failure = connectFailure(error);
  if (failure !== undefined) return `cannot connect to berthd at ${address}: ${failure}`;
  if (error instanceof ConnectError) return error.rawMessage;
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * How the connection failed when `error` is a ConnectError caused by a failed
 * `connect` (or name lookup), else `undefined`. connect-node reports these with
 * varying codes (Internal for ENOENT, Unavailable for ECONNREFUSED), so the
 * cause decides.
 */
function connectFailure(error: unknown): string | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
    const { code, syscall } = cause as NodeJS.ErrnoException;
    if (code !== undefined && (syscall === "connect" || syscall === "getaddrinfo")) {
      const words = CONNECT_FAILURES[code];
      return words === undefined ? cause.message : `${words} (${code})`;
    }
  }
  return undefined;
}

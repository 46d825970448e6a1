/** How server errors are shown: containerd's own message text. */
import { Code, ConnectError } from "@berth/client";

/**
 * The message to show for a failed call: a ConnectError's raw message (the
 * server's text without the `[code]` prefix), else the error's message.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ConnectError) {
    return error.code === Code.Unknown && error.rawMessage === "" ? "unknown error" : error.rawMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Whether an error is the server rejecting the request (as opposed to the connection failing). */
export function isInvalidArgument(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.InvalidArgument;
}

/** Whether an error is the call being cancelled by this app. */
export function isCanceled(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.Canceled;
}

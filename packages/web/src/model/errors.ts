/** How failed calls are shown: the gRPC code's name, then the server's own message. */
import { Code, ConnectError } from "@berth/client";

/** The browser's words for a request that never got an answer (Chromium, Firefox, Safari). */
const NETWORK_FAILURE = /^(Failed to fetch|NetworkError when attempting to fetch resource\.|Load failed)$/;

/**
 * The message to show for a failed call, as `Code: message`: e.g.
 * `FailedPrecondition: namespace "x" must be empty, but it still has containers`.
 * A request the network dropped reads `Unavailable: berthd did not answer (Failed to fetch)`.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ConnectError) {
    if (error.code === Code.Unknown && NETWORK_FAILURE.test(error.rawMessage)) {
      return `Unavailable: berthd did not answer (${error.rawMessage})`;
    }
    const message = error.rawMessage === "" ? "no message" : error.rawMessage;
    return `${Code[error.code]}: ${message}`;
  }
  if (error instanceof TypeError && NETWORK_FAILURE.test(error.message)) {
    return `Unavailable: berthd did not answer (${error.message})`;
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

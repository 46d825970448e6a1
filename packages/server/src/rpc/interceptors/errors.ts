import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { BerthError, type ErrorClass, withoutPaths } from "../../errdefs.js";

const CODES: Record<ErrorClass, Code> = {
  "invalid argument": Code.InvalidArgument,
  "not found": Code.NotFound,
  "already exists": Code.AlreadyExists,
  "failed precondition": Code.FailedPrecondition,
  unavailable: Code.Unavailable,
  "not implemented": Code.Unimplemented,
  "resource exhausted": Code.ResourceExhausted,
  "data loss": Code.DataLoss,
};

/**
 * The one place where errors become statuses (containerd `errdefs/grpc.go`): a
 * {@link BerthError} keeps its message and gets its class's code; a ConnectError
 * passes through; anything else is Unknown with its message only, never a stack
 * or a path.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof BerthError) return new ConnectError(error.message, CODES[error.errorClass]);
  if (error instanceof Error && error.name === "AbortError") return new ConnectError("context canceled", Code.Canceled);
  return new ConnectError(withoutPaths(error instanceof Error ? error.message : String(error)), Code.Unknown);
}

/** Maps every error of a call, including those raised while a response stream is read. */
export const errorInterceptor: Interceptor = (next) => (request) => {
  let pending: ReturnType<typeof next>;
  try {
    pending = next(request);
  } catch (error) {
    return Promise.reject(toConnectError(error));
  }
  // One promise reaction rather than an async function's extra promises: this runs on every call.
  return pending.then(
    (response) =>
      response.stream ? { ...response, message: mapStreamErrors(response.message, request.signal) } : response,
    (error: unknown) => {
      throw toConnectError(error);
    },
  );
};

/**
 * The stream with its errors mapped; a plain iterator rather than a generator,
 * so no extra promise per message. A stream that ends because its call was
 * aborted (a deadline, a cancel) ends with that status, not OK: implementations
 * such as Subscribe simply stop when their signal fires.
 */
function mapStreamErrors<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = messages[Symbol.asyncIterator]();
      const mapped = (error: unknown): never => {
        throw toConnectError(error);
      };
      return {
        next: () =>
          iterator.next().then((result) => {
            if (result.done === true && signal.aborted) mapped(signal.reason);
            return result;
          }, mapped),
        return: async (value?: unknown) => {
          await iterator.return?.(value).catch(mapped);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

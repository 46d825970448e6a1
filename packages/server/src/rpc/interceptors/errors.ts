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
  "out of range": Code.OutOfRange,
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

/** A call that failed on the server's side: an error nobody raised on purpose, or damaged data. */
export interface ServerFault {
  /** `package.Service/Method`. */
  readonly method: string;
  readonly error: ConnectError;
}

/** Codes that say the server failed, not the request: logged, unlike a NotFound or an InvalidArgument. */
const FAULT_CODES = new Set([Code.Unknown, Code.Internal, Code.DataLoss]);

/**
 * Maps every error of a call, including those raised while a response stream
 * is read, and tells `onFault` once of each that is the server's failure.
 */
export function createErrorInterceptor(onFault: (fault: ServerFault) => void = () => undefined): Interceptor {
  return (next) => (request) => {
    const map = (error: unknown): ConnectError => {
      const mapped = toConnectError(error);
      if (FAULT_CODES.has(mapped.code))
        onFault({ method: `${request.service.typeName}/${request.method.name}`, error: mapped });
      return mapped;
    };
    let pending: ReturnType<typeof next>;
    try {
      pending = next(request);
    } catch (error) {
      return Promise.reject(map(error));
    }
    // One promise reaction rather than an async function's extra promises: this runs on every call.
    return pending.then(
      (response) =>
        response.stream ? { ...response, message: mapStreamErrors(response.message, request.signal, map) } : response,
      (error: unknown) => {
        throw map(error);
      },
    );
  };
}

/** {@link createErrorInterceptor} without a fault listener. */
export const errorInterceptor: Interceptor = createErrorInterceptor();

/**
 * The stream with its errors mapped; a plain iterator rather than a generator,
 * so no extra promise per message. A stream that ends because its call was
 * aborted (a deadline, a cancel) ends with that status, not OK: implementations
 * such as Subscribe simply stop when their signal fires.
 */
function mapStreamErrors<T>(
  messages: AsyncIterable<T>,
  signal: AbortSignal,
  map: (error: unknown) => ConnectError,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = messages[Symbol.asyncIterator]();
      const mapped = (error: unknown): never => {
        throw map(error);
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

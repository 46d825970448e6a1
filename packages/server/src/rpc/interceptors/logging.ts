import { NAMESPACE_HEADER } from "@berth/shared/headers";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";

/**
 * Logs one structured line per call at debug level: method, namespace, status
 * code and duration. Errors are already ConnectErrors here (this interceptor runs
 * outside the error mapper). Streams are logged when they end.
 */
export function createLoggingInterceptor(logger: Logger): Interceptor {
  // Without debug logging the interceptor steps aside, adding nothing to the call.
  return (next) => (logger.isLevelEnabled("debug") ? logged(logger, next) : next);
}

function logged(logger: Logger, next: Parameters<Interceptor>[0]): ReturnType<Interceptor> {
  return async (request) => {
    const started = process.hrtime.bigint();
    const log = (error?: unknown) => {
      const code = error === undefined ? "ok" : Code[ConnectError.from(error).code];
      logger.debug(
        {
          method: `${request.service.typeName}/${request.method.name}`,
          contentType: request.header.get("content-type") ?? undefined,
          namespace: request.header.get(NAMESPACE_HEADER) ?? undefined,
          code,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        "request",
      );
    };
    try {
      const response = await next(request);
      if (!response.stream) {
        log();
        return response;
      }
      return { ...response, message: loggedStream(response.message, log) };
    } catch (error) {
      log(error);
      throw error;
    }
  };
}

async function* loggedStream<T>(messages: AsyncIterable<T>, log: (error?: unknown) => void): AsyncIterable<T> {
  try {
    yield* messages;
    log();
  } catch (error) {
    log(error);
    throw error;
  }
}

/**
 * What both of berthd's modes (standalone, gateway) build their handlers
 * from: the call interceptors, the RPC chain over service implementations,
 * the event history's pruning, and the TCP credentials.
 */
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  type ConnectRouter,
  createConnectRouter,
  type Interceptor,
  type ServiceImplSpec,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { BerthdLimits } from "./config.js";
import type { BerthdHandlers, BerthdOptions } from "./daemon.js";
import { createRpcHandler } from "./rpc/dispatcher.js";
import { answerText, type HttpHandler } from "./rpc/exchange.js";
import { createGrpcFastPath } from "./rpc/grpc-fast-path.js";
import { type BearerTokens, createTokenInterceptor, type Refusal } from "./rpc/interceptors/auth.js";
import { createErrorInterceptor } from "./rpc/interceptors/errors.js";
import { createLoggingInterceptor } from "./rpc/interceptors/logging.js";
import type { BerthdMetrics } from "./rpc/interceptors/metrics.js";
import { createJsonCodec } from "./rpc/json-codec.js";
import { createRpcPipeline } from "./rpc/pipeline.js";
import { requestContextValues } from "./rpc/request-context.js";
import { createPayloadRegistry } from "./services/any-payloads.js";
import type { Store } from "./store/types.js";

/** What a mode of berthd serves its listeners with, and how it stops. */
export interface Mode extends BerthdHandlers {
  /** Shutdown began: end what would hold the drain (subscriptions). */
  stopping(): void;
  /** Closes what the mode opened, after the listeners have drained. */
  close(): Promise<void>;
}

/**
 * Prunes the event history to its retention every `pruneIntervalMs`, one
 * bounded batch at a time; a run that filled its batch runs again at once, so
 * that a backlog left by a write storm drains without one huge delete.
 */
export function startPruning(store: Store, limits: BerthdLimits, logger: Logger): { stop(): Promise<void> } {
  const retention = { maxCount: limits.eventRetentionCount, maxAgeMs: limits.eventRetentionAgeMs };
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const run = async () => {
    for (;;) {
      if (stopped) return;
      const pruned = await store.history.prune(retention, limits.pruneBatch);
      if (pruned < limits.pruneBatch) return;
    }
  };
  const timer = setInterval(() => {
    running = running.then(run).catch((error: unknown) => logger.warn({ err: error }, "event history pruning failed"));
  }, limits.pruneIntervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      return running;
    },
  };
}

/**
 * The interceptors every call of berthd's own services runs under, outermost
 * first: metrics and the logger see the mapped status.
 */
export function callInterceptors(
  logger: Logger,
  tokens: BearerTokens | undefined,
  metrics: BerthdMetrics | undefined,
): Interceptor[] {
  return [
    ...(metrics === undefined ? [] : [metrics.interceptor]),
    createLoggingInterceptor(logger),
    ...(tokens === undefined ? [] : [createTokenInterceptor(tokens, refusalLogger(logger))]),
    // Failures of the server's own are logged here, once; every call is logged at debug by the logger above.
    createErrorInterceptor(({ method, error }) =>
      logger.error({ method, code: Code[error.code], err: error.rawMessage }, "call failed"),
    ),
  ];
}

/**
 * The RPC step of a request chain over service implementations: the gRPC fast
 * path where it applies, Connect's handlers (gRPC, gRPC-Web, Connect and its
 * JSON) otherwise, both under `interceptors`; what is no RPC goes to the
 * fallback given last.
 */
export function rpcChain(
  implementations: readonly ServiceImplSpec[],
  interceptors: Interceptor[],
  limits: BerthdLimits,
  services: readonly DescService[],
  routes: (router: ConnectRouter) => void,
): (fallback: HttpHandler) => HttpHandler {
  const messageLimits = { readMaxBytes: limits.maxMessageBytes, writeMaxBytes: limits.maxMessageBytes };
  const fastPath = createGrpcFastPath({
    implementations,
    interceptors,
    contextValues: requestContextValues,
    ...messageLimits,
  });
  const payloads = createPayloadRegistry(services);
  const router = createConnectRouter({
    interceptors,
    jsonOptions: { registry: payloads },
    // The same compressions as the Connect adapter accepts by default.
    acceptCompression: [compressionGzip, compressionBrotli],
    ...messageLimits,
  });
  routes(router);
  const pipeline = createRpcPipeline(router.handlers, createJsonCodec(payloads));
  return (fallback) => createRpcHandler({ fastPath, pipeline, contextValues: requestContextValues, fallback });
}

/** The TCP listener's tokens, if any is given. */
export function tokensOf(options: Pick<BerthdOptions, "token" | "readOnlyToken">): BearerTokens | undefined {
  if (options.token === undefined && options.readOnlyToken === undefined) return undefined;
  return { full: options.token, readOnly: options.readOnlyToken };
}

/** Logs a refused call once, with its method and the credential it came with. */
export function refusalLogger(logger: Logger): (refusal: Refusal, path: string) => void {
  return (refusal, path) =>
    logger.warn(
      { method: path.slice(1), code: Code[refusal.code], credential: refusal.credential ?? "none" },
      "call refused",
    );
}

/** What Go's net/http answers to a path it does not serve. */
export const notFound: HttpHandler = (exchange) => answerText(exchange, 404, "404 page not found\n");

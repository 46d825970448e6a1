import { join } from "node:path";
import { HistoryService } from "@berth/gen/berth/events/v1/history_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescService } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  Code,
  type ConnectRouter,
  createConnectRouter,
  createServiceImplSpec,
  type Interceptor,
  type ServiceImpl,
  type ServiceImplSpec,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { type BerthdLimits, DEFAULT_LIMITS, type LimitOverrides, resolveLimits } from "./config.js";
import { createExchange, type Exchange } from "./events/exchange.js";
import { CONTAINERD_SERVICES } from "./gateway/containerd-api.js";
import { createEventFeed } from "./gateway/event-feed.js";
import { createForwarder } from "./gateway/forward.js";
import { createGatewayMetrics } from "./gateway/metrics.js";
import { createUpstream } from "./gateway/upstream.js";
import { createEventsLocal } from "./local/events.js";
import { createHistoryLocal } from "./local/history.js";
import { createLocal } from "./local/index.js";
import { sweepExpiredLeases } from "./local/lease-expiry.js";
import { createRpcHandler } from "./rpc/dispatcher.js";
import { answerText, type HttpHandler } from "./rpc/exchange.js";
import { createGrpcFastPath } from "./rpc/grpc-fast-path.js";
import { type BearerTokens, checkTcpAccess, createTokenInterceptor, type Refusal } from "./rpc/interceptors/auth.js";
import { createErrorInterceptor } from "./rpc/interceptors/errors.js";
import { createLoggingInterceptor } from "./rpc/interceptors/logging.js";
import { type BerthdMetrics, createMetrics } from "./rpc/interceptors/metrics.js";
import { createJsonCodec } from "./rpc/json-codec.js";
import { createRpcPipeline } from "./rpc/pipeline.js";
import { requestContextValues } from "./rpc/request-context.js";
import { createPayloadRegistry } from "./services/any-payloads.js";
import { createHistoryService } from "./services/history.js";
import { berthPlugins, type PluginCatalogOptions } from "./services/plugins.js";
import { registerReflection } from "./services/reflection.js";
import { createRoutes, createServiceImplementations, SERVED_SERVICES } from "./services/routes.js";
import type { DaemonBuild } from "./services/version.js";
import { openStore } from "./store/open.js";
import type { Store } from "./store/types.js";
import { withCors } from "./transport/http/cors.js";
import { withMetricsEndpoint } from "./transport/http/metrics-endpoint.js";
import { withOriginGuard } from "./transport/http/origin-guard.js";
import { createStaticHandler } from "./transport/http/static-files.js";
import {
  checkAddressesFree,
  type Listener,
  type ListenerLimits,
  listenTcp,
  listenUnix,
} from "./transport/listeners.js";
import type { TlsCredentials } from "./transport/tls.js";

/** Options of {@link startBerthd}. */
export interface BerthdOptions {
  /**
   * containerd's socket: serve as a gateway in front of it (every gRPC service
   * forwarded) instead of serving Berth's own records.
   */
  readonly containerd?: string | undefined;
  /** Directory of the database. */
  readonly root: string;
  /** Unix socket path. */
  readonly address: string;
  /** Optional TCP listener, `host:port`. */
  readonly listen?: { readonly host: string; readonly port: number } | undefined;
  /** Socket file owner and group. */
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  readonly logger: Logger;
  /** Directory of the built web app served at `/`; none when undefined. */
  readonly webRoot?: string | undefined;
  /** Browser origins allowed to call the API cross-origin (default none). */
  readonly corsOrigins?: readonly string[];
  /** HTTPS on the TCP listener (HTTP/2 and HTTP/1.1 by ALPN; mTLS with a client CA); none = cleartext. */
  readonly tls?: TlsCredentials | undefined;
  /** Bearer token every call over TCP must carry (calls on the unix socket need none). */
  readonly token?: string | undefined;
  /** A bearer token that may call over TCP only methods that change nothing. */
  readonly readOnlyToken?: string | undefined;
  /** Host names the cleartext TCP listener answers to besides loopback (`--allowed-host`). */
  readonly allowedHosts?: readonly string[];
  /** Limits to change from {@link DEFAULT_LIMITS} (see docs/security.md). */
  readonly limits?: LimitOverrides | undefined;
  /** What the Version service reports: berthd's release and git revision. */
  readonly build?: DaemonBuild | undefined;
}

/** A running berthd. */
export interface Berthd {
  /** Where it listens: `unix:<path>` first, then any TCP address. */
  readonly addresses: readonly string[];
  /** Stops accepting, drains in-flight calls, closes the store. */
  close(): Promise<void>;
}

/**
 * Starts berthd in its mode — standalone (opens the store and serves Berth's
 * services: gRPC, gRPC-Web and Connect) or gateway (forwards every call to
 * containerd) — and listens on the unix socket and the optional TCP address.
 * TCP beyond loopback is refused without TLS or a token. On failure everything
 * already opened is closed again.
 */
export async function startBerthd(options: BerthdOptions): Promise<Berthd> {
  if (options.listen !== undefined) {
    checkTcpAccess(options.listen, {
      tls: options.tls !== undefined,
      token: options.token !== undefined || options.readOnlyToken !== undefined,
    });
  }
  await checkAddressesFree(options.address, options.listen);
  const logger = options.logger;
  const resolved = resolveLimits(options.limits);
  const limits: ListenerLimits = {
    maxConnections: resolved.maxConnections,
    h2: resolved.h2,
    onLimit: (event) => {
      const { reason, ...where } = event;
      if (reason === "idle") logger.debug(where, "closed an idle connection");
      else logger.warn({ limit: reason, ...where }, `cut off: ${reason}`);
    },
  };
  const mode =
    options.containerd === undefined
      ? await standalone(options, resolved)
      : await gateway(options, options.containerd, resolved);
  const listeners: Listener[] = [];
  try {
    const tcpHandler = withOriginGuard(
      {
        checkHost: options.tls === undefined,
        allowedHosts: options.allowedHosts ?? [],
        listenHost: options.listen?.host,
        corsOrigins: options.corsOrigins ?? [],
      },
      withCors(options.corsOrigins ?? [], mode.tcp),
    );
    listeners.push(await listenUnix(mode.unix, { path: options.address, uid: options.uid, gid: options.gid, limits }));
    if (options.listen !== undefined) {
      listeners.push(await listenTcp(tcpHandler, { ...options.listen, tls: options.tls, limits }));
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close(0)));
    await mode.close();
    throw error;
  }
  return {
    addresses: listeners.map((listener) => listener.address),
    async close() {
      mode.stopping();
      await Promise.all(listeners.map((listener) => listener.close(resolved.shutdownGraceMs)));
      await mode.close();
    },
  };
}

/** What a mode of berthd serves its listeners with, and how it stops. */
interface Mode extends BerthdHandlers {
  /** Shutdown began: end what would hold the drain (subscriptions). */
  stopping(): void;
  /** Closes what the mode opened, after the listeners have drained. */
  close(): Promise<void>;
}

/** Standalone: Berth's own records in LevelDB, served by Berth's services. */
async function standalone(options: BerthdOptions, limits: BerthdLimits): Promise<Mode> {
  const store = await openStore(options.root, { keepEvents: limits.eventRetentionCount > 0 });
  const logger = options.logger;
  const exchange = createExchange({
    queueLimit: limits.maxQueuedEvents,
    queueBytesLimit: limits.maxQueuedEventBytes,
    onOverflow: (why) => logger.warn({ limit: "event queue" }, `cut off: ${why}`),
  });
  const shuttingDown = new AbortController();
  const metrics = createMetrics({
    storeSizes: () => store.sizes(),
    subscribers: () => exchange.subscribers,
    writeFailure: () => store.writeFailure(),
  });
  const handlers = createHandlers(store, exchange, logger, {
    shutdown: shuttingDown.signal,
    metrics,
    ...(options.webRoot === undefined ? {} : { webRoot: options.webRoot }),
    tokens: tokensOf(options),
    limits,
    ...(options.build === undefined ? {} : { build: options.build }),
    plugins: {
      databasePath: join(options.root, "db"),
      webApp: webAppPlugin(options.listen !== undefined, options.webRoot),
    },
  });
  const pruner = startPruning(store, limits, logger);
  const sweep = () =>
    sweepExpiredLeases(store).catch((error: unknown) => logger.warn({ err: error }, "lease sweep failed"));
  let sweeping = sweep();
  const sweeper = setInterval(() => {
    sweeping = sweeping.then(sweep);
  }, limits.leaseSweepIntervalMs);
  sweeper.unref();
  return {
    ...handlers,
    stopping() {
      shuttingDown.abort();
      clearInterval(sweeper);
      pruner.stop();
      // Subscriptions never end by themselves: end them first so the drain can finish.
      exchange.close();
    },
    async close() {
      clearInterval(sweeper);
      await sweeping;
      await pruner.stop();
      await store.close();
    },
  };
}

/**
 * Prunes the event history to its retention every `pruneIntervalMs`, one
 * bounded batch at a time; a run that filled its batch runs again at once, so
 * that a backlog left by a write storm drains without one huge delete.
 */
function startPruning(store: Store, limits: BerthdLimits, logger: Logger): { stop(): Promise<void> } {
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
 * Gateway: containerd at `socketPath` holds the records; berthd forwards every
 * call to it. The event history of containerd's events lives in a database of
 * its own under `<root>/gateway`.
 */
async function gateway(options: BerthdOptions, socketPath: string, limits: BerthdLimits): Promise<Mode> {
  const upstream = createUpstream(socketPath);
  const logger = options.logger;
  const metrics = createGatewayMetrics(() => upstream.up);
  const tokens = tokensOf(options);
  const store = await openStore(join(options.root, "gateway"), { keepEvents: limits.eventRetentionCount > 0 });
  const pruner = startPruning(store, limits, logger);
  // Events.Subscribe is served from one shared subscription to containerd; everything else is forwarded.
  const exchange = createExchange({
    queueLimit: limits.maxQueuedEvents,
    queueBytesLimit: limits.maxQueuedEventBytes,
    onOverflow: (why) => logger.warn({ limit: "event queue" }, `cut off: ${why}`),
  });
  const keep = (entries: Parameters<typeof store.history.record>[0]) =>
    store.history.record(entries).catch((error: unknown) => logger.warn({ err: error }, "event history write failed"));
  const feed = createEventFeed(upstream, exchange, {
    onEnvelope: (envelope) => void keep([{ envelope }]),
    onGap: (gap) => void keep([{ gap }]),
    lostSince: await lastEventTime(store),
  });
  const events = createEventsLocal({ exchange });
  const subscribeOnly: Partial<ServiceImpl<typeof Events>> = {
    subscribe: (request, context) => events.subscribe(request.filters, context.signal),
  };
  const history = createHistoryService(createHistoryLocal({ history: store.history }));
  // containerd has no reflection: berthd describes the services it knows containerd to serve, and its own.
  const servedHere = rpcChain(
    [
      createServiceImplSpec<typeof Events>(Events, subscribeOnly),
      createServiceImplSpec<typeof HistoryService>(HistoryService, history),
    ],
    callInterceptors(logger, tokens, undefined),
    limits,
    [...CONTAINERD_SERVICES, HistoryService],
    (router) => {
      router.service(Events, subscribeOnly);
      router.service(HistoryService, history);
      registerReflection(router, [...CONTAINERD_SERVICES, HistoryService, ServerReflectionV1, ServerReflectionV1alpha]);
    },
  );
  const json = createJsonCodec(createPayloadRegistry(CONTAINERD_SERVICES));
  const forward = (fallback: HttpHandler): HttpHandler => {
    const forwarder = createForwarder(upstream, { tokens, metrics, onRefused: refusalLogger(logger), fallback, json });
    const here = servedHere(forwarder);
    return (request) => (SERVED_BY_GATEWAY.has(request.url) ? here(request) : forwarder(request));
  };
  const tcp = withMetricsEndpoint(
    { registry: metrics.registry, tokens },
    forward(options.webRoot === undefined ? notFound : createStaticHandler(options.webRoot)),
  );
  return {
    unix: forward(notFound),
    tcp,
    stopping() {
      // Subscriptions never end by themselves: end them so the drain can finish.
      feed.close();
      exchange.close();
    },
    async close() {
      upstream.close();
      await pruner.stop();
      await store.close();
    },
  };
}

/** Options of {@link createHandlers}. */
export interface HandlerOptions {
  /** Aborted when berthd begins to shut down. */
  readonly shutdown?: AbortSignal;
  /** Directory of the built web app served at `/`. */
  readonly webRoot?: string;
  /** Bearer tokens required on TCP (see `auth.ts`). */
  readonly tokens?: BearerTokens | undefined;
  /** Call metrics, and `/metrics` on TCP listeners. */
  readonly metrics?: BerthdMetrics;
  /** The limits calls run under (default {@link DEFAULT_LIMITS}). */
  readonly limits?: BerthdLimits;
  /** What the Version service reports. */
  readonly build?: DaemonBuild;
  /** What introspection says of the parts around the services. */
  readonly plugins?: PluginCatalogOptions;
}

/** The request chains of berthd's listeners. */
export interface BerthdHandlers {
  /** The unix socket: RPCs only. */
  readonly unix: HttpHandler;
  /** TCP: RPCs, `/metrics` when metrics are given, and the web app when a web root is. */
  readonly tcp: HttpHandler;
}

/**
 * The request chains over a store: plain gRPC calls on the fast path, every
 * other call through Connect's handlers, both with the same interceptors and
 * limits.
 */
export function createHandlers(
  store: Store,
  exchange: Exchange,
  logger: Logger,
  options: HandlerOptions = {},
): BerthdHandlers {
  const plugins = berthPlugins(options.plugins);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const implementations = createServiceImplementations(
    createLocal(store, exchange, { maxMatchingMs: limits.maxMatchingMs, plugins: () => plugins }),
    {
      concurrentLargeResponses: limits.maxLargeResponses,
      maxMessageBytes: limits.maxMessageBytes,
      ...(options.shutdown === undefined ? {} : { shutdown: options.shutdown }),
      ...(options.build === undefined ? {} : { build: options.build }),
      writeFailure: () => store.writeFailure(),
    },
  );
  const interceptors = callInterceptors(logger, options.tokens, options.metrics);
  const rpc = rpcChain(implementations, interceptors, limits, SERVED_SERVICES, createRoutes(implementations));
  const unix = rpc(notFound);
  const tcp = rpc(options.webRoot === undefined ? notFound : createStaticHandler(options.webRoot));
  if (options.metrics === undefined) return { unix, tcp };
  return { unix, tcp: withMetricsEndpoint({ registry: options.metrics.registry, tokens: options.tokens }, tcp) };
}

/** The dashboard's plugin entry: served where there is a TCP listener and a built web app. */
function webAppPlugin(listening: boolean, webRoot: string | undefined): PluginCatalogOptions["webApp"] {
  if (!listening) return { skipped: "no TCP listener (--listen)" };
  if (webRoot === undefined) return { skipped: "no built web app (--web-root)" };
  return { root: webRoot };
}

/**
 * The interceptors every call of berthd's own services runs under, outermost
 * first: metrics and the logger see the mapped status.
 */
function callInterceptors(
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
function rpcChain(
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

/**
 * What the gateway serves itself: containerd's Subscribe, from its one shared
 * subscription, Berth's event history, and gRPC reflection, which containerd lacks.
 */
const SERVED_BY_GATEWAY: ReadonlySet<string> = new Set([
  "/containerd.services.events.v1.Events/Subscribe",
  "/berth.events.v1.HistoryService/List",
  "/berth.events.v1.HistoryService/Subscribe",
  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
]);

/** When the newest stored event was published: where a gateway that starts again lost sight of containerd. */
async function lastEventTime(store: Store): Promise<Date | undefined> {
  for await (const event of store.history.log.read({ reverse: true })) {
    return event.timestamp === undefined ? undefined : timestampDate(event.timestamp);
  }
  return undefined;
}

/** The TCP listener's tokens, if any is given. */
function tokensOf(options: BerthdOptions): BearerTokens | undefined {
  if (options.token === undefined && options.readOnlyToken === undefined) return undefined;
  return { full: options.token, readOnly: options.readOnlyToken };
}

/** Logs a refused call once, with its method and the credential it came with. */
function refusalLogger(logger: Logger): (refusal: Refusal, path: string) => void {
  return (refusal, path) =>
    logger.warn(
      { method: path.slice(1), code: Code[refusal.code], credential: refusal.credential ?? "none" },
      "call refused",
    );
}

/** What Go's net/http answers to a path it does not serve. */
const notFound: HttpHandler = (exchange) => answerText(exchange, 404, "404 page not found\n");

import { join } from "node:path";
import type { Logger } from "pino";
import { type BerthdLimits, DEFAULT_LIMITS, type LimitOverrides, resolveLimits } from "./config.js";
import { createExchange, type Exchange } from "./events/exchange.js";
import { createLocal } from "./local/index.js";
import { sweepExpiredLeases } from "./local/lease-expiry.js";
import type { HttpHandler } from "./rpc/exchange.js";
import { type BearerTokens, checkTcpAccess } from "./rpc/interceptors/auth.js";
import { type BerthdMetrics, createMetrics } from "./rpc/interceptors/metrics.js";
import { berthPlugins, type PluginCatalogOptions } from "./services/plugins.js";
import { createRoutes, createServiceImplementations, SERVED_SERVICES } from "./services/routes.js";
import type { DaemonBuild } from "./services/version.js";
import { callInterceptors, type Mode, notFound, rpcChain, startPruning, tokensOf } from "./serving.js";
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
      : await (await import("./gateway/mode.js")).startGatewayMode(options, options.containerd, resolved);
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

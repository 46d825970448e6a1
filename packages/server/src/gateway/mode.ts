/**
 * berthd's gateway mode, loaded only when `--containerd` is given: standalone
 * berthd never loads containerd's whole API, the relay or the event feed.
 */
import { join } from "node:path";
import { HistoryService } from "@berth/gen/berth/events/v1/history_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { ServerReflection as ServerReflectionV1 } from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createServiceImplSpec, type ServiceImpl } from "@connectrpc/connect";
import type { BerthdLimits } from "../config.js";
import type { BerthdOptions } from "../daemon.js";
import { createExchange } from "../events/exchange.js";
import { createEventsLocal } from "../local/events.js";
import { createHistoryLocal } from "../local/history.js";
import type { HttpHandler } from "../rpc/exchange.js";
import { createJsonCodec } from "../rpc/json-codec.js";
import { createPayloadRegistry } from "../services/any-payloads.js";
import { createHistoryService } from "../services/history.js";
import { registerReflection } from "../services/reflection.js";
import { callInterceptors, type Mode, notFound, refusalLogger, rpcChain, startPruning, tokensOf } from "../serving.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/types.js";
import { withMetricsEndpoint } from "../transport/http/metrics-endpoint.js";
import { createStaticHandler } from "../transport/http/static-files.js";
import { CONTAINERD_SERVICES } from "./containerd-api.js";
import { createEventFeed } from "./event-feed.js";
import { createForwarder } from "./forward.js";
import { createGatewayMetrics } from "./metrics.js";
import { createUpstream } from "./upstream.js";

/**
 * Gateway: containerd at `socketPath` holds the records; berthd forwards every
 * call to it. The event history of containerd's events lives in a database of
 * its own under `<root>/gateway`.
 */
export async function startGatewayMode(
  options: BerthdOptions,
  socketPath: string,
  limits: BerthdLimits,
): Promise<Mode> {
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

import { createBerthClient } from "@berth/client";
import { createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { MemoryLevel } from "memory-level";
import { createExchange } from "../../src/events/exchange.js";
import type { Clock } from "../../src/local/clock.js";
import { createLocal } from "../../src/local/index.js";
import { NAMESPACE_HEADER, resolveNamespace } from "../../src/local/namespace.js";
import { errorInterceptor } from "../../src/rpc/interceptors/errors.js";
import { requestNamespaceKey } from "../../src/services/context.js";
import { berthPlugins } from "../../src/services/plugins.js";
import { createRoutes, createServiceImplementations, type RoutesOptions } from "../../src/services/routes.js";
import type { Database } from "../../src/store/layout.js";
import { createLevelStore } from "../../src/store/level-store.js";

/**
 * In the in-memory tier there is no Node request to read raw headers from, so
 * the namespace is taken from the (single) header value here.
 */
const namespaceFromHeader: Interceptor = (next) => (request) => {
  const value = request.header.get(NAMESPACE_HEADER);
  request.contextValues.set(requestNamespaceKey, resolveNamespace(value ?? undefined));
  return next(request);
};

/** The whole service stack over memory-level and an in-process router transport (fast unit tier). */
export async function createInMemoryBerth(options: { clock?: Clock; routes?: RoutesOptions } = {}) {
  const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
  const store = await createLevelStore(db as unknown as Database);
  const exchange = createExchange();
  const plugins = berthPlugins();
  const local = createLocal(store, exchange, { clock: options.clock, plugins: () => plugins });
  const transport = createRouterTransport(createRoutes(createServiceImplementations(local, options.routes)), {
    router: { interceptors: [namespaceFromHeader, errorInterceptor] },
  });
  return { db, store, exchange, transport, client: createBerthClient(transport, { namespace: "default" }) };
}

import { type Plugin, PluginSchema } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import { StatusSchema } from "@berth/gen/google/rpc/status_pb.js";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";

/** containerd's plugin types that Berth's parts are instances of. */
const TYPE = {
  metadata: "io.containerd.metadata.v1",
  event: "io.containerd.event.v1",
  service: "io.containerd.service.v1",
  grpc: "io.containerd.grpc.v1",
  /** Berth's own type: what berthd serves over HTTP besides RPCs. */
  web: "io.berth.web.v1",
} as const;

/** Options of {@link berthPlugins}. */
export interface PluginCatalogOptions {
  /** Where the LevelDB database lives, exported as the metadata plugin's `path`. */
  readonly databasePath?: string | undefined;
  /** The web app: served from `root`, or skipped and why. */
  readonly webApp?: { readonly root: string } | { readonly skipped: string } | undefined;
}

/**
 * berthd described in containerd's plugin taxonomy, in the order containerd
 * registers the same parts: the metadata store (LevelDB here, bolt there), the
 * event exchange, the service plugins over them, and one gRPC plugin per served
 * API with containerd's ids and requirements. A part that did not start carries
 * an init error whose message ends in `skip plugin`, which ctr shows as `skip`.
 */
export function berthPlugins(options: PluginCatalogOptions = {}): Plugin[] {
  const plugin = (type: string, id: string, requires: string[] = [], exports: Record<string, string> = {}) =>
    create(PluginSchema, { type, id, requires, exports });
  const metadataExports: Record<string, string> = { backend: "leveldb" };
  if (options.databasePath !== undefined) metadataExports.path = options.databasePath;
  const plugins = [
    plugin(TYPE.metadata, "leveldb", [], metadataExports),
    plugin(TYPE.event, "exchange"),
    plugin(TYPE.service, "introspection-service"),
    plugin(TYPE.service, "containers-service", [TYPE.event, TYPE.metadata]),
    plugin(TYPE.service, "leases-service", [TYPE.metadata]),
    plugin(TYPE.service, "namespaces-service", [TYPE.event, TYPE.metadata]),
    plugin(TYPE.grpc, "introspection", [TYPE.service]),
    plugin(TYPE.grpc, "containers", [TYPE.service]),
    plugin(TYPE.grpc, "events", [TYPE.event]),
    plugin(TYPE.grpc, "healthcheck"),
    plugin(TYPE.grpc, "leases", [TYPE.service]),
    plugin(TYPE.grpc, "namespaces", [TYPE.service]),
    plugin(TYPE.grpc, "tasks", [TYPE.service]),
    plugin(TYPE.grpc, "version"),
    plugin(TYPE.grpc, "reflection"),
  ];
  const webApp = options.webApp ?? { skipped: "no TCP listener (--listen)" };
  if ("root" in webApp) plugins.push(plugin(TYPE.web, "dashboard", [TYPE.grpc], { root: webApp.root }));
  else {
    const dashboard = plugin(TYPE.web, "dashboard", [TYPE.grpc]);
    dashboard.initErr = create(StatusSchema, { code: Code.Unknown, message: `${webApp.skipped}: skip plugin` });
    plugins.push(dashboard);
  }
  return plugins;
}

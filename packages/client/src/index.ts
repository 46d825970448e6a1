/**
 * The Berth client, shared by the CLI (Node) and browser apps: typed service
 * clients over any Connect transport. Build the transport with
 * `@berth/client/node` or `@berth/client/web`.
 */
import { PagesService } from "@berth/gen/berth/containers/v1/pages_pb.js";
import { HistoryService } from "@berth/gen/berth/events/v1/history_pb.js";
import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Images } from "@berth/gen/containerd/services/images/v1/images_pb.js";
import { Introspection } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import { Leases } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { Namespaces } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { Snapshots } from "@berth/gen/containerd/services/snapshots/v1/snapshots_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import { Health } from "@berth/gen/grpc/health/v1/health_pb.js";
import { DEFAULT_NAMESPACE, NAMESPACE_HEADER } from "@berth/shared/headers";
import { type Client, createClient, type Transport } from "@connectrpc/connect";

export { DEFAULT_NAMESPACE, NAMESPACE_HEADER };

/** Options of {@link createBerthClient}. */
export interface BerthClientOptions {
  /** Namespace sent with every call that does not set its own header (default `default`). */
  readonly namespace?: string;
}

/** Typed clients for the services berthd serves (or forwards to containerd), all in one namespace. */
export interface BerthClient {
  /** The namespace this client sends. */
  readonly namespace: string;
  /** `containerd.services.containers.v1.Containers` */
  readonly containers: Client<typeof Containers>;
  /** `containerd.services.namespaces.v1.Namespaces` (Get and List ignore the namespace header). */
  readonly namespaces: Client<typeof Namespaces>;
  /** `containerd.services.leases.v1.Leases` */
  readonly leases: Client<typeof Leases>;
  /** `containerd.services.events.v1.Events` (Subscribe sees every namespace unless filtered). */
  readonly events: Client<typeof Events>;
  /** `grpc.health.v1.Health` */
  readonly health: Client<typeof Health>;
  /** `berth.events.v1.HistoryService`: the durable event history (List, Subscribe after a sequence). */
  readonly history: Client<typeof HistoryService>;
  /** `berth.containers.v1.PagesService`: containers a page at a time, with a total (standalone berthd). */
  readonly pages: Client<typeof PagesService>;
  /** `containerd.services.introspection.v1.Introspection`: the server's plugins. */
  readonly introspection: Client<typeof Introspection>;
  /** `containerd.services.tasks.v1.Tasks`: served by a containerd behind berthd (gateway mode); standalone berthd serves only Get. */
  readonly tasks: Client<typeof Tasks>;
  /** `containerd.services.images.v1.Images`: a containerd behind berthd only. */
  readonly images: Client<typeof Images>;
  /** `containerd.services.snapshots.v1.Snapshots`: a containerd behind berthd only. */
  readonly snapshots: Client<typeof Snapshots>;
  /** The same client in another namespace, sharing the transport. */
  withNamespace(namespace: string): BerthClient;
}

/**
 * Creates the client. The namespace travels as the `containerd-namespace`
 * header; a call may still send its own with `{ headers: { "containerd-namespace": … } }`.
 */
export function createBerthClient(transport: Transport, options: BerthClientOptions = {}): BerthClient {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const namespaced = withDefaultHeader(transport, NAMESPACE_HEADER, namespace);
  return {
    namespace,
    containers: createClient(Containers, namespaced),
    namespaces: createClient(Namespaces, namespaced),
    leases: createClient(Leases, namespaced),
    events: createClient(Events, namespaced),
    health: createClient(Health, namespaced),
    history: createClient(HistoryService, namespaced),
    pages: createClient(PagesService, namespaced),
    introspection: createClient(Introspection, namespaced),
    tasks: createClient(Tasks, namespaced),
    images: createClient(Images, namespaced),
    snapshots: createClient(Snapshots, namespaced),
    withNamespace: (other) => createBerthClient(transport, { namespace: other }),
  };
}

/** A transport that adds `name: value` to every call that has no such header yet. */
function withDefaultHeader(transport: Transport, name: string, value: string): Transport {
  const completed = (header: ConstructorParameters<typeof Headers>[0]) => {
    const headers = new Headers(header);
    if (!headers.has(name)) headers.set(name, value);
    return headers;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.unary(method, signal, timeoutMs, completed(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      transport.stream(method, signal, timeoutMs, completed(header), input, contextValues),
  };
}

export type { Interceptor } from "@connectrpc/connect";
export { Code, ConnectError } from "@connectrpc/connect";

/**
 * The live feed against a scripted fake client: listing, event-driven
 * refreshes, races between a listing and events, filter errors, reconnects.
 */
import { type BerthClient, Code, ConnectError } from "@berth/client";
import { ContainerCreateSchema, ContainerDeleteSchema } from "@berth/gen/containerd/events/container_pb.js";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it, vi } from "vitest";
import { type ConnectionState, createContainerFeed, type ListState } from "../src/live/container-feed.js";
import { createContainerStore } from "../src/model/container-store.js";

/** An async queue a test pushes into; iteration ends on `end`, throws on `fail` or abort. */
function channel<T>(signal?: AbortSignal) {
  const items: T[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  signal?.addEventListener("abort", poke);
  return {
    push(item: T) {
      items.push(item);
      poke();
    },
    end() {
      ended = true;
      poke();
    },
    fail(error: unknown) {
      failure = error;
      poke();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (signal?.aborted) throw new ConnectError("aborted", Code.Canceled);
        const item = items.shift();
        if (item !== undefined) yield item;
        else if (failure !== undefined) throw failure;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

type Channel<T> = ReturnType<typeof channel<T>>;

let clock = 1_000;
const record = (id: string, labels: Record<string, string> = {}) =>
  create(ContainerSchema, { id, labels, updatedAt: timestampFromMs(clock++) });

const event = (topic: string, id: string): Envelope => {
  const value =
    topic === "/containers/delete"
      ? toBinary(ContainerDeleteSchema, create(ContainerDeleteSchema, { id }))
      : toBinary(ContainerCreateSchema, create(ContainerCreateSchema, { id }));
  return create(EnvelopeSchema, { topic, namespace: "ns", event: { typeUrl: "containerd.events.X", value } });
};

/** A fake server: containers in a map, listings either immediate or scripted, one subscription at a time. */
function fakeServer() {
  const containers = new Map<string, Container>();
  const subscriptions: Channel<Envelope>[] = [];
  const listings: Channel<{ container: Container }>[] = [];
  const server = {
    containers,
    subscriptions,
    listings,
    /** When set, the next listings are scripted by the test through `listings`. */
    scripted: false,
    listFailure: undefined as unknown,
    requests: [] as string[],
  };
  const client = {
    namespace: "ns",
    withNamespace: () => client,
    containers: {
      listStream(request: { filters: string[] }, options: { signal: AbortSignal }) {
        server.requests.push(`list ${request.filters.join("|")}`);
        const stream = channel<{ container: Container }>(options.signal);
        if (server.listFailure !== undefined) stream.fail(server.listFailure);
        else if (server.scripted) listings.push(stream);
        else {
          for (const id of [...containers.keys()].sort()) stream.push({ container: containers.get(id) as Container });
          stream.end();
        }
        return stream;
      },
      async get(request: { id: string }) {
        server.requests.push(`get ${request.id}`);
        const found = containers.get(request.id);
        if (found === undefined) throw new ConnectError(`container "${request.id}" not found`, Code.NotFound);
        return { container: found };
      },
    },
    events: {
      subscribe(_request: unknown, options: { signal: AbortSignal }) {
        const stream = channel<Envelope>(options.signal);
        subscriptions.push(stream);
        return stream;
      },
    },
  };
  return { server, client: client as unknown as BerthClient };
}

function startFeed(client: BerthClient, filter = "") {
  const store = createContainerStore();
  const states: ConnectionState[] = [];
  const lists: ListState[] = [];
  const feed = createContainerFeed({
    client,
    store,
    onConnection: (state) => states.push(state),
    onList: (state) => lists.push(state),
    backoff: { initialMs: 1, maxMs: 5 },
  });
  feed.show({ namespace: "ns", filter });
  const ids = () => Array.from({ length: store.size }, (_, index) => store.at(index)?.id);
  return { feed, store, states, lists, ids };
}

describe("container feed", () => {
  it("lists, then follows create, update and delete events", async () => {
    const { server, client } = fakeServer();
    server.containers.set("b", record("b"));
    server.containers.set("a", record("a"));
    const { feed, states, ids, store } = startFeed(client);
    await vi.waitFor(() => expect(ids()).toEqual(["a", "b"]));
    expect(states.at(-1)).toBe("connected");
    server.containers.set("c", record("c"));
    server.subscriptions[0]?.push(event("/containers/create", "c"));
    await vi.waitFor(() => expect(ids()).toEqual(["a", "b", "c"]));
    server.containers.set("a", record("a", { env: "prod" }));
    server.subscriptions[0]?.push(event("/containers/update", "a"));
    await vi.waitFor(() => expect(store.get("a")?.labels).toEqual({ env: "prod" }));
    server.subscriptions[0]?.push(event("/containers/delete", "b"));
    await vi.waitFor(() => expect(ids()).toEqual(["a", "c"]));
    feed.dispose();
  });

  it("does not let a listing's older snapshot bring back a container deleted meanwhile", async () => {
    const { server, client } = fakeServer();
    server.scripted = true;
    const { feed, ids } = startFeed(client);
    await vi.waitFor(() => expect(server.listings).toHaveLength(1));
    const listing = server.listings[0];
    listing?.push({ container: record("a") });
    await vi.waitFor(() => expect(ids()).toEqual(["a"]));
    server.subscriptions[0]?.push(event("/containers/delete", "b"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    listing?.push({ container: record("b") });
    listing?.push({ container: record("c") });
    listing?.end();
    await vi.waitFor(() => expect(ids()).toEqual(["a", "c"]));
    feed.dispose();
  });

  it("refreshes through the user's filter, dropping containers that no longer match", async () => {
    const { server, client } = fakeServer();
    const { feed, ids, store } = startFeed(client, "labels.env==dev");
    await vi.waitFor(() => expect(server.requests).toEqual(["list labels.env==dev"]));
    server.scripted = true;
    server.subscriptions[0]?.push(event("/containers/create", "web"));
    await vi.waitFor(() => expect(server.listings).toHaveLength(1));
    expect(server.requests.at(-1)).toBe('list id=="web",labels.env==dev');
    server.listings[0]?.push({ container: record("web", { env: "dev" }) });
    server.listings[0]?.end();
    await vi.waitFor(() => expect(ids()).toEqual(["web"]));
    server.subscriptions[0]?.push(event("/containers/update", "web"));
    await vi.waitFor(() => expect(server.listings).toHaveLength(2));
    server.listings[1]?.end();
    await vi.waitFor(() => expect(store.size).toBe(0));
    feed.dispose();
  });

  it("shows the server's message for a rejected filter and stays connected", async () => {
    const { server, client } = fakeServer();
    server.listFailure = new ConnectError(
      'filters: parse error: [id >|=|< x]: unsupported operator "="',
      Code.InvalidArgument,
    );
    const { feed, lists, states } = startFeed(client, "id=x");
    await vi.waitFor(() =>
      expect(lists.at(-1)).toEqual({
        loading: false,
        error: 'filters: parse error: [id >|=|< x]: unsupported operator "="',
      }),
    );
    expect(states).toEqual(["connected"]);
    server.listFailure = undefined;
    feed.show({ namespace: "ns", filter: "" });
    await vi.waitFor(() => expect(lists.at(-1)).toEqual({ loading: false, error: undefined }));
    feed.dispose();
  });

  it("reconnects when the event stream ends and lists again", async () => {
    const { server, client } = fakeServer();
    server.containers.set("old", record("old"));
    const { feed, states, ids } = startFeed(client);
    await vi.waitFor(() => expect(ids()).toEqual(["old"]));
    server.containers.delete("old");
    server.containers.set("new", record("new"));
    server.subscriptions[0]?.fail(new ConnectError("fetch failed", Code.Unavailable));
    await vi.waitFor(() => expect(ids()).toEqual(["new"]));
    expect(states).toEqual(["connected", "reconnecting", "connected"]);
    expect(server.subscriptions).toHaveLength(2);
    feed.dispose();
  });
});

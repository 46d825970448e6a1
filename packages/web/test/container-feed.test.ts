/**
 * The live feed against a scripted fake client: listing, event-driven
 * refreshes, races between a listing and events, filter errors, reconnects.
 */
import { type BerthClient, Code, ConnectError } from "@berth/client";
import { type Event, EventSchema } from "@berth/gen/berth/events/v1/history_pb.js";
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

const stored = (sequence: bigint, topic: string, id: string): { event: Event } => {
  const envelope = event(topic, id);
  return {
    event: create(EventSchema, { sequence, topic, namespace: envelope.namespace, event: envelope.event }),
  };
};

const event = (topic: string, id: string): Envelope => {
  const value =
    topic === "/containers/delete"
      ? toBinary(ContainerDeleteSchema, create(ContainerDeleteSchema, { id }))
      : toBinary(ContainerCreateSchema, create(ContainerCreateSchema, { id }));
  return create(EnvelopeSchema, { topic, namespace: "ns", event: { typeUrl: "containerd.events.X", value } });
};

/** A fake server: containers in a map, listings either immediate or scripted, one subscription at a time. */
function fakeServer(options: { history?: boolean } = {}) {
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
    /** The history's subscriptions (with a history), one at a time. */
    historySubscriptions: [] as Channel<{ event: Event }>[],
    /** When set, resuming is refused: the history moved past the feed. */
    historyGone: false,
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
    history: {
      subscribe(request: { after?: bigint }, subscribeOptions: { signal: AbortSignal }) {
        const stream = channel<{ event: Event }>(subscribeOptions.signal);
        if (options.history !== true) stream.fail(new ConnectError("unknown service", Code.Unimplemented));
        else {
          server.requests.push(`history after ${request.after ?? "none"}`);
          server.historySubscriptions.push(stream);
        }
        return stream;
      },
      async list(request: { after?: bigint }) {
        if (options.history !== true) throw new ConnectError("unknown service", Code.Unimplemented);
        if (server.historyGone) throw new ConnectError(`events after ${request.after} are gone`, Code.OutOfRange);
        return { events: [] };
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
  it("follows berthd's event history, and after a reconnection resumes after the last event without listing again", async () => {
    const { server, client } = fakeServer({ history: true });
    server.containers.set("a", record("a"));
    const { ids } = startFeed(client);
    await vi.waitFor(() => expect(ids()).toEqual(["a"]));
    await vi.waitFor(() => expect(server.historySubscriptions).toHaveLength(1));
    server.containers.set("c", record("c"));
    server.historySubscriptions[0]?.push(stored(7n, "/containers/create", "c"));
    await vi.waitFor(() => expect(ids()).toEqual(["a", "c"]));
    // The connection drops; meanwhile a is deleted.
    server.containers.delete("a");
    server.historySubscriptions[0]?.fail(new ConnectError("connection lost", Code.Unavailable));
    await vi.waitFor(() => expect(server.historySubscriptions).toHaveLength(2));
    server.historySubscriptions[1]?.push(stored(8n, "/containers/delete", "a"));
    await vi.waitFor(() => expect(ids()).toEqual(["c"]));
    expect(server.requests.filter((request) => request.startsWith("list"))).toHaveLength(1);
    expect(server.requests).toContain("history after 7");
    // A history that moved past the feed: it lists again.
    server.historyGone = true;
    server.historySubscriptions[1]?.fail(new ConnectError("connection lost", Code.Unavailable));
    await vi.waitFor(() => expect(server.requests.filter((request) => request.startsWith("list"))).toHaveLength(2));
  });

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
        error: 'InvalidArgument: filters: parse error: [id >|=|< x]: unsupported operator "="',
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

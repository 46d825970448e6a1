import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BerthClient, createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { ContainerCreateSchema, ContainerDeleteSchema } from "@berth/gen/containerd/events/container_pb.js";
import { NamespaceUpdateSchema } from "@berth/gen/containerd/events/namespace_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { MemoryLevel } from "memory-level";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.js";
import { createHandlers } from "../../src/daemon.js";
import { createExchange, type Exchange } from "../../src/events/exchange.js";
import type { Database } from "../../src/store/layout.js";
import { createLevelStore } from "../../src/store/level-store.js";
import { type Listener, listenUnix } from "../../src/transport/listeners.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

const WAIT_MS = 3000;
const PING_TOPIC = "/e2e/ping";

function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A Subscribe stream read one envelope at a time, with timeouts. */
interface Stream {
  readonly controller: AbortController;
  /** The next envelope, or `done` when the stream ended cleanly; rejects on a stream error or timeout. */
  next(ms?: number): Promise<IteratorResult<Envelope>>;
  /** Envelopes until one with `topic` (excluded), skipping pings. */
  until(topic: string): Promise<Envelope[]>;
}

function open(client: BerthClient, filters: string[] = []): Stream {
  const controller = new AbortController();
  const iterator = client.events.subscribe({ filters }, { signal: controller.signal })[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Envelope>> | undefined;
  const next = async (ms = WAIT_MS) => {
    const current = pending ?? iterator.next();
    pending = current;
    current.catch(() => undefined);
    const result = await withTimeout(current, "the subscription", ms);
    pending = undefined;
    return result;
  };
  return {
    controller,
    next,
    async until(topic) {
      const seen: Envelope[] = [];
      for (;;) {
        const result = await next();
        if (result.done) throw new Error("the stream ended");
        if (result.value.topic === topic) return seen;
        if (result.value.topic !== PING_TOPIC) seen.push(result.value);
      }
    },
  };
}

/**
 * Waits until the daemon has registered the subscription: publishes pings (in
 * `namespace`) until the stream delivers one. Subscribe has no acknowledgement.
 */
async function ready(stream: Stream, publisher: BerthClient): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    await publisher.events.publish({ topic: PING_TOPIC });
    const result = await stream.next(50).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith("timed out")) return undefined;
      throw error;
    });
    if (result !== undefined) {
      if (result.done) throw new Error("the stream ended");
      if (result.value.topic === PING_TOPIC) return;
    }
    if (Date.now() > deadline) throw new Error("timed out waiting for the subscription to start");
  }
}

describe("berthd process", () => {
  let berthd: BerthdProcess;
  const streams: Stream[] = [];
  beforeAll(async () => {
    berthd = await startBerthdProcess({ extraArgs: ["--log-level", "debug"] });
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.controller.abort();
  });
  afterAll(async () => {
    expect(await berthd.stop()).toBe(0);
    await berthd.dispose();
  });

  const client = (namespace: string) =>
    createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace });

  it("streams the events of writes made by a second client", async () => {
    const watcher = client("watcher");
    const writer = client("e2e");
    const stream = open(watcher, ["namespace==e2e"]);
    streams.push(stream);
    await ready(stream, writer);

    await writer.containers.create({ container: newContainer({ id: "min", runtime: { name: "rt" } }) });
    await writer.namespaces.update({
      namespace: { name: "e2e", labels: { k: "v" } },
      updateMask: { paths: ["labels.k"] },
    });
    await writer.containers.delete({ id: "min" });
    await client("elsewhere").containers.create({ container: newContainer({ id: "other" }) });
    await writer.events.publish({ topic: "/e2e/done" });

    const seen = await stream.until("/e2e/done");
    expect(seen.map((e) => [e.namespace, e.topic, e.event?.typeUrl])).toEqual([
      ["e2e", "/containers/create", "containerd.events.ContainerCreate"],
      ["e2e", "/namespaces/update", "containerd.events.NamespaceUpdate"],
      ["e2e", "/containers/delete", "containerd.events.ContainerDelete"],
    ]);
    expect(Buffer.from(seen[0]?.event?.value ?? []).toString("hex")).toBe("0a036d696e1a040a027274");
    expect(fromBinary(ContainerCreateSchema, seen[0]?.event?.value ?? new Uint8Array()).runtime?.name).toBe("rt");
    expect(fromBinary(NamespaceUpdateSchema, seen[1]?.event?.value ?? new Uint8Array()).labels).toEqual({ k: "v" });
    expect(fromBinary(ContainerDeleteSchema, seen[2]?.event?.value ?? new Uint8Array()).id).toBe("min");
  });

  it("delivers to several subscribers, each with its own filter", async () => {
    const writer = client("fan");
    const all = open(client("w1"), ['namespace==fan,topic~="^/(containers|e2e)/"']);
    const creates = open(client("w2"), [
      'namespace==fan,topic=="/containers/create"',
      `topic=="${PING_TOPIC}"`,
      'topic=="/e2e/done"',
    ]);
    streams.push(all, creates);
    await ready(all, writer);
    await ready(creates, writer);
    await writer.containers.create({ container: newContainer({ id: "f1" }) });
    await writer.containers.delete({ id: "f1" });
    await writer.events.publish({ topic: "/e2e/done" });
    expect((await all.until("/e2e/done")).map((e) => e.topic)).toEqual(["/containers/create", "/containers/delete"]);
    expect((await creates.until("/e2e/done")).map((e) => e.topic)).toEqual(["/containers/create"]);
  });

  it("ends the server side of a subscription the client cancels", async () => {
    const writer = client("cancel");
    const stream = open(client("w"), ["namespace==cancel"]);
    await ready(stream, writer);
    const logged = () =>
      berthd
        .stderr()
        .split("\n")
        .filter((line) => line.includes("containerd.services.events.v1.Events/Subscribe"));
    const before = logged().length;
    stream.controller.abort();
    await expect(stream.next()).rejects.toMatchObject({ name: "ConnectError" });
    // The daemon logs a stream when it ends: its subscription is gone.
    await until(() => logged().length > before, "berthd to end the subscription");
    // The daemon keeps serving others.
    const other = open(client("w"), ["namespace==cancel"]);
    streams.push(other);
    await ready(other, writer);
  });
});

describe("berthd shutdown", () => {
  it("ends open subscriptions cleanly on SIGTERM and exits 0 within seconds", async () => {
    const berthd = await startBerthdProcess();
    try {
      const transport = createNodeTransport({ address: berthd.socket });
      const stream = open(createBerthClient(transport, { namespace: "watcher" }));
      const quiet = open(createBerthClient(transport, { namespace: "watcher" }), [
        "namespace==nobody",
        `topic=="${PING_TOPIC}"`,
      ]);
      const publisher = createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: "ns" });
      await ready(stream, publisher);
      await ready(quiet, publisher);
      const started = Date.now();
      const exit = berthd.stop();
      // Both streams end without an error, whatever they had received.
      for (const s of [stream, quiet]) {
        let result = await s.next(4000);
        while (!result.done) result = await s.next(4000);
        expect(result.done).toBe(true);
      }
      expect(await withTimeout(exit, "berthd to exit", 4000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await berthd.dispose();
    }
  });
});

describe("in-process berthd handler over HTTP/2", () => {
  let dir: string;
  let exchange: Exchange;
  let listener: Listener;
  let socket: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-events-"));
    socket = join(dir, "berth.sock");
    const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
    const store = await createLevelStore(db as unknown as Database);
    exchange = createExchange();
    listener = await listenUnix(createHandlers(store, exchange, pino({ level: "silent" })).unix, {
      path: socket,
      limits: { maxConnections: DEFAULT_LIMITS.maxConnections, h2: DEFAULT_LIMITS.h2 },
    });
  });
  afterAll(async () => {
    exchange.close();
    await listener.close(500);
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["grpc", "connect"] as const)("removes a subscriber that cancels (%s)", async (protocol) => {
    const client = createBerthClient(createNodeTransport({ address: socket, protocol }), { namespace: "ns" });
    const before = exchange.subscribers;
    const stream = open(client);
    await ready(stream, client);
    expect(exchange.subscribers).toBe(before + 1);
    // Envelopes were delivered and more are on their way when the client goes.
    for (let i = 0; i < 20; i++) await client.events.publish({ topic: "/more" });
    stream.controller.abort();
    await until(() => exchange.subscribers === before, "the subscriber to be removed");
    await client.events.publish({ topic: "/after" });
    expect(exchange.subscribers).toBe(before);
  });

  it("removes a subscriber that stops reading and then cancels", async () => {
    const client = createBerthClient(createNodeTransport({ address: socket }), { namespace: "ns" });
    const stream = open(client);
    await ready(stream, client);
    // Enough bytes to fill HTTP/2 flow-control windows while the client reads nothing.
    const value = new Uint8Array(4096);
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(
        Array.from({ length: 16 }, () => client.events.publish({ topic: "/bulk", event: { typeUrl: "x", value } })),
      );
    }
    expect(exchange.subscribers).toBe(1);
    stream.controller.abort();
    await until(() => exchange.subscribers === 0, "the subscriber to be removed");
  });
});

import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import {
  NamespaceCreateSchema,
  NamespaceDeleteSchema,
  NamespaceUpdateSchema,
} from "@berth/gen/containerd/events/namespace_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Tasks } from "@berth/gen/containerd/services/tasks/v1/tasks_pb.js";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, TimestampSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newContainer } from "../support/containers.js";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";
import { until, WAIT_MS } from "../support/until.js";

const ID_PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const SENTINEL_TOPIC = "/test/sentinel";

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
const open: Subscription[] = [];
beforeEach(async () => {
  berth = await createInMemoryBerth();
});
afterEach(async () => {
  for (const subscription of open.splice(0)) await subscription.close();
});

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Subscription {
  /** The next envelope (fails after a timeout). */
  next(): Promise<Envelope>;
  /**
   * Publishes a sentinel event and returns everything received before it. The
   * subscription's filters are ORed with `topic=="<sentinel>"`, so this is exactly
   * what matched, in order.
   */
  drain(): Promise<Envelope[]>;
  close(): Promise<void>;
}

/** Subscribes and waits until the exchange has registered the subscriber. */
async function subscribe(filters: string[] = []): Promise<Subscription> {
  const controller = new AbortController();
  const before = berth.exchange.subscribers;
  const withSentinel = filters.length === 0 ? [] : [...filters, `topic=="${SENTINEL_TOPIC}"`];
  const iterator = berth.client.events
    .subscribe({ filters: withSentinel }, { signal: controller.signal })
    [Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Envelope>> | undefined = iterator.next();
  pending.catch(() => undefined);
  await until(() => berth.exchange.subscribers > before, "the subscriber to register");
  const next = async () => {
    const current = pending ?? iterator.next();
    pending = current;
    const result = await withTimeout(current, "an envelope");
    pending = undefined;
    if (result.done) throw new Error("the stream ended");
    return result.value;
  };
  const subscription: Subscription = {
    next,
    async drain() {
      await berth.client.events.publish({ topic: SENTINEL_TOPIC });
      const received: Envelope[] = [];
      for (;;) {
        const envelope = await next();
        if (envelope.topic === SENTINEL_TOPIC) return received;
        received.push(envelope);
      }
    },
    async close() {
      controller.abort();
      await pending?.catch(() => undefined);
    },
  };
  open.push(subscription);
  return subscription;
}

function decode<Desc extends DescMessage>(schema: Desc, envelope: Envelope | undefined): MessageShape<Desc> {
  expect(envelope?.event?.typeUrl).toBe(schema.typeName);
  return fromBinary(schema, envelope?.event?.value ?? new Uint8Array());
}

function summary(envelope: Envelope): [string, string, string] {
  return [envelope.namespace, envelope.topic, envelope.event?.typeUrl ?? ""];
}

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("hex");

describe("container events", () => {
  it("publishes containerd's exact ContainerCreate bytes (spec §9 example)", async () => {
    const subscription = await subscribe();
    const before = Date.now();
    await berth.client.containers.create({ container: newContainer({ id: "min", runtime: { name: "rt" } }) });
    const envelope = await subscription.next();
    expect(envelope.namespace).toBe("default");
    expect(envelope.topic).toBe("/containers/create");
    expect(envelope.event?.typeUrl).toBe("containerd.events.ContainerCreate");
    expect(hex(envelope.event?.value)).toBe("0a036d696e1a040a027274");
    const at = timestampDate(envelope.timestamp ?? create(TimestampSchema)).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
  });

  it("carries image and runtime options in ContainerCreate", async () => {
    const subscription = await subscribe();
    const options = create(AnySchema, { typeUrl: "containerd.runc.v1.Options", value: new Uint8Array([8, 1]) });
    await berth.client.withNamespace("ns1").containers.create({
      container: newContainer({ id: "c1", image: "busybox", runtime: { name: "io.containerd.runc.v2", options } }),
    });
    const envelope = await subscription.next();
    expect(summary(envelope)).toEqual(["ns1", "/containers/create", "containerd.events.ContainerCreate"]);
    const payload = decode(ContainerCreateSchema, envelope);
    expect(payload.id).toBe("c1");
    expect(payload.image).toBe("busybox");
    expect(payload.runtime?.name).toBe("io.containerd.runc.v2");
    expect(payload.runtime?.options?.typeUrl).toBe("containerd.runc.v1.Options");
    expect(payload.runtime?.options?.value).toEqual(new Uint8Array([8, 1]));
  });

  it("publishes ContainerUpdate with the stored id, image, labels and snapshot key", async () => {
    await berth.client.containers.create({
      container: newContainer({ id: "c1", image: "img", labels: { a: "1" }, snapshotter: "s", snapshotKey: "k" }),
    });
    const subscription = await subscribe();
    await berth.client.containers.update({
      container: { id: "c1", labels: { b: "2", a: "" } },
      updateMask: { paths: ["labels.b", "labels.a"] },
    });
    const envelope = await subscription.next();
    expect(summary(envelope)).toEqual(["default", "/containers/update", "containerd.events.ContainerUpdate"]);
    const payload = decode(ContainerUpdateSchema, envelope);
    expect(payload.id).toBe("c1");
    expect(payload.image).toBe("img");
    expect(payload.labels).toEqual({ b: "2" });
    expect(payload.snapshotKey).toBe("k");
  });

  it("publishes ContainerDelete with the id", async () => {
    await berth.client.containers.create({ container: newContainer({ id: "c1" }) });
    const subscription = await subscribe();
    await berth.client.containers.delete({ id: "c1" });
    const envelope = await subscription.next();
    expect(summary(envelope)).toEqual(["default", "/containers/delete", "containerd.events.ContainerDelete"]);
    expect(decode(ContainerDeleteSchema, envelope).id).toBe("c1");
    expect(hex(envelope.event?.value)).toBe("0a026331");
  });

  it("publishes nothing for failed calls", async () => {
    await berth.client.containers.create({ container: newContainer({ id: "c1" }) });
    const subscription = await subscribe(["namespace==default"]);
    await expectStatus(
      berth.client.containers.create({ container: newContainer({ id: "c1" }) }),
      Code.AlreadyExists,
      'container "c1": already exists',
    );
    await berth.client.containers.create({ container: newContainer({ id: "c2", spec: undefined }) }).catch(() => {});
    await berth.client.containers.update({ container: { id: "nope" } }).catch(() => {});
    await berth.client.containers.delete({ id: "nope" }).catch(() => {});
    await berth.client.namespaces.create({ namespace: { name: "Bad Name" } }).catch(() => {});
    await berth.client.namespaces.delete({ name: "nope" }).catch(() => {});
    await berth.client.namespaces.delete({ name: "default" }).catch(() => {});
    expect(await subscription.drain()).toEqual([]);
  });
});

describe("namespace events", () => {
  it("publishes NamespaceCreate with the request's name and labels as given", async () => {
    const subscription = await subscribe();
    await berth.client.namespaces.create({ namespace: { name: "n1", labels: { a: "1", empty: "" } } });
    const envelope = await subscription.next();
    expect(summary(envelope)).toEqual(["default", "/namespaces/create", "containerd.events.NamespaceCreate"]);
    const payload = decode(NamespaceCreateSchema, envelope);
    expect(payload.name).toBe("n1");
    expect(payload.labels).toEqual({ a: "1", empty: "" });
  });

  it("publishes NamespaceUpdate with the request's labels as given, with or without a mask", async () => {
    await berth.client.namespaces.create({ namespace: { name: "n1" } });
    const subscription = await subscribe();
    await berth.client.withNamespace("caller").namespaces.update({
      namespace: { name: "n1", labels: { a: "1", gone: "", unmasked: "x" } },
      updateMask: { paths: ["labels.a", "labels.gone"] },
    });
    await berth.client.namespaces.update({ namespace: { name: "n1", labels: { b: "" } } });
    const [masked, full] = [await subscription.next(), await subscription.next()];
    expect(summary(masked)).toEqual(["caller", "/namespaces/update", "containerd.events.NamespaceUpdate"]);
    expect(decode(NamespaceUpdateSchema, masked)).toMatchObject({
      name: "n1",
      labels: { a: "1", gone: "", unmasked: "x" },
    });
    expect(summary(full)).toEqual(["default", "/namespaces/update", "containerd.events.NamespaceUpdate"]);
    expect(decode(NamespaceUpdateSchema, full)).toMatchObject({ name: "n1", labels: { b: "" } });
  });

  it("publishes NamespaceDelete under the deleted namespace's name", async () => {
    await berth.client.namespaces.create({ namespace: { name: "gone", labels: { a: "1" } } });
    const subscription = await subscribe();
    await berth.client.withNamespace("caller").namespaces.delete({ name: "gone" });
    await berth.client.namespaces.create({ namespace: { name: "gone2" } });
    await berth.client.withNamespace("").namespaces.delete({ name: "gone2" });
    const envelopes = [await subscription.next(), await subscription.next(), await subscription.next()];
    expect(envelopes.map(summary)).toEqual([
      ["gone", "/namespaces/delete", "containerd.events.NamespaceDelete"],
      ["default", "/namespaces/create", "containerd.events.NamespaceCreate"],
      ["gone2", "/namespaces/delete", "containerd.events.NamespaceDelete"],
    ]);
    expect(decode(NamespaceDeleteSchema, envelopes[0]).name).toBe("gone");
    expect(hex(envelopes[0]?.event?.value)).toBe("0a04676f6e65");
  });

  // Deliberate deviation (docs/compatibility.md): containerd commits, then fails with Unknown.
  it.each([
    ["missing", ""],
    ["invalid", "Bad NS"],
  ])("publishes create/update under the namespace's own name when the header is %s", async (_, header) => {
    const subscription = await subscribe();
    const caller = berth.client.withNamespace(header);
    await caller.namespaces.create({ namespace: { name: "own" } });
    await caller.namespaces.update({ namespace: { name: "own", labels: { a: "1" } } });
    const envelopes = [await subscription.next(), await subscription.next()];
    expect(envelopes.map(summary)).toEqual([
      ["own", "/namespaces/create", "containerd.events.NamespaceCreate"],
      ["own", "/namespaces/update", "containerd.events.NamespaceUpdate"],
    ]);
  });
});

describe("Publish", () => {
  it("forwards the Any unchanged under the caller's namespace", async () => {
    const subscription = await subscribe();
    const event = create(AnySchema, {
      typeUrl: "type.googleapis.com/example.Custom",
      value: new Uint8Array([0xff, 0x00, 0x01]),
    });
    const before = Date.now();
    await berth.client.withNamespace("pub").events.publish({ topic: "/my/topic", event });
    const envelope = await subscription.next();
    expect(envelope.namespace).toBe("pub");
    expect(envelope.topic).toBe("/my/topic");
    expect(toBinary(AnySchema, envelope.event ?? create(AnySchema))).toEqual(toBinary(AnySchema, event));
    const at = timestampDate(envelope.timestamp ?? create(TimestampSchema)).getTime();
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
  });

  it("accepts a missing event", async () => {
    const subscription = await subscribe();
    await berth.client.events.publish({ topic: "/bare" });
    const envelope = await subscription.next();
    expect(envelope.topic).toBe("/bare");
    expect(envelope.event).toBeUndefined();
  });

  it("requires the namespace header before checking the topic", async () => {
    await expectStatus(
      berth.client.withNamespace("").events.publish({ topic: "bad" }),
      Code.FailedPrecondition,
      "failed publishing event: namespace is required: failed precondition",
    );
    await expectStatus(
      berth.client.withNamespace("Bad NS").events.publish({ topic: "/ok" }),
      Code.InvalidArgument,
      `failed publishing event: namespace validation: identifier "Bad NS" must match ${ID_PATTERN}: invalid argument`,
    );
  });

  it.each([
    ["", 'envelope topic "": must not be empty: invalid argument'],
    ["foo", "envelope topic \"foo\": must start with '/': invalid argument"],
    ["foo/bar", "envelope topic \"foo/bar\": must start with '/': invalid argument"],
    ["/", 'envelope topic "/": must have at least one component: invalid argument'],
    ["//a", 'envelope topic "//a": failed validation on component "": identifier must not be empty: invalid argument'],
    ["/a/", 'envelope topic "/a/": failed validation on component "": identifier must not be empty: invalid argument'],
    [
      "/a/Bad X",
      `envelope topic "/a/Bad X": failed validation on component "Bad X": identifier "Bad X" must match ${ID_PATTERN}: invalid argument`,
    ],
    [
      `/${"t".repeat(77)}`,
      `envelope topic "/${"t".repeat(77)}": failed validation on component "${"t".repeat(77)}": identifier "${"t".repeat(77)}" greater than maximum length (76 characters): invalid argument`,
    ],
  ])("rejects the topic %j", async (topic, message) => {
    const subscription = await subscribe([""]);
    await expectStatus(berth.client.events.publish({ topic }), Code.InvalidArgument, message);
    expect(await subscription.drain()).toEqual([]);
  });

  it("accepts topics of several identifier components", async () => {
    const subscription = await subscribe();
    for (const topic of ["/a", "/a.b/c-d/e_f", "/tasks/exit", "/A1/9"]) await berth.client.events.publish({ topic });
    const topics = [];
    for (let i = 0; i < 4; i++) topics.push((await subscription.next()).topic);
    expect(topics).toEqual(["/a", "/a.b/c-d/e_f", "/tasks/exit", "/A1/9"]);
  });
});

describe("Forward", () => {
  const timestamp = create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 42 });
  const event: Any = create(AnySchema, { typeUrl: "containerd.events.TaskExit", value: new Uint8Array([10, 1, 120]) });

  it("broadcasts a valid envelope unchanged, needing no header", async () => {
    const subscription = await subscribe();
    const envelope = create(EnvelopeSchema, { timestamp, namespace: "shim-ns", topic: "/tasks/exit", event });
    await berth.client.withNamespace("").events.forward({ envelope });
    const received = await subscription.next();
    expect(toBinary(EnvelopeSchema, received)).toEqual(toBinary(EnvelopeSchema, envelope));
  });

  it("accepts the Unix epoch as a timestamp (it is not Go's zero time)", async () => {
    const subscription = await subscribe();
    const epoch = create(TimestampSchema);
    await berth.client.events.forward({ envelope: { timestamp: epoch, namespace: "ns", topic: "/t", event } });
    expect((await subscription.next()).timestamp).toEqual(epoch);
  });

  it.each([
    [
      "an absent envelope",
      undefined,
      "event envelope has invalid namespace: identifier must not be empty: invalid argument",
    ],
    [
      "an empty namespace",
      { timestamp, namespace: "", topic: "/t" },
      "event envelope has invalid namespace: identifier must not be empty: invalid argument",
    ],
    [
      "a bad namespace (checked before the topic)",
      { timestamp, namespace: "Bad NS", topic: "bad" },
      `event envelope has invalid namespace: identifier "Bad NS" must match ${ID_PATTERN}: invalid argument`,
    ],
    [
      "a bad topic (checked before the timestamp)",
      { namespace: "ns", topic: "bad" },
      "envelope topic \"bad\": must start with '/': invalid argument",
    ],
    [
      "an empty topic",
      { timestamp, namespace: "ns", topic: "" },
      'envelope topic "": must not be empty: invalid argument',
    ],
    [
      "a topic with no component",
      { timestamp, namespace: "ns", topic: "/" },
      'envelope topic "/": must have at least one component: invalid argument',
    ],
    [
      "an absent timestamp",
      { namespace: "ns", topic: "/t" },
      "timestamp must be set on forwarded event: invalid argument",
    ],
    [
      "Go's zero time",
      { timestamp: { seconds: -62135596800n, nanos: 0 }, namespace: "ns", topic: "/t" },
      "timestamp must be set on forwarded event: invalid argument",
    ],
  ])("rejects %s", async (_, envelope, message) => {
    const subscription = await subscribe([""]);
    const request = envelope === undefined ? {} : { envelope };
    await expectStatus(berth.client.events.forward(request), Code.InvalidArgument, message);
    expect(await subscription.drain()).toEqual([]);
  });
});

describe("Subscribe", () => {
  async function produce(): Promise<void> {
    const a = berth.client.withNamespace("a");
    const b = berth.client.withNamespace("b");
    await a.containers.create({ container: newContainer({ id: "c1", image: "img1", runtime: { name: "rt1" } }) });
    await b.containers.create({ container: newContainer({ id: "c2", runtime: { name: "rt2" } }) });
    await a.containers.update({ container: { id: "c1", labels: { k: "v" } }, updateMask: { paths: ["labels.k"] } });
    await b.namespaces.create({ namespace: { name: "n1", labels: { k: "v" } } });
    await a.namespaces.update({ namespace: { name: "n1", labels: { k: "w" } } });
    await a.containers.delete({ id: "c1" });
    await b.events.publish({ topic: "/custom/x", event: { typeUrl: "x.Y", value: new Uint8Array([10, 1, 120]) } });
  }

  it("sees every namespace without filters, in order", async () => {
    const subscription = await subscribe();
    await produce();
    const seen = [];
    for (let i = 0; i < 7; i++) seen.push(summary(await subscription.next()));
    expect(seen).toEqual([
      ["a", "/containers/create", "containerd.events.ContainerCreate"],
      ["b", "/containers/create", "containerd.events.ContainerCreate"],
      ["a", "/containers/update", "containerd.events.ContainerUpdate"],
      ["b", "/namespaces/create", "containerd.events.NamespaceCreate"],
      ["a", "/namespaces/update", "containerd.events.NamespaceUpdate"],
      ["a", "/containers/delete", "containerd.events.ContainerDelete"],
      ["b", "/custom/x", "x.Y"],
    ]);
  });

  it.each([
    [["namespace==b"], ["b /containers/create", "b /namespaces/create", "b /custom/x"]],
    [['topic=="/containers/create"'], ["a /containers/create", "b /containers/create"]],
    [['topic~="^/namespaces/"'], ["b /namespaces/create", "a /namespaces/update"]],
    [["event.id==c1"], ["a /containers/create", "a /containers/update", "a /containers/delete"]],
    [["event.image==img1"], ["a /containers/create", "a /containers/update"]],
    [["event.runtime.name==rt2"], ["b /containers/create"]],
    [["event.labels.k==v"], ["a /containers/update", "b /namespaces/create"]],
    [["event.labels.k"], ["a /containers/update", "b /namespaces/create", "a /namespaces/update"]],
    [["event.name==n1"], ["b /namespaces/create", "a /namespaces/update"]],
    [['namespace==a,topic=="/containers/create"'], ["a /containers/create"]],
    [
      ["namespace==b", "event.id==c1"],
      [
        "a /containers/create",
        "b /containers/create",
        "a /containers/update",
        "b /namespaces/create",
        "a /containers/delete",
        "b /custom/x",
      ],
    ],
    [["event.timestamp"], []],
    [["timestamp"], []],
    [["event.x"], []],
  ])("filters with %j", async (filters, expected) => {
    const subscription = await subscribe(filters);
    await produce();
    const received = await subscription.drain();
    expect(received.map((envelope) => `${envelope.namespace} ${envelope.topic}`)).toEqual(expected);
  });

  it("does not replay events published before it started", async () => {
    await berth.client.containers.create({ container: newContainer({ id: "early" }) });
    await berth.client.events.publish({ topic: "/early" });
    const subscription = await subscribe([""]);
    await berth.client.events.publish({ topic: "/late" });
    expect((await subscription.drain()).map((envelope) => envelope.topic)).toEqual(["/late"]);
  });

  it("delivers to every subscriber", async () => {
    const [one, two] = [await subscribe(), await subscribe(["namespace==x"])];
    await berth.client.withNamespace("x").events.publish({ topic: "/fan/out" });
    expect((await one.next()).topic).toBe("/fan/out");
    expect((await two.next()).topic).toBe("/fan/out");
  });

  it("needs no namespace header", async () => {
    const controller = new AbortController();
    const stream = berth.client.withNamespace("").events.subscribe({}, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    first.catch(() => undefined);
    await until(() => berth.exchange.subscribers === 1, "the subscriber to register");
    await berth.client.events.publish({ topic: "/hello" });
    expect((await withTimeout(first, "an envelope")).value?.topic).toBe("/hello");
    controller.abort();
  });

  // Deliberate deviation (docs/compatibility.md): containerd answers Unknown with the same text.
  it.each([
    ["id=x", 'filters: parse error: [id >|=|< x]: unsupported operator "="'],
    // A bare value may not start with a quote rune: topics must be quoted.
    ["topic==/containers/create", "filters: parse error: [topic== >|/|< containers/create]: invalid quote encountered"],
  ])("rejects the bad filter %j with InvalidArgument", async (filter, parseError) => {
    const consume = async () => {
      for await (const _ of berth.client.events.subscribe({ filters: ["namespace==a", filter] })) {
        throw new Error("no envelope expected");
      }
    };
    await expectStatus(
      withTimeout(consume(), "the stream to fail"),
      Code.InvalidArgument,
      `subscription error: failed parsing subscription filters: ${parseError}: invalid argument`,
    );
    expect(berth.exchange.subscribers).toBe(0);
  });

  // Only before any envelope was delivered: once one was, the in-memory router transport stops pulling
  // the handler's stream and never resumes or returns it, so the exchange keeps the subscriber until
  // it is resumed (over HTTP/2 it is removed at once, see test/e2e/events.test.ts).
  it("ends and unregisters when the client cancels", async () => {
    const subscription = await subscribe();
    expect(berth.exchange.subscribers).toBe(1);
    await subscription.close();
    await until(() => berth.exchange.subscribers === 0, "the subscriber to go");
    await berth.client.events.publish({ topic: "/after" });
  });
});

describe("Tasks.Get", () => {
  const tasks = () => createClient(Tasks, berth.transport);
  const header = (namespace: string) => ({ headers: { "containerd-namespace": namespace } });

  it("answers NotFound `task <id> not found` for an existing container", async () => {
    await berth.client.containers.create({ container: newContainer({ id: "c1" }) });
    await expectStatus(tasks().get({ containerId: "c1" }, header("default")), Code.NotFound, "task c1 not found");
  });

  it("answers the container's NotFound for a missing container", async () => {
    await berth.client.containers.create({ container: newContainer({ id: "c1" }) });
    await expectStatus(
      tasks().get({ containerId: "c1" }, header("other")),
      Code.NotFound,
      'container "c1" in namespace "other": not found',
    );
    await expectStatus(
      tasks().get({ containerId: "missing" }, header("default")),
      Code.NotFound,
      'container "missing" in namespace "default": not found',
    );
  });

  it("requires the namespace header", async () => {
    await expectStatus(
      tasks().get({ containerId: "c1" }),
      Code.FailedPrecondition,
      "namespace is required: failed precondition",
    );
  });
});

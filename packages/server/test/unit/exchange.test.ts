import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { createExchange, type Exchange } from "../../src/events/exchange.js";

const WAIT_MS = 2000;

const envelope = (topic: string, namespace = "ns") => create(EnvelopeSchema, { namespace, topic });
const everything = () => true;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Subscribes and starts the iteration (an exchange registers a subscriber on
 * its first read). `first` is that pending first read.
 */
function start(exchange: Exchange, accept: (envelope: Envelope) => boolean = everything) {
  const controller = new AbortController();
  const iterator = exchange.subscribe({ accept, signal: controller.signal })[Symbol.asyncIterator]();
  const first = iterator.next();
  first.catch(() => undefined);
  let pending: Promise<IteratorResult<Envelope>> | undefined = first;
  /** The next read (the first one included); fails after a timeout. */
  const read = async () => {
    const current = pending ?? iterator.next();
    pending = undefined;
    return withTimeout(current, "a read");
  };
  /** Reads `count` envelopes and returns their topics. */
  const topics = async (count: number) => {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await read();
      if (result.done) throw new Error(`the iteration ended after ${seen.length}`);
      seen.push(result.value.topic);
    }
    return seen;
  };
  return { controller, iterator, read, topics };
}

/** Lets the subscriber's generator run to its first wait. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("exchange", () => {
  it("delivers in publish order", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    const topics = Array.from({ length: 50 }, (_, i) => `/t/${i}`);
    for (const topic of topics) exchange.publish(envelope(topic));
    expect(await subscriber.topics(50)).toEqual(topics);
    subscriber.controller.abort();
  });

  it("delivers the same envelope objects unchanged", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    const sent = create(EnvelopeSchema, {
      namespace: "ns",
      topic: "/x",
      timestamp: { seconds: 12n, nanos: 3 },
      event: { typeUrl: "a.B", value: new Uint8Array([1, 2]) },
    });
    exchange.publish(sent);
    expect((await subscriber.read()).value).toBe(sent);
    subscriber.controller.abort();
  });

  it("fans out to every subscriber", async () => {
    const exchange = createExchange();
    const subscribers = [start(exchange), start(exchange), start(exchange)];
    await settle();
    expect(exchange.subscribers).toBe(3);
    exchange.publish(envelope("/a"));
    exchange.publish(envelope("/b"));
    for (const subscriber of subscribers) expect(await subscriber.topics(2)).toEqual(["/a", "/b"]);
    for (const subscriber of subscribers) subscriber.controller.abort();
  });

  it("delivers only what a subscriber accepts", async () => {
    const exchange = createExchange();
    const onlyB = start(exchange, (e) => e.namespace === "b");
    const all = start(exchange);
    await settle();
    exchange.publish(envelope("/1", "a"));
    exchange.publish(envelope("/2", "b"));
    exchange.publish(envelope("/3", "a"));
    exchange.publish(envelope("/4", "b"));
    expect(await onlyB.topics(2)).toEqual(["/2", "/4"]);
    expect(await all.topics(4)).toEqual(["/1", "/2", "/3", "/4"]);
    onlyB.controller.abort();
    all.controller.abort();
  });

  it("does not replay what was published before the subscription", async () => {
    const exchange = createExchange();
    exchange.publish(envelope("/before"));
    const subscriber = start(exchange);
    await settle();
    exchange.publish(envelope("/after"));
    expect(await subscriber.topics(1)).toEqual(["/after"]);
    subscriber.controller.abort();
  });

  it("is fine with no subscribers", () => {
    const exchange = createExchange();
    expect(exchange.subscribers).toBe(0);
    exchange.publish(envelope("/nobody"));
  });

  it("cuts off a subscriber that never reads with ResourceExhausted, without slowing publish or others", async () => {
    const queueLimit = 4;
    const exchange = createExchange({ queueLimit });
    // The slow one makes its first read (to subscribe) and then never reads again.
    const slow = start(exchange);
    const fast = start(exchange);
    await settle();
    expect(exchange.subscribers).toBe(2);
    const received: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const started = performance.now();
      for (let i = 0; i < 3; i++) {
        // publish is synchronous and returns nothing: it cannot wait for a subscriber.
        expect(exchange.publish(envelope(`/t/${batch * 3 + i}`))).toBeUndefined();
      }
      expect(performance.now() - started).toBeLessThan(100);
      received.push(...(await fast.topics(3)));
    }
    expect(received).toEqual(Array.from({ length: 30 }, (_, i) => `/t/${i}`));

    // The slow one's pending first read got /t/0; its next read fails.
    const first = await slow.read();
    expect(first.value?.topic).toBe("/t/0");
    const error = await slow.read().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BerthError);
    expect(error).toMatchObject({
      errorClass: "resource exhausted",
      message: `subscriber fell more than ${queueLimit} events behind and was disconnected: resource exhausted`,
    });
    expect(exchange.subscribers).toBe(1);

    exchange.publish(envelope("/still"));
    expect(await fast.topics(1)).toEqual(["/still"]);
    fast.controller.abort();
    expect((await fast.read()).done).toBe(true);
    expect(exchange.subscribers).toBe(0);
  });

  it("keeps a subscriber whose backlog reaches exactly the limit, and cuts it off one beyond", async () => {
    const exchange = createExchange({ queueLimit: 4 });
    const subscriber = start(exchange);
    await settle();
    // Published synchronously, so all of them wait in the queue at once.
    for (let i = 0; i < 4; i++) exchange.publish(envelope(`/a/${i}`));
    expect(await subscriber.topics(4)).toEqual(["/a/0", "/a/1", "/a/2", "/a/3"]);
    for (let i = 0; i < 4; i++) exchange.publish(envelope(`/b/${i}`));
    expect(await subscriber.topics(4)).toEqual(["/b/0", "/b/1", "/b/2", "/b/3"]);
    for (let i = 0; i < 5; i++) exchange.publish(envelope(`/c/${i}`));
    await expect(subscriber.read()).rejects.toMatchObject({
      errorClass: "resource exhausted",
      message: "subscriber fell more than 4 events behind and was disconnected: resource exhausted",
    });
    expect(exchange.subscribers).toBe(0);
  });

  it("defaults the limit to 1024 queued envelopes", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    for (let i = 0; i < 1024; i++) exchange.publish(envelope(`/t/${i}`));
    expect((await subscriber.topics(1024)).at(-1)).toBe("/t/1023");
    for (let i = 0; i < 1025; i++) exchange.publish(envelope(`/u/${i}`));
    await expect(subscriber.read()).rejects.toMatchObject({
      errorClass: "resource exhausted",
      message: "subscriber fell more than 1024 events behind and was disconnected: resource exhausted",
    });
    expect(exchange.subscribers).toBe(0);
  });

  it("ends a waiting iteration cleanly on abort and unregisters it", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    expect(exchange.subscribers).toBe(1);
    subscriber.controller.abort();
    expect((await subscriber.read()).done).toBe(true);
    expect(exchange.subscribers).toBe(0);
    exchange.publish(envelope("/after"));
  });

  it("drops what was queued when aborted", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    for (let i = 0; i < 3; i++) exchange.publish(envelope(`/t/${i}`));
    expect(await subscriber.topics(1)).toEqual(["/t/0"]);
    subscriber.controller.abort();
    expect((await subscriber.read()).done).toBe(true);
    expect(exchange.subscribers).toBe(0);
  });

  it("delivers nothing published after abort, even to a consumer that resumes late", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    exchange.publish(envelope("/before"));
    expect(await subscriber.topics(1)).toEqual(["/before"]);
    // No read is pending now: the generator waits at its yield.
    subscriber.controller.abort();
    exchange.publish(envelope("/after"));
    expect((await subscriber.read()).done).toBe(true);
    expect(exchange.subscribers).toBe(0);
  });

  it("ends at once for an already aborted signal", async () => {
    const exchange = createExchange();
    const iterator = exchange.subscribe({ accept: everything, signal: AbortSignal.abort() })[Symbol.asyncIterator]();
    expect((await withTimeout(iterator.next(), "the end")).done).toBe(true);
    expect(exchange.subscribers).toBe(0);
  });

  it("unregisters a subscriber whose consumer stops iterating", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    exchange.publish(envelope("/one"));
    expect(await subscriber.topics(1)).toEqual(["/one"]);
    // What `break` in a for-await loop does.
    await subscriber.iterator.return?.(undefined);
    expect(exchange.subscribers).toBe(0);
  });

  it("ends every subscription on close, and refuses later ones as unavailable", async () => {
    const exchange = createExchange();
    const subscribers = [start(exchange), start(exchange, (e) => e.topic === "/never")];
    await settle();
    expect(exchange.subscribers).toBe(2);
    exchange.close();
    for (const subscriber of subscribers) expect((await subscriber.read()).done).toBe(true);
    expect(exchange.subscribers).toBe(0);

    const late = exchange.subscribe({ accept: everything, signal: new AbortController().signal });
    const error = await late[Symbol.asyncIterator]()
      .next()
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(BerthError);
    expect(error).toMatchObject({
      errorClass: "unavailable",
      message: "event exchange is shutting down: unavailable",
    });
    expect(exchange.subscribers).toBe(0);
    exchange.publish(envelope("/after-close"));
  });

  it("lets a subscriber finish reading what it had before close", async () => {
    const exchange = createExchange();
    const subscriber = start(exchange);
    await settle();
    exchange.publish(envelope("/last"));
    exchange.close();
    const result = await subscriber.read();
    // Whatever was handed over before close may still arrive; then the iteration ends.
    if (!result.done) {
      expect(result.value.topic).toBe("/last");
      expect((await subscriber.read()).done).toBe(true);
    }
    expect(exchange.subscribers).toBe(0);
  });

  it("cuts off a subscriber that is too many bytes behind, whatever the count", async () => {
    const exchange = createExchange({ queueBytesLimit: 1024 * 1024 });
    const subscriber = start(exchange);
    await settle();
    const big = (topic: string) =>
      create(EnvelopeSchema, { namespace: "ns", topic, event: { typeUrl: "x", value: new Uint8Array(400 * 1024) } });
    for (let i = 0; i < 2; i++) exchange.publish(big(`/big/${i}`));
    expect(await subscriber.topics(2)).toEqual(["/big/0", "/big/1"]);
    for (let i = 0; i < 3; i++) exchange.publish(big(`/more/${i}`));
    await expect(subscriber.read()).rejects.toMatchObject({
      errorClass: "resource exhausted",
      message: "subscriber fell more than 1048576 bytes of events behind and was disconnected: resource exhausted",
    });
    expect(exchange.subscribers).toBe(0);
  });

  it("publishes without running any subscriber's filter, however many there are", async () => {
    const overflows: string[] = [];
    const exchange = createExchange({ onOverflow: (why) => overflows.push(why) });
    let filtered = 0;
    const subscribers = Array.from({ length: 2000 }, () =>
      start(exchange, () => {
        filtered += 1;
        return true;
      }),
    );
    await settle();
    expect(exchange.subscribers).toBe(2000);
    exchange.publish(envelope("/fan"));
    expect(filtered).toBe(0);
    for (const subscriber of subscribers) expect(await subscriber.topics(1)).toEqual(["/fan"]);
    expect(filtered).toBe(2000);
    expect(overflows).toEqual([]);
    for (const subscriber of subscribers) subscriber.controller.abort();
  });

  it("says which subscriber it cut off", async () => {
    const overflows: string[] = [];
    const exchange = createExchange({ queueLimit: 2, onOverflow: (why) => overflows.push(why) });
    const subscriber = start(exchange);
    await settle();
    for (let i = 0; i < 3; i++) exchange.publish(envelope(`/t/${i}`));
    await expect(subscriber.read()).rejects.toMatchObject({ errorClass: "resource exhausted" });
    expect(overflows).toEqual(["subscriber fell more than 2 events behind"]);
  });
});

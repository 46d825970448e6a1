/**
 * berth.events.v1.HistoryService over the in-memory stack: List's filters,
 * bounds and pages; Subscribe's hand-over from replay to live under
 * concurrent writers (many random interleavings: never a gap, never a
 * duplicate); OutOfRange for a cursor older than the retention; a slow
 * subscriber cut off without slowing writers.
 */
import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import { ContainerDeleteSchema } from "@berth/gen/containerd/events/container_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { createHistoryLocal } from "../../src/local/history.js";
import { newContainer } from "../support/containers.js";
import { createInMemoryBerth } from "../support/in-memory.js";

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
beforeEach(async () => {
  berth = await createInMemoryBerth();
});

const SENTINEL = "/test/sentinel";
const idOf = (event: Event) => fromBinary(ContainerDeleteSchema, event.event?.value ?? new Uint8Array()).id;

async function createContainers(count: number, prefix = "c", namespace = "default"): Promise<void> {
  const client = berth.client.withNamespace(namespace);
  for (let i = 0; i < count; i++) await client.containers.create({ container: newContainer({ id: `${prefix}${i}` }) });
}

/** A small deterministic generator, so that a failing interleaving can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("HistoryService.List", () => {
  it("lists every event in commit order with its sequence, filtered in containerd's syntax", async () => {
    await createContainers(3);
    await createContainers(2, "x", "other");
    await berth.client.containers.delete({ id: "c1" });
    const all = await berth.client.history.list({});
    expect(all.events.map((event) => [event.sequence, event.namespace, event.topic, idOf(event)])).toEqual([
      [1n, "default", "/containers/create", "c0"],
      [2n, "default", "/containers/create", "c1"],
      [3n, "default", "/containers/create", "c2"],
      [4n, "other", "/containers/create", "x0"],
      [5n, "other", "/containers/create", "x1"],
      [6n, "default", "/containers/delete", "c1"],
    ]);
    expect([all.oldestSequence, all.newestSequence, all.nextPageToken]).toEqual([1n, 6n, ""]);
    const filtered = await berth.client.history.list({ filters: ["namespace==other", 'topic=="/containers/delete"'] });
    expect(filtered.events.map((event) => event.sequence)).toEqual([4n, 5n, 6n]);
    const byId = await berth.client.history.list({ filters: ["event.id==c1"] });
    expect(byId.events.map((event) => event.topic)).toEqual(["/containers/create", "/containers/delete"]);
    await expect(berth.client.history.list({ filters: ["topic=="] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
  });

  it("pages oldest first and newest first with page tokens, within sequence and time bounds", async () => {
    await createContainers(25);
    const pages: bigint[][] = [];
    let pageToken = "";
    do {
      const page = await berth.client.history.list({ limit: 10, pageToken });
      pages.push(page.events.map((event) => event.sequence));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i + 1)));
    const newest = await berth.client.history.list({ limit: 3, newestFirst: true });
    expect(newest.events.map((event) => event.sequence)).toEqual([25n, 24n, 23n]);
    const next = await berth.client.history.list({ limit: 3, newestFirst: true, pageToken: newest.nextPageToken });
    expect(next.events.map((event) => event.sequence)).toEqual([22n, 21n, 20n]);
    const bounded = await berth.client.history.list({ after: 5n, before: 9n });
    expect(bounded.events.map((event) => event.sequence)).toEqual([6n, 7n, 8n]);
    const future = await berth.client.history.list({ since: timestampFromMs(Date.now() + 60_000) });
    expect(future.events).toEqual([]);
    await expect(berth.client.history.list({ pageToken: "b3" })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("answers OutOfRange, naming the oldest sequence kept, for a cursor older than the retention", async () => {
    await createContainers(20);
    expect(await berth.store.history.prune({ maxCount: 5, maxAgeMs: 3_600_000 }, 100)).toBe(15);
    const kept = await berth.client.history.list({});
    expect(kept.events.map((event) => event.sequence)).toEqual([16n, 17n, 18n, 19n, 20n]);
    const error = await berth.client.history.list({ after: 3n }).catch((caught: unknown) => ConnectError.from(caught));
    expect(error).toMatchObject({ code: Code.OutOfRange });
    expect((error as ConnectError).rawMessage).toBe(
      "events after sequence 3 are no longer kept: the history starts at sequence 16",
    );
    const stream = berth.client.history.subscribe({ after: 3n });
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: Code.OutOfRange });
    // After the newest pruned one, nothing is missing.
    expect((await berth.client.history.list({ after: 15n })).events).toHaveLength(5);
  });

  it("prunes by age as well as by count", async () => {
    await createContainers(4);
    expect(await berth.store.history.prune({ maxCount: 1000, maxAgeMs: 3_600_000 }, 100)).toBe(0);
    expect(await berth.store.history.prune({ maxCount: 1000, maxAgeMs: -60_000 }, 3)).toBe(3);
    expect((await berth.client.history.list({})).events.map((event) => event.sequence)).toEqual([4n]);
  });
});

describe("HistoryService.Subscribe", () => {
  it("replays after a sequence, then continues live without a gap or a duplicate, under concurrent writers", async () => {
    for (let round = 0; round < 25; round++) {
      berth = await createInMemoryBerth();
      const next = random(round + 1);
      const writers = 1 + Math.floor(next() * 6);
      const perWriter = 5 + Math.floor(next() * 20);
      await createContainers(Math.floor(next() * 10), "before");
      const subscribers: { after: bigint; got: bigint[]; done: Promise<void> }[] = [];
      const startSubscriber = () => {
        // Anywhere from 0 (all that is kept) to the newest (live only from now).
        const after = BigInt(Math.floor(next() * Number(berth.store.history.log.newest + 1n)));
        const got: bigint[] = [];
        const done = (async () => {
          for await (const { event } of berth.client.history.subscribe({ after })) {
            if (event === undefined) continue;
            got.push(event.sequence);
            if (event.topic === SENTINEL) return;
          }
        })();
        subscribers.push({ after, got, done });
      };
      startSubscriber();
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const client = berth.client.withNamespace(`w${w}`);
          for (let i = 0; i < perWriter; i++) {
            if (next() < 0.15) startSubscriber();
            await client.containers.create({ container: newContainer({ id: `c${i}` }) });
            if (next() < 0.3) await client.containers.delete({ id: `c${i}` });
          }
        }),
      );
      // The last event every subscriber must see, whatever it started after.
      await berth.client.events.publish({ topic: SENTINEL });
      const final = berth.store.history.log.newest;
      for (const subscriber of subscribers) {
        await subscriber.done;
        const expected = Array.from(
          { length: Number(final - subscriber.after) },
          (_, i) => subscriber.after + BigInt(i + 1),
        );
        expect({ round, after: subscriber.after, got: subscriber.got }).toEqual({
          round,
          after: subscriber.after,
          got: expected,
        });
      }
    }
  }, 60_000);

  it("starts live when asked for nothing stored, and replays since a time", async () => {
    await createContainers(3);
    const stop = new AbortController();
    const live: bigint[] = [];
    const following = (async () => {
      for await (const { event } of berth.client.history.subscribe({}, { signal: stop.signal })) {
        if (event !== undefined) live.push(event.sequence);
        if (live.length === 2) return;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await createContainers(2, "later");
    await following;
    expect(live).toEqual([4n, 5n]);
    const sinceStop = new AbortController();
    const replayed: bigint[] = [];
    for await (const { event } of berth.client.history.subscribe(
      { since: timestampFromMs(Date.now() - 60_000) },
      { signal: sinceStop.signal },
    )) {
      if (event !== undefined) replayed.push(event.sequence);
      if (replayed.length === 5) break;
    }
    expect(replayed).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it("cuts off a subscriber that reads nothing, and the writers never wait for it", async () => {
    const history = createHistoryLocal({ history: berth.store.history, subscriberQueue: 10 });
    const stop = new AbortController();
    const stream = history
      .subscribe({ filters: [], after: undefined, since: undefined }, stop.signal)
      [Symbol.asyncIterator]();
    const first = stream.next();
    await createContainers(1, "first");
    expect((await first).value?.sequence).toBe(1n);
    const started = performance.now();
    await createContainers(200, "storm");
    const writeMs = performance.now() - started;
    await expect(stream.next()).rejects.toMatchObject({
      errorClass: "resource exhausted",
      message: expect.stringContaining("resume after sequence 1"),
    });
    stop.abort();
    console.log(`history: 200 writes in ${writeMs.toFixed(0)} ms past a subscriber reading nothing`);
  });
});

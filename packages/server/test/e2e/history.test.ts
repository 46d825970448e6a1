/**
 * The event history of a berthd process: retention by count holds under a
 * storm of writes (pruned in the background, in bounded batches), and with
 * `--event-retention-count 0` no history is kept while live events still flow.
 */
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterEach, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

let berthd: BerthdProcess | undefined;
afterEach(async () => {
  await berthd?.dispose();
  berthd = undefined;
});

function clientOf(daemon: BerthdProcess) {
  return createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "history" });
}

async function storm(daemon: BerthdProcess, writers: number, each: number): Promise<void> {
  const client = clientOf(daemon);
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < each; i++) await client.containers.create({ container: newContainer({ id: `w${w}-${i}` }) });
    }),
  );
}

describe("the event history of berthd", () => {
  it("keeps at most --event-retention-count events through a write storm", async () => {
    berthd = await startBerthdProcess({ extraArgs: ["--event-retention-count", "50"] });
    await storm(berthd, 16, 40);
    const client = clientOf(berthd);
    let page = await client.history.list({});
    const deadline = Date.now() + 10_000;
    while (page.events.length > 50 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      page = await client.history.list({});
    }
    expect(page.newestSequence).toBe(640n);
    expect(page.events).toHaveLength(50);
    expect(page.oldestSequence).toBe(591n);
    expect(page.events.map((event) => event.sequence)).toEqual(Array.from({ length: 50 }, (_, i) => 591n + BigInt(i)));
  });

  it("keeps no history with --event-retention-count 0, and still delivers live events", async () => {
    berthd = await startBerthdProcess({ extraArgs: ["--event-retention-count", "0"] });
    const client = clientOf(berthd);
    const stop = new AbortController();
    const live: string[] = [];
    const following = (async () => {
      for await (const envelope of client.events.subscribe({}, { signal: stop.signal })) {
        live.push(envelope.topic);
        if (live.length === 3) return;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await storm(berthd, 1, 3);
    await following;
    expect(live).toEqual(["/containers/create", "/containers/create", "/containers/create"]);
    const page = await client.history.list({});
    expect(page.events).toEqual([]);
    stop.abort();
  });
});

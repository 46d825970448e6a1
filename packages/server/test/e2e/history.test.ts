/**
 * The event history of a berthd process: retention by count holds under a
 * storm of writes (pruned in the background, in bounded batches), and with
 * `--event-retention-count 0` no history is kept while live events still flow.
 */
import http2 from "node:http2";
import net from "node:net";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { SubscribeRequestSchema } from "@berth/gen/berth/events/v1/history_pb.js";
import { PublishRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
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

  it("serves the history in Connect JSON and gRPC-Web on TCP, like containerd's services", async () => {
    berthd = await startBerthdProcess({ tcp: true });
    await storm(berthd, 1, 2);
    const json = await fetch(`${berthd.tcpUrl}/berth.events.v1.HistoryService/List`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filters: ['topic=="/containers/create"'], newestFirst: true }),
    });
    expect(await json.json()).toMatchObject({
      events: [
        { sequence: "2", namespace: "history", event: { id: "w0-1" } },
        { sequence: "1", event: { id: "w0-0", "@type": "containerd.events.ContainerCreate" } },
      ],
      oldestSequence: "1",
      newestSequence: "2",
    });
    const bad = await fetch(`${berthd.tcpUrl}/berth.events.v1.HistoryService/List`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pageToken: "zz" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: "invalid_argument" });
    const grpcWeb = await fetch(`${berthd.tcpUrl}/berth.events.v1.HistoryService/List`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: new Uint8Array(5),
    });
    const frames = Buffer.from(await grpcWeb.arrayBuffer());
    expect(grpcWeb.headers.get("content-type")).toBe("application/grpc-web+proto");
    expect(frames.subarray(frames.lastIndexOf(0x80) + 5).toString()).toMatch(/grpc-status: ?0/);
  });

  it("cuts off a history subscriber that reads nothing, while writers carry on", async () => {
    berthd = await startBerthdProcess();
    const socket = berthd.socket;
    // A raw subscription whose reader never reads: its window fills, and berthd's queue for it after that.
    const session = http2.connect("http://localhost", {
      createConnection: () => net.connect(socket),
      settings: { initialWindowSize: 1024 },
    });
    session.on("error", () => undefined);
    const request = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { after: 0n }));
    const envelope = Buffer.alloc(5 + request.length);
    envelope.writeUInt32BE(request.length, 1);
    Buffer.from(request).copy(envelope, 5);
    const stream = session.request({
      ":method": "POST",
      ":path": "/berth.events.v1.HistoryService/Subscribe",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.end(envelope);
    stream.pause();
    let trailers: http2.IncomingHttpHeaders | undefined;
    stream.on("trailers", (fields) => {
      trailers = fields;
    });
    const client = clientOf(berthd);
    const publish = { topic: "/test/storm" };
    let published = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (published < 12_000) {
          published++;
          await client.events.publish(create(PublishRequestSchema, publish));
        }
      }),
    );
    expect((await client.history.list({ newestFirst: true, limit: 1 })).newestSequence).toBe(12_000n);
    stream.resume();
    await new Promise<void>((resolve) => stream.once("close", () => resolve()));
    session.close();
    expect(trailers?.["grpc-status"]).toBe("8");
    expect(decodeURIComponent(String(trailers?.["grpc-message"]))).toMatch(
      /history subscriber fell more than 10000 events behind and was disconnected; resume after sequence \d+/,
    );
  }, 60_000);
});

/**
 * Clients that do not read, against a real berthd on its unix socket: a
 * connection that shuts its window (SETTINGS_INITIAL_WINDOW_SIZE=0) and opens a
 * hundred unary Lists of a 4 MB namespace, and an event subscriber that never
 * reads while 1 MiB events are published. berthd's memory stays bounded, the
 * calls are cut off with ResourceExhausted (and logged), and other clients
 * keep being served — a subscriber that reads sees every event.
 */
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { CreateContainerRequestSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { PublishRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { frame as envelope, rawGrpcCall } from "../support/grpc-raw.js";
import { rawConnection, rawFrame, settings } from "../support/h2-raw.js";

const LIST = "/containerd.services.containers.v1.Containers/List";
const SUBSCRIBE = "/containerd.services.events.v1.Events/Subscribe";
const PUBLISH = "/containerd.services.events.v1.Events/Publish";
const INITIAL_WINDOW_SIZE = 0x4;
const NAMESPACE = "big";
const CONTAINERS = 20;
const SPEC_BYTES = 200 * 1024;

let berthd: BerthdProcess;

beforeAll(async () => {
  berthd = await startBerthdProcess({ extraArgs: ["--stall-timeout", "1s"] });
  for (let i = 0; i < CONTAINERS; i++) {
    const request = create(CreateContainerRequestSchema, {
      container: {
        id: `c-${i}`,
        runtime: { name: "io.containerd.runc.v2" },
        spec: { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: new Uint8Array(SPEC_BYTES) },
      },
    });
    const created = await rawGrpcCall(
      berthd.socket,
      "/containerd.services.containers.v1.Containers/Create",
      toBinary(CreateContainerRequestSchema, request),
      { "containerd-namespace": NAMESPACE },
    );
    expect(created.status).toBe("0");
  }
});
afterAll(async () => {
  await berthd.dispose();
});

/** berthd's resident memory, in MiB. */
async function rssMiB(): Promise<number> {
  const status = await readFile(`/proc/${berthd.child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** Samples the resident memory until `done` settles; resolves with the peak. */
async function peakRssWhile(done: Promise<unknown>): Promise<number> {
  let peak = await rssMiB();
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  while (!finished) {
    peak = Math.max(peak, await rssMiB());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Math.max(peak, await rssMiB());
}

const requestBlock = (path: string) =>
  encodeHeaderBlock([
    ":method",
    "POST",
    ":scheme",
    "http",
    ":path",
    path,
    ":authority",
    "localhost",
    "content-type",
    "application/grpc",
    "te",
    "trailers",
    "containerd-namespace",
    NAMESPACE,
  ]);

/** A unary Get over a normal client, timed. */
async function timedHealthCheck(): Promise<{ status: string | undefined; ms: number }> {
  const started = performance.now();
  const result = await rawGrpcCall(berthd.socket, "/grpc.health.v1.Health/Check", new Uint8Array(0));
  return { status: result.status, ms: performance.now() - started };
}

describe("a client that does not read its answers", () => {
  it("gets its hundred Lists cut off with ResourceExhausted; berthd's memory stays bounded", async () => {
    const before = await rssMiB();
    const client = await rawConnection(berthd.socket, settings([INITIAL_WINDOW_SIZE, 0]));
    const opens: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const id = 1 + 2 * i;
      opens.push(rawFrame(1, 0x4, id, requestBlock(LIST)), rawFrame(0, 0x1, id, envelope(new Uint8Array(0))));
    }
    client.socket.write(Buffer.concat(opens));
    const allEnded = (async () => {
      const deadline = Date.now() + 15_000;
      while (client.headerBlocks().filter((block) => block.endStream).length < 100) {
        if (Date.now() > deadline) throw new Error("not every List ended");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Meanwhile another client is served as usual.
    const other = await timedHealthCheck();
    expect(other.status).toBe("0");
    const peak = await peakRssWhile(allEnded);
    await allEnded;
    const ends = client.headerBlocks().filter((block) => block.endStream);
    expect(ends).toHaveLength(100);
    for (const end of ends) {
      expect(end.fields["grpc-status"]).toBe("8");
      expect(decodeURIComponent(end.fields["grpc-message"] ?? "")).toMatch(/^berthd cut the call off: /);
    }
    // Unbounded, 100 answers of 4 MB each were queued at once (400 MB and more).
    // Measured here: 155-180 MiB (a connection's 64 MiB of queued answers, four being built, garbage).
    expect(peak - before).toBeLessThan(240);
    expect(berthd.stderr()).toMatch(/"limit":"(send stalled|pending bytes of a connection)"/);
    expect(berthd.stderr()).toContain(`"listener":"unix:${berthd.socket}"`);
    client.socket.destroy();
    expect((await timedHealthCheck()).status).toBe("0");
  });

  it("cuts off an event subscriber that never reads; a subscriber that reads gets every event", async () => {
    const stalled = await rawConnection(berthd.socket, settings([INITIAL_WINDOW_SIZE, 0]));
    stalled.socket.write(
      Buffer.concat([rawFrame(1, 0x4, 1, requestBlock(SUBSCRIBE)), rawFrame(0, 0x1, 1, envelope(new Uint8Array(0)))]),
    );
    const reader = subscribe();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await rssMiB();
    const events = 48;
    const publishing = (async () => {
      for (let i = 0; i < events; i++) {
        const request = create(PublishRequestSchema, {
          topic: "/test/big",
          event: { typeUrl: "test.Big", value: new Uint8Array(1024 * 1024) },
        });
        const published = await rawGrpcCall(berthd.socket, PUBLISH, toBinary(PublishRequestSchema, request), {
          "containerd-namespace": NAMESPACE,
        });
        expect(published.status).toBe("0");
      }
    })();
    const peak = await peakRssWhile(publishing);
    await publishing;
    const cut = await waitForEnd(stalled);
    expect(cut.fields["grpc-status"]).toBe("8");
    expect(await reader.count(events)).toBe(events);
    // Unbounded, the stalled subscriber held all 48 MiB and more.
    expect(peak - before).toBeLessThan(120);
    reader.close();
    stalled.socket.destroy();
  });
});

async function waitForEnd(client: Awaited<ReturnType<typeof rawConnection>>) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const end = client.headerBlocks().find((block) => block.endStream && block.stream === 1);
    if (end !== undefined) return end;
    if (Date.now() > deadline) throw new Error("the subscription was not cut off");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A subscriber that reads everything; `count(n)` waits until n messages arrived. */
function subscribe() {
  // A reader that keeps up: wide windows (Node's client would otherwise pace it to 64 KiB round trips,
  // letting it fall behind the publisher by more than the exchange's bound), and linear parsing.
  const session = http2.connect("http://localhost", {
    createConnection: () => net.connect(berthd.socket),
    settings: { initialWindowSize: 16 * 1024 * 1024 },
  });
  session.once("connect", () => session.setLocalWindowSize(64 * 1024 * 1024));
  session.on("error", () => undefined);
  const stream = session.request({
    ":method": "POST",
    ":path": SUBSCRIBE,
    "content-type": "application/grpc",
    te: "trailers",
    "containerd-namespace": NAMESPACE,
  });
  stream.on("error", () => undefined);
  let header = Buffer.alloc(0);
  let remaining = 0;
  let messages = 0;
  stream.on("data", (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining > 0) {
        const taken = Math.min(remaining, chunk.length - offset);
        remaining -= taken;
        offset += taken;
        if (remaining === 0) messages += 1;
        continue;
      }
      const needed = 5 - header.length;
      header = Buffer.concat([header, chunk.subarray(offset, offset + needed)]);
      offset += Math.min(needed, chunk.length - offset);
      if (header.length < 5) break;
      remaining = header.readUInt32BE(1);
      header = Buffer.alloc(0);
      if (remaining === 0) messages += 1;
    }
  });
  stream.end(envelope(new Uint8Array(0)));
  return {
    async count(expected: number) {
      const deadline = Date.now() + 10_000;
      while (messages < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return messages;
    },
    close() {
      stream.close();
      session.close();
    },
  };
}

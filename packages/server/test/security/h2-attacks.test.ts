/**
 * HTTP/2 attacks against a real berthd, on each of its HTTP/2 listeners (the
 * unix socket and h2c on TCP share one transport; TLS adds only the handshake):
 * rapid reset, CONTINUATION flood, an HPACK bomb, an oversized header list,
 * PING, SETTINGS and empty-frame floods, a zero-window stall, a slow-loris
 * preface and too many connections. Each abusive connection is closed with the
 * right GOAWAY code (or its stream cut off) and logged, while a normal client on
 * the same listener keeps being answered.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { type RawConnection, rawConnection, rawFrame, settings } from "../support/h2-raw.js";

const HEALTH = "/grpc.health.v1.Health/Check";
const LIST = "/containerd.services.containers.v1.Containers/List";
const ENHANCE_YOUR_CALM = 0xb;
const MAX_CONNECTIONS = 24;

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({
    tcp: true,
    extraArgs: [
      ...["--handshake-timeout", "300ms", "--stall-timeout", "500ms"],
      ...["--max-connections", String(MAX_CONNECTIONS)],
    ],
  });
});
afterAll(async () => {
  await berthd.dispose();
});

type Target = string | { port: number };
const TARGETS: readonly (readonly [string, () => Target])[] = [
  ["the unix socket", () => berthd.socket],
  ["h2c on TCP", () => ({ port: Number(new URL(berthd.tcpUrl as string).port) })],
];

/** The `:authority` a client of `target` sends: TCP listeners answer only their own names and port. */
function authorityOf(target: Target): string {
  return typeof target === "string" ? "localhost" : `127.0.0.1:${target.port}`;
}

const requestBlock = (path: string, extra: string[] = []) =>
  encodeHeaderBlock([
    ...[":method", "POST", ":scheme", "http", ":path", path, ":authority", authority],
    ...["content-type", "application/grpc", "te", "trailers", "containerd-namespace", "default", ...extra],
  ]);

/** An empty gRPC message in its envelope. */
const EMPTY_MESSAGE = Buffer.alloc(5);

/**
 * A normal client on `target`: Health/Check over one HTTP/2 connection, one call
 * after another while `attack` runs. Resolves with how many calls it made and
 * the slowest one; every call must succeed.
 */
async function servedDuring(
  target: Target,
  attack: () => Promise<void>,
): Promise<{ calls: number; slowestMs: number }> {
  const session = http2.connect(
    typeof target === "string" ? "http://localhost" : `http://127.0.0.1:${target.port}`,
    typeof target === "string" ? { createConnection: () => net.connect(target) } : {},
  );
  session.on("error", () => undefined);
  const call = () =>
    new Promise<string>((resolve, reject) => {
      const stream = session.request({
        ":method": "POST",
        ":path": HEALTH,
        "content-type": "application/grpc",
        te: "trailers",
      });
      let status: string | undefined;
      stream.on("response", (fields) => {
        if (fields["grpc-status"] !== undefined) status = String(fields["grpc-status"]);
      });
      stream.on("trailers", (fields) => {
        status = String(fields["grpc-status"]);
      });
      stream.on("data", () => undefined);
      stream.on("close", () => (status === undefined ? reject(new Error("no status")) : resolve(status)));
      stream.on("error", reject);
      stream.end(EMPTY_MESSAGE);
    });
  await call();
  let running = true;
  let calls = 0;
  let slowestMs = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      expect(await call()).toBe("0");
      slowestMs = Math.max(slowestMs, performance.now() - started);
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await attack();
  } finally {
    running = false;
    await loop;
    session.close();
  }
  return { calls, slowestMs };
}

async function goawayCode(client: RawConnection, timeoutMs = 3000): Promise<number> {
  const goaway = await client.waitFor((f) => f.type === 7, timeoutMs);
  return goaway.payload.readUInt32BE(4);
}

async function closedWithin(client: RawConnection, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!client.ended() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return client.ended();
}

/** The authority of the target under test (set per describe block). */
let authority = "localhost";

describe.each(TARGETS)("HTTP/2 attacks on %s", (_name, target) => {
  beforeAll(() => {
    authority = authorityOf(target());
  });

  it("rapid reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM", async () => {
    const served = await servedDuring(target(), async () => {
      const client = await rawConnection(target());
      const block = requestBlock(HEALTH);
      const burst: Buffer[] = [];
      for (let i = 0; i < 1500; i++) {
        burst.push(rawFrame(1, 0x4, 1 + 2 * i, block), rawFrame(3, 0, 1 + 2 * i, Buffer.from([0, 0, 0, 8])));
      }
      client.socket.write(Buffer.concat(burst));
      expect(await goawayCode(client)).toBe(ENHANCE_YOUR_CALM);
      client.socket.destroy();
    });
    expect(served.calls).toBeGreaterThan(0);
    expect(berthd.stderr()).toMatch(/"detail":"RST_STREAM"/);
  });

  it("CONTINUATION flood (CVE-2024-27316): GOAWAY ENHANCE_YOUR_CALM before the block is kept", async () => {
    await servedDuring(target(), async () => {
      const client = await rawConnection(target());
      const frames = [rawFrame(1, 0, 1, requestBlock(HEALTH))];
      const junk = encodeHeaderBlock(["x-junk", "j".repeat(16_000)]);
      for (let i = 0; i < 40; i++) frames.push(rawFrame(9, 0, 1, junk));
      client.socket.write(Buffer.concat(frames));
      expect(await goawayCode(client)).toBe(ENHANCE_YOUR_CALM);
      client.socket.destroy();
    });
  });

  it("HPACK bomb: a 4 KiB field referenced 2,000 times is refused with 431, the connection goes on", async () => {
    await servedDuring(target(), async () => {
      const client = await rawConnection(target());
      // One literal with incremental indexing (dynamic index 62), then 2,000 one-byte references to it: 8 MB decoded.
      const literal = Buffer.concat([
        Buffer.from([0x40, 6]),
        Buffer.from("x-bomb"),
        Buffer.from([0x7f, 0xa1, 0x1e]), // length 4,000: 127, then 3,873 in 7-bit groups
        Buffer.alloc(4000, 0x62),
      ]);
      const block = Buffer.concat([requestBlock(HEALTH), literal, Buffer.alloc(2000, 0xbe)]);
      const parts: Buffer[] = [];
      for (let at = 0; at < block.length; at += 16_384) {
        const last = at + 16_384 >= block.length;
        parts.push(
          rawFrame(at === 0 ? 1 : 9, (last ? 0x4 : 0) | (at === 0 ? 0x1 : 0), 1, block.subarray(at, at + 16_384)),
        );
      }
      client.socket.write(Buffer.concat(parts));
      await client.waitFor((f) => f.type === 1 && f.stream === 1);
      expect(client.headerBlocks()[0]?.fields[":status"]).toBe("431");
      // The table stays in step: the next request on the connection is served.
      client.socket.write(
        Buffer.concat([rawFrame(1, 0x4, 3, requestBlock(HEALTH)), rawFrame(0, 0x1, 3, EMPTY_MESSAGE)]),
      );
      await client.waitFor((f) => f.type === 1 && f.stream === 3 && (f.flags & 0x1) !== 0);
      expect(client.headerBlocks().at(-1)?.fields["grpc-status"]).toBe("0");
      client.socket.destroy();
    });
  });

  it.each([
    ["PING", () => rawFrame(6, 0, 0, Buffer.alloc(8))],
    ["SETTINGS", () => rawFrame(4, 0, 0)],
    ["empty DATA", () => rawFrame(0, 0, 1)],
    ["unknown-type", () => rawFrame(0xfa, 0, 0)],
  ])("%s flood: GOAWAY ENHANCE_YOUR_CALM", async (_what, flood) => {
    await servedDuring(target(), async () => {
      const client = await rawConnection(target());
      // Stream 1 stays open, so that its empty DATA frames are valid one by one.
      client.socket.write(rawFrame(1, 0x4, 1, requestBlock(HEALTH)));
      client.socket.write(Buffer.concat(Array.from({ length: 2000 }, flood)));
      expect(await goawayCode(client)).toBe(ENHANCE_YOUR_CALM);
      client.socket.destroy();
    });
    expect(berthd.stderr()).toMatch(/"msg":"cut off: flood"/);
  });

  it("zero-window stall: a client that opens no window has its call cut off with ResourceExhausted", async () => {
    await servedDuring(target(), async () => {
      const client = await rawConnection(target(), settings([4, 0]));
      // A listing of an empty namespace is small, but even its first DATA frame needs window.
      const block = requestBlock(LIST, ["containerd-namespace", "stall"]);
      client.socket.write(Buffer.concat([rawFrame(1, 0x4, 1, block), rawFrame(0, 0x1, 1, EMPTY_MESSAGE)]));
      await client.waitFor((f) => f.type === 1 && f.stream === 1 && (f.flags & 0x1) !== 0, 4000);
      expect(client.headerBlocks().at(-1)?.fields["grpc-status"]).toBe("8");
      client.socket.destroy();
    });
    expect(berthd.stderr()).toMatch(/"limit":"send stalled"/);
  });

  it("slow loris: a connection that sends half a preface is closed at the handshake timeout", async () => {
    await servedDuring(target(), async () => {
      const client = await rawConnection(target(), undefined, { preface: false });
      client.socket.write("PRI * HTTP/2.0\r\n");
      expect(await closedWithin(client, 2000)).toBe(true);
    });
  });

  it(`too many connections: beyond ${MAX_CONNECTIONS} they are closed as they arrive`, async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS - 2 }, () => rawConnection(target())));
    try {
      const extra = await Promise.all(Array.from({ length: 4 }, () => rawConnection(target())));
      const closed = await Promise.all(extra.map((client) => closedWithin(client, 1000)));
      expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(2);
      for (const client of extra) client.socket.destroy();
      // Said once a second at most, with how many were refused.
      const deadline = Date.now() + 3000;
      while (!/"limit":"too many connections"/.test(berthd.stderr()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(berthd.stderr()).toMatch(/"limit":"too many connections","detail":"\d+ refused"/);
    } finally {
      for (const client of held) client.socket.destroy();
    }
  });
});

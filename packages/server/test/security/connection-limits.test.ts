/**
 * Connections that hold berthd's resources without using them, against a real
 * berthd with short timeouts: silent sockets, idle connections, requests that
 * never finish or trickle in, and rapid reset spread over many connections.
 * Each is cut off; a normal client is served throughout. The attacks on one
 * connection, on every HTTP/2 listener, are in h2-attacks.test.ts.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { frame as envelope, rawGrpcCall } from "../support/grpc-raw.js";
import { rawConnection, rawFrame } from "../support/h2-raw.js";

const HEALTH = "/grpc.health.v1.Health/Check";
const GET = "/containerd.services.containers.v1.Containers/Get";
const MAX_CONNECTIONS = 16;

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({
    tcp: true,
    extraArgs: [
      ...["--handshake-timeout", "300ms", "--idle-timeout", "600ms", "--request-timeout", "1s"],
      ...["--max-connections", String(MAX_CONNECTIONS)],
    ],
  });
});
afterAll(async () => {
  await berthd.dispose();
});

const requestBlock = (path: string) =>
  encodeHeaderBlock([
    ...[":method", "POST", ":scheme", "http", ":path", path, ":authority", "localhost"],
    ...["content-type", "application/grpc", "te", "trailers", "containerd-namespace", "default"],
  ]);

async function healthy(): Promise<void> {
  expect((await rawGrpcCall(berthd.socket, HEALTH, new Uint8Array(0))).status).toBe("0");
}

async function closedWithin(client: Awaited<ReturnType<typeof rawConnection>>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!client.ended() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return client.ended();
}

describe("idle and slow connections", () => {
  it("closes a connection that never sends its preface (handshake timeout)", async () => {
    const silent = await rawConnection(berthd.socket, undefined, { preface: false });
    expect(await closedWithin(silent, 2000)).toBe(true);
    await healthy();
  });

  it("sends GOAWAY to a connection without streams (idle timeout), and closes it", async () => {
    const idle = await rawConnection(berthd.socket);
    const goaway = await idle.waitFor((f) => f.type === 7, 3000);
    expect(goaway.payload.readUInt32BE(4)).toBe(0);
    expect(await closedWithin(idle, 2000)).toBe(true);
  });

  it("keeps a connection whose stream stays open (a subscription) past the idle timeout", async () => {
    const client = await rawConnection(berthd.socket);
    client.socket.write(
      Buffer.concat([
        rawFrame(1, 0x4, 1, requestBlock("/containerd.services.events.v1.Events/Subscribe")),
        rawFrame(0, 0x1, 1, envelope(new Uint8Array(0))),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(client.frames.some((f) => f.type === 7)).toBe(false);
    expect(client.ended()).toBe(false);
    client.socket.destroy();
  });

  it("answers ResourceExhausted to a request that never ends (half-open streams)", async () => {
    const client = await rawConnection(berthd.socket);
    const opens: Buffer[] = [];
    for (let i = 0; i < 200; i++) opens.push(rawFrame(1, 0x4, 1 + 2 * i, requestBlock(GET)));
    client.socket.write(Buffer.concat(opens));
    await client.waitFor((f) => f.type === 1 && f.stream === 399 && (f.flags & 0x1) !== 0, 4000);
    const ends = client.headerBlocks().filter((block) => block.endStream);
    expect(ends).toHaveLength(200);
    for (const end of ends) {
      expect(end.fields["grpc-status"]).toBe("8");
      expect(decodeURIComponent(end.fields["grpc-message"] ?? "")).toBe("berthd cut the call off: request timeout");
    }
    client.socket.destroy();
  });

  it("times out a request body that trickles in", async () => {
    const client = await rawConnection(berthd.socket);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(15 * 1024 * 1024, 1);
    client.socket.write(Buffer.concat([rawFrame(1, 0x4, 1, requestBlock(GET)), rawFrame(0, 0, 1, header)]));
    const trickle = setInterval(() => client.socket.write(rawFrame(0, 0, 1, Buffer.alloc(1024))), 100);
    try {
      await client.waitFor((f) => f.type === 1 && f.stream === 1 && (f.flags & 0x1) !== 0, 4000);
    } finally {
      clearInterval(trickle);
    }
    expect(client.headerBlocks().at(-1)?.fields["grpc-status"]).toBe("8");
    expect(berthd.stderr()).toMatch(/"limit":"request timeout"/);
    client.socket.destroy();
  });
});

describe("slow requests over TCP", () => {
  it("answers ResourceExhausted to an HTTP/2 request whose body trickles in, as on the unix socket", async () => {
    const session = http2.connect(berthd.tcpUrl as string);
    session.on("error", () => undefined);
    const stream = session.request({
      ":method": "POST",
      ":path": GET,
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => undefined);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(15 * 1024 * 1024, 1);
    stream.write(header);
    const trickle = setInterval(() => stream.write(Buffer.alloc(1024)), 100);
    const status = await new Promise<string | undefined>((resolve) => {
      stream.once("response", (fields) => {
        if (fields["grpc-status"] !== undefined) resolve(String(fields["grpc-status"]));
      });
      stream.once("trailers", (fields) => resolve(String(fields["grpc-status"])));
      stream.once("close", () => resolve(undefined));
    });
    clearInterval(trickle);
    expect(status).toBe("8");
    expect(berthd.stderr()).toMatch(/"limit":"request timeout".*"listener":"http:/);
    session.close();
  });

  it("closes an HTTP/1.1 request whose body trickles in", async () => {
    const url = new URL(berthd.tcpUrl as string);
    const socket = net.connect(Number(url.port), "127.0.0.1");
    socket.on("error", () => undefined);
    socket.write(
      `POST /containerd.services.containers.v1.Containers/Get HTTP/1.1\r\nhost: 127.0.0.1:${url.port}\r\n` +
        "content-type: application/json\r\ncontent-length: 1000000\r\n\r\n{",
    );
    const trickle = setInterval(() => socket.write(" "), 100);
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.once("close", () => resolve(text));
    });
    clearInterval(trickle);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });
});

describe("keepalives and floods spread over connections", () => {
  it("lets a client ping now and then (keepalive)", async () => {
    const client = await rawConnection(berthd.socket);
    for (let i = 0; i < 5; i++) client.socket.write(rawFrame(6, 0, 0, Buffer.alloc(8, i)));
    await client.waitFor((f) => f.type === 6 && f.flags === 1 && f.payload[0] === 4);
    expect(client.frames.some((f) => f.type === 7)).toBe(false);
    client.socket.destroy();
  });

  it("closes connections that together reset streams faster than the server-wide limit", async () => {
    // Each connection stays under its own limit (1,000 a second); together they are over 10,000.
    const clients = await Promise.all(Array.from({ length: 12 }, () => rawConnection(berthd.socket)));
    const block = requestBlock(HEALTH);
    for (const client of clients) {
      const burst: Buffer[] = [];
      for (let i = 0; i < 950; i++) {
        burst.push(rawFrame(1, 0x4, 1 + 2 * i, block), rawFrame(3, 0, 1 + 2 * i, Buffer.from([0, 0, 0, 8])));
      }
      client.socket.write(Buffer.concat(burst));
    }
    // The GOAWAYs leave once berthd has read the bursts, later on a busy machine.
    const goneAway = () =>
      clients.filter((client) => client.frames.some((f) => f.type === 7 && f.payload.readUInt32BE(4) === 0xb));
    for (let waited = 0; waited < 3000 && goneAway().length === 0; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const calmed = goneAway();
    expect(calmed.length).toBeGreaterThan(0);
    for (const client of clients) client.socket.destroy();
    expect(berthd.stderr()).toMatch(/"detail":"RST_STREAM"/);
    await healthy();
  });
});

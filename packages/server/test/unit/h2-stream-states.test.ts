/**
 * The HTTP/2 stream state machine (RFC 9113 §5.1), frame by frame against
 * berthd's transport in this process (no daemon): a server whose streams answer
 * at once or wait, and a raw client. Each case is one rule h2spec checks too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.js";
import { ErrorCode } from "../../src/transport/h2/frames.js";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { createH2Server, type H2Server } from "../../src/transport/h2/server.js";
import type { H2Stream } from "../../src/transport/h2/stream.js";
import { type RawConnection, rawConnection, rawFrame } from "../support/h2-raw.js";

const HEADERS = 1;
const PRIORITY = 2;
const RST_STREAM = 3;
const GOAWAY = 7;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PRIORITY_FLAG = 0x20;

let directory: string;
let socketPath: string;
let listener: net.Server;
let h2: H2Server;
/** Streams whose path is /wait are left open; others are answered 200 with a body at once. */
const waiting: H2Stream[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-h2-states-"));
  socketPath = join(directory, "h2.sock");
  h2 = createH2Server({
    limits: DEFAULT_LIMITS.h2,
    onStream: (stream) => {
      if (stream.headers[":path"] === "/wait") {
        waiting.push(stream);
        return;
      }
      stream.respond(200, ["content-type", "text/plain"]);
      stream.write(Buffer.from("ok"));
      stream.end();
    },
  });
  listener = net.createServer((socket) => h2.accept(socket));
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
});
afterAll(async () => {
  h2.destroy();
  await new Promise((resolve) => listener.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

const block = (path = "/", extra: string[] = []) =>
  encodeHeaderBlock([":method", "GET", ":scheme", "http", ":path", path, ":authority", "localhost", ...extra]);

function rstCode(client: RawConnection, stream: number): Promise<number> {
  return client.waitFor((f) => f.type === RST_STREAM && f.stream === stream).then((f) => f.payload.readUInt32BE(0));
}

function goawayCode(client: RawConnection): Promise<number> {
  return client.waitFor((f) => f.type === GOAWAY).then((f) => f.payload.readUInt32BE(4));
}

async function connect(): Promise<RawConnection> {
  const client = await rawConnection(socketPath);
  await client.waitFor((f) => f.type === 4 && f.flags === 0);
  return client;
}

/** Sends a request that ends with its HEADERS and waits for the whole answer. */
async function answered(client: RawConnection, id: number): Promise<void> {
  client.socket.write(rawFrame(HEADERS, END_STREAM | END_HEADERS, id, block()));
  await client.waitFor((f) => f.type === 0 && f.stream === id && (f.flags & END_STREAM) !== 0);
}

describe("frames on streams the client closed", () => {
  it("HEADERS on a half-closed (remote) stream: RST_STREAM STREAM_CLOSED", async () => {
    const client = await connect();
    client.socket.write(rawFrame(HEADERS, END_STREAM | END_HEADERS, 1, block("/wait")));
    client.socket.write(rawFrame(HEADERS, END_STREAM | END_HEADERS, 1, block("/wait")));
    expect(await rstCode(client, 1)).toBe(ErrorCode.STREAM_CLOSED);
    client.socket.destroy();
  });

  it("DATA on a stream closed in both directions: GOAWAY STREAM_CLOSED", async () => {
    const client = await connect();
    await answered(client, 1);
    client.socket.write(rawFrame(0, END_STREAM, 1, Buffer.from("late")));
    expect(await goawayCode(client)).toBe(ErrorCode.STREAM_CLOSED);
    client.socket.destroy();
  });

  it("DATA after the client reset the stream: STREAM_CLOSED", async () => {
    const client = await connect();
    client.socket.write(rawFrame(HEADERS, END_HEADERS, 1, block("/wait")));
    client.socket.write(rawFrame(RST_STREAM, 0, 1, Buffer.from([0, 0, 0, ErrorCode.CANCEL])));
    client.socket.write(rawFrame(0, 0, 1, Buffer.from("late")));
    expect(await goawayCode(client)).toBe(ErrorCode.STREAM_CLOSED);
    client.socket.destroy();
  });

  it("a stream id lower than an earlier one: GOAWAY PROTOCOL_ERROR", async () => {
    const client = await connect();
    await answered(client, 5);
    client.socket.write(rawFrame(HEADERS, END_STREAM | END_HEADERS, 3, block()));
    expect(await goawayCode(client)).toBe(ErrorCode.PROTOCOL_ERROR);
    client.socket.destroy();
  });
});

describe("frames the server must tolerate", () => {
  it("drops DATA still in flight on a stream the server reset, and serves the next stream", async () => {
    const client = await connect();
    client.socket.write(rawFrame(HEADERS, END_HEADERS, 1, block("/wait")));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stream = waiting.pop() as H2Stream;
    stream.reset(ErrorCode.CANCEL);
    expect(await rstCode(client, 1)).toBe(ErrorCode.CANCEL);
    client.socket.write(rawFrame(0, END_STREAM, 1, Buffer.from("in flight")));
    await answered(client, 3);
    expect(client.frames.some((f) => f.type === GOAWAY)).toBe(false);
    client.socket.destroy();
  });

  it("WINDOW_UPDATE and PRIORITY on a half-closed (remote) stream", async () => {
    const client = await connect();
    client.socket.write(rawFrame(HEADERS, END_STREAM | END_HEADERS, 1, block("/wait")));
    client.socket.write(rawFrame(8, 0, 1, Buffer.from([0, 0, 0, 100])));
    client.socket.write(rawFrame(PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 16])));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const stream = waiting.pop() as H2Stream;
    stream.respond(200, []);
    stream.write(Buffer.from("late answer"));
    stream.end();
    await client.waitFor((f) => f.type === 0 && f.stream === 1 && (f.flags & END_STREAM) !== 0);
    expect(client.frames.some((f) => f.type === GOAWAY || f.type === RST_STREAM)).toBe(false);
    client.socket.destroy();
  });
});

describe("malformed requests: stream errors, the connection goes on", () => {
  it.each([
    [
      "a HEADERS that depends on itself",
      () => [
        rawFrame(
          HEADERS,
          END_STREAM | END_HEADERS | PRIORITY_FLAG,
          1,
          Buffer.concat([Buffer.from([0, 0, 0, 1, 16]), block()]),
        ),
      ],
    ],
    ["a PRIORITY that depends on itself", () => [rawFrame(PRIORITY, 0, 1, Buffer.from([0, 0, 0, 1, 16]))]],
    [
      "an empty :path",
      () => [
        rawFrame(
          HEADERS,
          END_STREAM | END_HEADERS,
          1,
          encodeHeaderBlock([":method", "GET", ":scheme", "http", ":path", ""]),
        ),
      ],
    ],
    [
      "a body shorter than its content-length",
      () => [
        rawFrame(HEADERS, END_HEADERS, 1, block("/", ["content-length", "10"])),
        rawFrame(0, END_STREAM, 1, Buffer.from("short")),
      ],
    ],
    [
      "a body longer than its content-length",
      () => [
        rawFrame(HEADERS, END_HEADERS, 1, block("/", ["content-length", "2"])),
        rawFrame(0, 0, 1, Buffer.from("too long")),
      ],
    ],
  ])("%s: RST_STREAM PROTOCOL_ERROR", async (_what, frames) => {
    const client = await connect();
    client.socket.write(Buffer.concat(frames()));
    expect(await rstCode(client, 1)).toBe(ErrorCode.PROTOCOL_ERROR);
    await answered(client, 3);
    expect(client.frames.some((f) => f.type === GOAWAY)).toBe(false);
    client.socket.destroy();
  });
});

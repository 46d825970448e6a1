import http2 from "node:http2";
import net from "node:net";
import { CreateContainerRequestSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { frame as envelope, rawGrpcCall } from "../support/grpc-raw.js";
import { rawConnection as openRawConnection, rawFrame } from "../support/h2-raw.js";

// berthd's own HTTP/2 transport on the unix socket, spoken to frame by frame.
const HEALTH = "/grpc.health.v1.Health/Check";

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess();
});
afterAll(async () => {
  await berthd.dispose();
});

const requestBlock = (path: string, extra: string[] = []) =>
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
    ...extra,
  ]);

const rawConnection = (settingsPayload?: Buffer) => openRawConnection(berthd.socket, settingsPayload);

describe("berthd's HTTP/2 transport", () => {
  it("answers a call with HEADERS, DATA and trailers in one write, and PING with PING", async () => {
    const client = await rawConnection();
    client.socket.write(
      Buffer.concat([
        rawFrame(1, 0x4, 1, requestBlock(HEALTH)),
        rawFrame(0, 0x1, 1, envelope(new Uint8Array(0))),
        rawFrame(6, 0, 0, Buffer.from("12345678")),
      ]),
    );
    const ping = await client.waitFor((f) => f.type === 6 && f.flags === 1);
    expect(ping.payload.toString()).toBe("12345678");
    const trailers = await client.waitFor((f) => f.type === 1 && f.stream === 1 && (f.flags & 0x1) !== 0);
    const onStream = client.frames.filter((f) => f.stream === 1);
    expect(onStream.map((f) => f.type)).toEqual([1, 0, 1]);
    // Node's HTTP/2 sent the trailers a loop iteration later, in a write of their own.
    expect(new Set(onStream.map((f) => f.read)).size).toBe(1);
    expect(trailers.payload.includes(Buffer.from("grpc-status"))).toBe(true);
    client.socket.destroy();
  });

  it("honours a client's small window: a 200-container listing arrives whole", async () => {
    const namespace = { "containerd-namespace": "h2-window" };
    for (let i = 0; i < 200; i++) {
      const request = toBinary(
        CreateContainerRequestSchema,
        create(CreateContainerRequestSchema, {
          container: {
            id: `c-${i}`,
            runtime: { name: "io.containerd.runc.v2" },
            spec: { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: new Uint8Array(100) },
          },
        }),
      );
      const created = await rawGrpcCall(
        berthd.socket,
        "/containerd.services.containers.v1.Containers/Create",
        request,
        namespace,
      );
      expect(created.status).toBe("0");
    }
    const session = http2.connect("http://localhost", {
      createConnection: () => net.connect(berthd.socket),
      settings: { initialWindowSize: 1000 },
    });
    const stream = session.request({
      ":method": "POST",
      ":path": "/containerd.services.containers.v1.Containers/List",
      "content-type": "application/grpc",
      te: "trailers",
      ...namespace,
    });
    const body: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => body.push(chunk));
    const status = new Promise<string | undefined>((resolve) =>
      stream.once("trailers", (headers) => resolve(headers["grpc-status"] as string | undefined)),
    );
    stream.end(envelope(new Uint8Array(0)));
    expect(await status).toBe("0");
    const listing = Buffer.concat(body);
    expect(listing.readUInt32BE(1)).toBe(listing.length - 5);
    expect(listing.length).toBeGreaterThan(200 * 100);
    session.close();
  });

  it("resets a request it refused before the client finished sending (gRPC-Web, 20 MiB declared)", async () => {
    const session = http2.connect("http://localhost", { createConnection: () => net.connect(berthd.socket) });
    const stream = session.request({
      ":method": "POST",
      ":path": HEALTH,
      "content-type": "application/grpc-web+proto",
    });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(20 * 1024 * 1024, 1);
    stream.write(header);
    const body: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => body.push(chunk));
    const closed = new Promise<number>((resolve) => stream.once("close", () => resolve(stream.rstCode ?? -1)));
    stream.on("error", () => undefined);
    // The request is never ended: berthd answers, then tells the client to stop (RST_STREAM NO_ERROR).
    expect(await closed).toBe(0);
    expect(Buffer.concat(body).toString("latin1")).toMatch(/grpc-status: ?8/);
    session.close();
  });

  it("refuses streams beyond 1,000 open at once", async () => {
    const client = await rawConnection();
    const block = requestBlock(HEALTH);
    const opens: Buffer[] = [];
    for (let i = 0; i < 1001; i++) opens.push(rawFrame(1, 0x4, 1 + 2 * i, block));
    client.socket.write(Buffer.concat(opens));
    const refused = await client.waitFor((f) => f.type === 3 && f.stream === 2001);
    expect(refused.payload.readUInt32BE(0)).toBe(7);
    client.socket.destroy();
  });

  it("answers 431 to a request whose headers are too large", async () => {
    const client = await rawConnection();
    const block = requestBlock(HEALTH, ["x-big", "v".repeat(70_000)]);
    const frames: Buffer[] = [];
    for (let at = 0; at < block.length; at += 16_384) {
      const part = block.subarray(at, at + 16_384);
      const last = at + 16_384 >= block.length;
      frames.push(rawFrame(at === 0 ? 1 : 9, (at === 0 ? 0x1 : 0) | (last ? 0x4 : 0), 1, part));
    }
    client.socket.write(Buffer.concat(frames));
    const answer = await client.waitFor((f) => f.type === 1 && f.stream === 1);
    expect(answer.payload.includes(Buffer.from("431"))).toBe(true);
    client.socket.destroy();
  });

  it.each([
    ["DATA on stream 0", () => rawFrame(0, 0, 0, Buffer.from("x")), 1],
    [
      "a HEADERS frame with a broken header block",
      () => rawFrame(1, 0x4, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])),
      9,
    ],
    ["CONTINUATION without HEADERS", () => rawFrame(9, 0x4, 1, Buffer.from([0x82])), 1],
    ["a frame larger than 16 KiB", () => rawFrame(0, 0, 1, Buffer.alloc(20_000)), 6],
    ["a WINDOW_UPDATE that overflows the window", () => rawFrame(8, 0, 0, Buffer.from([0x7f, 0xff, 0xff, 0xff])), 3],
  ])("closes the connection with GOAWAY on %s, and keeps serving", async (_, bad, code) => {
    const client = await rawConnection();
    client.socket.write(bad());
    const goaway = await client.waitFor((f) => f.type === 7);
    expect(goaway.payload.readUInt32BE(4)).toBe(code);
    client.socket.destroy();
    const health = await rawGrpcCall(berthd.socket, HEALTH, new Uint8Array(0), {});
    expect(health.status).toBe("0");
  });
});

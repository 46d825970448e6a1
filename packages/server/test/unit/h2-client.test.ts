/**
 * berthd's HTTP/2 client (what the gateway speaks to containerd) against a
 * foreign server, Node's nghttp2: requests and trailers, the server's flow
 * control with a tiny window, header blocks split into CONTINUATION frames,
 * the server's stream limit, resets, and a server that goes away.
 */
import http2 from "node:http2";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientStreamEvents, H2ClientConnection } from "../../src/transport/h2/client.js";
import { ErrorCode } from "../../src/transport/h2/frames.js";

let server: http2.Http2Server | undefined;
let client: H2ClientConnection | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

async function connect(
  settings: http2.Settings,
  handler: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
): Promise<H2ClientConnection> {
  server = http2.createServer({ settings });
  server.on("stream", handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  client = new H2ClientConnection(socket);
  return client;
}

interface Answer {
  headers: string[];
  body: Buffer;
  trailers: string[] | undefined;
  code: number;
}

/** Sends one request with `body` and collects the answer, consuming it as it comes. */
function call(connection: H2ClientConnection, fields: string[], body: Buffer[] = []): Promise<Answer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let headers: string[] = [];
    let trailers: string[] | undefined;
    const events: ClientStreamEvents = {
      onHeaders: (received) => {
        headers = received;
      },
      onData: (chunk) => {
        chunks.push(Buffer.from(chunk));
        stream.consumed(chunk.length);
      },
      onTrailers: (received) => {
        trailers = received;
      },
      onClose: (code) => resolve({ headers, body: Buffer.concat(chunks), trailers, code }),
    };
    const stream = connection.request(
      [":method", "POST", ":scheme", "http", ":path", "/echo", ":authority", "localhost", ...fields],
      events,
    );
    for (const chunk of body) stream.write(chunk);
    stream.end();
  });
}

/** Echoes the request body back, with a trailer saying how many bytes came. */
function echo(stream: http2.ServerHttp2Stream): void {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    stream.respond({ ":status": 200, "content-type": "application/octet-stream" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "x-bytes": String(body.length) }));
    stream.end(body);
  });
}

function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

describe("berthd's HTTP/2 client", () => {
  it("sends a request and reads headers, body and trailers", async () => {
    const connection = await connect({}, echo);
    const answer = await call(connection, ["x-probe", "1"], [Buffer.from("hello")]);
    expect(field(answer.headers, ":status")).toBe("200");
    expect(answer.body.toString()).toBe("hello");
    expect(answer.trailers).toEqual(["x-bytes", "5"]);
    expect(answer.code).toBe(ErrorCode.NO_ERROR);
  });

  it("keeps within a server's small windows while sending a large body", async () => {
    const connection = await connect({ initialWindowSize: 1024 }, echo);
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    body.writeUInt32BE(0xdeadbeef, body.length - 4);
    const answer = await call(connection, [], [body.subarray(0, 1_000_000), body.subarray(1_000_000)]);
    expect(answer.body.equals(body)).toBe(true);
    expect(answer.trailers).toEqual(["x-bytes", String(body.length)]);
  });

  it("splits a header block larger than a frame into CONTINUATION frames", async () => {
    let received: string | undefined;
    const connection = await connect({ maxHeaderListSize: 1 << 20 }, (stream, headers) => {
      received = String(headers["x-large"]);
      echo(stream);
    });
    const large = "v".repeat(40_000);
    const answer = await call(connection, ["x-large", large], []);
    expect(answer.code).toBe(ErrorCode.NO_ERROR);
    expect(received).toBe(large);
  });

  it("waits for a free stream when the server allows one at a time", async () => {
    let open = 0;
    let most = 0;
    const connection = await connect({ maxConcurrentStreams: 1 }, (stream) => {
      open++;
      most = Math.max(most, open);
      stream.on("close", () => open--);
      setTimeout(() => echo(stream), 20);
    });
    // Let the server's SETTINGS arrive first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const answers = await Promise.all([1, 2, 3].map((n) => call(connection, [], [Buffer.from(String(n))])));
    expect(answers.map((answer) => answer.body.toString())).toEqual(["1", "2", "3"]);
    expect(most).toBe(1);
  });

  it("reports a server's reset with its code", async () => {
    const connection = await connect({}, (stream) => {
      stream.on("error", () => undefined);
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    const answer = await call(connection, [], [Buffer.from("x")]);
    expect(answer.code).toBe(ErrorCode.REFUSED_STREAM);
  });

  it("ends open streams with CANCEL and takes no requests once the server is gone", async () => {
    const sessions: http2.ServerHttp2Session[] = [];
    const connection = await connect({}, (stream) => {
      sessions.push(stream.session as http2.ServerHttp2Session);
    });
    let gone: string | undefined;
    connection.onGone = (why) => {
      gone = why;
    };
    const pending = call(connection, [], [Buffer.from("x")]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const session of sessions) session.destroy();
    expect((await pending).code).toBe(ErrorCode.CANCEL);
    expect(gone).toBeDefined();
    expect(connection.open).toBe(false);
    expect((await call(connection, [], [])).code).toBe(ErrorCode.REFUSED_STREAM);
  });
});

import http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { frame, rawGrpcCall, rawGrpcExchange } from "../support/grpc-raw.js";
import { lenField } from "../support/protowire.js";

// berthd serves plain gRPC unary and server-streaming calls on its own fast path and everything else
// through the Connect adapter. A declared but unused gzip encoding (flag 0 on
// every envelope) sends the very same call through the adapter.
const GET = "/containerd.services.containers.v1.Containers/Get";
const NAMESPACE = { "containerd-namespace": "fast" };
const VIA_ADAPTER = { ...NAMESPACE, "grpc-encoding": "gzip" };

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess();
});
afterAll(async () => {
  await berthd.dispose();
});

const envelope = (flags: number, declared: number, body: Uint8Array = new Uint8Array()) => {
  const bytes = Buffer.alloc(5 + body.length);
  bytes[0] = flags;
  bytes.writeUInt32BE(declared, 1);
  bytes.set(body, 5);
  return bytes;
};

/**
 * Opens a Get whose request bytes arrive in two frames, cut at `cut`, 20 ms
 * apart, and leaves the request open. The caller closes `session`.
 */
async function getInPieces(bytes: Buffer, cut: number) {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(berthd.socket) });
  const stream = session.request({
    ":method": "POST",
    ":path": GET,
    "content-type": "application/grpc",
    te: "trailers",
    ...NAMESPACE,
  });
  const body: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => body.push(chunk));
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    stream.once("trailers", resolve);
    stream.once("error", reject);
  });
  stream.write(bytes.subarray(0, cut));
  await sleep(20);
  stream.write(bytes.subarray(cut));
  return { session, stream, body, trailers };
}

const malformed: [string, Uint8Array, string][] = [
  ["no envelope at all", new Uint8Array(), "12"],
  ["a cut envelope header", new Uint8Array([0, 0, 0]), "3"],
  ["fewer bytes than the envelope promises", envelope(0, 10, new Uint8Array([10, 1])), "3"],
  ["two envelopes for a unary method", Buffer.concat([frame(lenField(1, "a")), frame(lenField(1, "b"))]), "12"],
  ["bytes that are not protobuf", frame(new Uint8Array([0xff, 0xff, 0xff, 0xff])), "13"],
  ["an envelope over the 16 MiB limit", envelope(0, 16 * 1024 * 1024 + 1), "8"],
];

describe("gRPC fast path", () => {
  it.each(malformed)("answers %s as the Connect adapter does", async (_, bytes, code) => {
    const fast = await rawGrpcExchange(berthd.socket, GET, bytes, NAMESPACE);
    const adapter = await rawGrpcExchange(berthd.socket, GET, bytes, VIA_ADAPTER);
    expect(fast.status).toBe(code);
    expect({ status: fast.status, message: fast.message }).toEqual({
      status: adapter.status,
      message: adapter.message,
    });
  });

  it("answers a well-formed call byte for byte as the Connect adapter does", async () => {
    const create = "/containerd.services.containers.v1.Containers/Create";
    const container = Buffer.concat([
      lenField(1, "same"), // id
      lenField(4, lenField(1, "io.containerd.runc.v2")), // runtime.name
      lenField(
        5,
        Buffer.concat([lenField(1, "types.containerd.io/opencontainers/runtime-spec/1/Spec"), lenField(2, "{}")]),
      ),
    ]);
    const created = await rawGrpcCall(berthd.socket, create, lenField(1, container), NAMESPACE);
    expect(created).toMatchObject({ status: "0" });
    const fast = await rawGrpcCall(berthd.socket, GET, lenField(1, "same"), NAMESPACE);
    const adapter = await rawGrpcCall(berthd.socket, GET, lenField(1, "same"), VIA_ADAPTER);
    expect(fast.status).toBe("0");
    expect(fast.messages).toEqual(adapter.messages);
    const missing = await rawGrpcCall(berthd.socket, GET, lenField(1, "other"), NAMESPACE);
    const missingViaAdapter = await rawGrpcCall(berthd.socket, GET, lenField(1, "other"), VIA_ADAPTER);
    expect(missing).toEqual(missingViaAdapter);
    expect(missing.status).toBe("5");
  });

  it("rejects a compressed envelope that no encoding explains", async () => {
    const result = await rawGrpcExchange(berthd.socket, GET, envelope(1, 2, lenField(1, "")), NAMESPACE);
    expect(result.status).toBe("13");
  });

  it("rejects a malformed deadline and honours an expired one", async () => {
    const bad = await rawGrpcCall(berthd.socket, GET, lenField(1, "x"), { ...NAMESPACE, "grpc-timeout": "soon" });
    expect(bad).toMatchObject({ status: "3", message: "protocol error: invalid grpc timeout value: soon" });
    const expired = await rawGrpcCall(berthd.socket, GET, lenField(1, "x"), { ...NAMESPACE, "grpc-timeout": "0n" });
    expect(expired.status).toBe("4");
    const generous = await rawGrpcCall(berthd.socket, GET, lenField(1, "x"), { ...NAMESPACE, "grpc-timeout": "5S" });
    expect(generous.status).toBe("5");
  });

  it("keeps serving after an oversized request", async () => {
    const huge = Buffer.concat([envelope(0, 20 * 1024 * 1024), Buffer.alloc(4 * 1024 * 1024)]);
    const rejected = await rawGrpcExchange(berthd.socket, GET, huge, NAMESPACE);
    expect(rejected.status).toBe("8");
    const after = await rawGrpcCall(berthd.socket, GET, lenField(1, "x"), NAMESPACE);
    expect(after.status).toBe("5");
  });

  it("answers once the message is complete, before the client ends the request, and ignores input after it", async () => {
    const create = "/containerd.services.containers.v1.Containers/Create";
    const container = Buffer.concat([
      lenField(1, "early"),
      lenField(4, lenField(1, "io.containerd.runc.v2")),
      lenField(
        5,
        Buffer.concat([lenField(1, "types.containerd.io/opencontainers/runtime-spec/1/Spec"), lenField(2, "{}")]),
      ),
    ]);
    expect(await rawGrpcCall(berthd.socket, create, lenField(1, container), NAMESPACE)).toMatchObject({ status: "0" });

    // The envelope arrives in two frames, the header cut short, and the request stays open.
    const { session, stream, body, trailers } = await getInPieces(frame(lenField(1, "early")), 3);
    try {
      expect((await trailers)["grpc-status"]).toBe("0");
      expect(Buffer.concat(body).includes("early")).toBe(true);

      // A second message after the answer changes nothing: the call is over.
      const closed = new Promise<void>((resolve) => stream.once("close", resolve));
      stream.end(frame(lenField(1, "other")));
      await closed;
      expect(stream.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
    } finally {
      session.close();
    }
  });

  it("reads an envelope header that arrives in pieces, and refuses an oversized one at once", async () => {
    const oversized = envelope(0, 16 * 1024 * 1024 + 1);
    const whole = await rawGrpcExchange(berthd.socket, GET, oversized, NAMESPACE);
    const { session, trailers } = await getInPieces(oversized, 2);
    try {
      // The request stays open: the answer comes from the header alone.
      const answer = await trailers;
      expect(answer["grpc-status"]).toBe("8");
      expect({ status: answer["grpc-status"], message: decodeURIComponent(String(answer["grpc-message"])) }).toEqual({
        status: whole.status,
        message: whole.message,
      });
    } finally {
      session.destroy();
    }
  });

  it("lists and streams a listing byte for byte as the Connect adapter does", async () => {
    const create = "/containerd.services.containers.v1.Containers/Create";
    const runtime = lenField(4, lenField(1, "io.containerd.runc.v2"));
    const spec = lenField(5, lenField(1, "types.containerd.io/opencontainers/runtime-spec/1/Spec"));
    // A label large enough that the whole listing is over 64 KiB: the size at which answers leave uncopied.
    const padding = lenField(2, Buffer.concat([lenField(1, "pad"), lenField(2, "x".repeat(250))]));
    const headers = { "containerd-namespace": "fast-stream" };
    const bothWays = async (path: string, body: Uint8Array) => {
      const fast = await rawGrpcCall(berthd.socket, path, body, headers);
      const adapter = await rawGrpcCall(berthd.socket, path, body, { ...headers, "grpc-encoding": "gzip" });
      return [fast, adapter] as const;
    };
    for (let i = 0; i < 300; i++) {
      const container = Buffer.concat([lenField(1, `c${String(i).padStart(3, "0")}`), padding, runtime, spec]);
      const created = await rawGrpcCall(berthd.socket, create, lenField(1, container), headers);
      expect(created.status).toBe("0");
    }
    const listStream = "/containerd.services.containers.v1.Containers/ListStream";
    const [fast, adapter] = await bothWays(listStream, new Uint8Array());
    expect(fast.status).toBe("0");
    expect(fast.messages).toHaveLength(300);
    expect(fast.messages).toEqual(adapter.messages);
    const list = "/containerd.services.containers.v1.Containers/List";
    const [listed, listedViaAdapter] = await bothWays(list, new Uint8Array());
    expect(listed.status).toBe("0");
    expect(listed.messages[0]?.length).toBeGreaterThan(64 * 1024);
    // The adapter answers a message this large gzipped, as the request's encoding allows.
    expect(listedViaAdapter.messages.map((bytes) => gunzipSync(bytes))).toEqual(
      listed.messages.map((bytes) => Buffer.from(bytes)),
    );
    const filtered = await rawGrpcCall(berthd.socket, listStream, lenField(1, "id~=c00[0-4]"), headers);
    expect(filtered.messages).toHaveLength(5);
    const [badFilter, badViaAdapter] = await bothWays(listStream, lenField(1, "id=="));
    expect(badFilter.status).toBe("3");
    expect(badFilter).toEqual(badViaAdapter);
  });

  it("ends a subscription at its deadline", async () => {
    const subscribe = "/containerd.services.events.v1.Events/Subscribe";
    const started = Date.now();
    const result = await rawGrpcCall(berthd.socket, subscribe, new Uint8Array(), { "grpc-timeout": "200m" });
    expect(result.status).toBe("4");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });
});

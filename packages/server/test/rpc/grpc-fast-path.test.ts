/**
 * The gRPC fast path in this process, over berthd's HTTP/2 transport on a unix
 * socket and a plain Node HTTP/2 client: deadlines reach the handler (its
 * `timeoutMs()` and its signal), errors carry their details and metadata as
 * Connect writes them, and a malformed `grpc-timeout` is refused as Connect refuses it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Health, HealthCheckRequestSchema, HealthCheckResponseSchema } from "@berth/gen/grpc/health/v1/health_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.js";
import { createGrpcFastPath } from "../../src/rpc/grpc-fast-path.js";
import { createH2Server, type H2Server } from "../../src/transport/h2/server.js";
import { H2CallIo } from "../../src/transport/h2-call-io.js";

/** What the handlers saw of their last call. */
const seen: { timeoutMs?: number | undefined; aborted?: unknown } = {};

const health: ServiceImpl<typeof Health> = {
  check(request, context: HandlerContext) {
    seen.timeoutMs = context.timeoutMs();
    if (request.service === "fail") {
      throw new ConnectError("not today", Code.FailedPrecondition, { "x-why": "because" }, [
        { desc: HealthCheckRequestSchema, value: { service: "detail" } },
      ]);
    }
    return create(HealthCheckResponseSchema, { status: 1 });
  },
  async *watch(_request, context: HandlerContext) {
    await new Promise<void>((resolve) => context.signal.addEventListener("abort", () => resolve()));
    seen.aborted = context.signal.reason;
  },
};

let directory: string;
let listener: net.Server;
let h2: H2Server;
let session: http2.ClientHttp2Session;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-fast-path-"));
  const socketPath = join(directory, "rpc.sock");
  const fastPath = createGrpcFastPath({
    implementations: [createServiceImplSpec<typeof Health>(Health, health)],
    interceptors: [],
    contextValues: () => createContextValues(),
    readMaxBytes: 1024 * 1024,
    writeMaxBytes: 1024 * 1024,
  });
  h2 = createH2Server({
    limits: DEFAULT_LIMITS.h2,
    onStream: (stream) => {
      const source = { rawHeaders: stream.rawHeaders, headers: stream.headers, viaUnixSocket: true };
      if (!fastPath.serve(new H2CallIo(stream, source), stream.headers[":method"] ?? "")) stream.respond(404, [], true);
    },
  });
  listener = net.createServer((socket) => h2.accept(socket));
  await new Promise<void>((resolve) => listener.listen(socketPath, resolve));
  session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
});
afterAll(async () => {
  session.close();
  h2.destroy();
  await new Promise((resolve) => listener.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

interface Answer {
  readonly fields: Record<string, string>;
  readonly messages: Buffer;
}

function call(method: string, service: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": `/grpc.health.v1.Health/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const fields: Record<string, string> = {};
    const chunks: Buffer[] = [];
    const keep = (headersOrTrailers: http2.IncomingHttpHeaders) => {
      for (const [name, value] of Object.entries(headersOrTrailers)) fields[name] = String(value);
    };
    stream.on("response", keep);
    stream.on("trailers", keep);
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => resolve({ fields, messages: Buffer.concat(chunks) }));
    stream.on("error", reject);
    const message = toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service }));
    const envelope = Buffer.alloc(5 + message.length);
    envelope.writeUInt32BE(message.length, 1);
    envelope.set(message, 5);
    stream.end(envelope);
  });
}

describe("the gRPC fast path", () => {
  it("gives the handler the time left before the client's deadline", async () => {
    const answer = await call("Check", "", { "grpc-timeout": "5S" });
    expect(answer.fields["grpc-status"]).toBe("0");
    expect(fromBinary(HealthCheckResponseSchema, answer.messages.subarray(5)).status).toBe(1);
    expect(seen.timeoutMs).toBeGreaterThan(4000);
    expect(seen.timeoutMs).toBeLessThanOrEqual(5000);
    await call("Check", "");
    expect(seen.timeoutMs).toBeUndefined();
  });

  it("aborts the handler's signal with DeadlineExceeded when the deadline passes", async () => {
    const answer = await call("Watch", "", { "grpc-timeout": "100m" });
    expect(answer.fields["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen.aborted).toBeInstanceOf(ConnectError);
    expect((seen.aborted as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("answers an error with its metadata, its details in grpc-status-details-bin, and a spec-encoded message", async () => {
    const answer = await call("Check", "fail");
    expect(answer.fields["grpc-status"]).toBe(String(Code.FailedPrecondition));
    expect(answer.fields["grpc-message"]).toBe("not today");
    expect(answer.fields["x-why"]).toBe("because");
    expect(answer.fields["grpc-status-details-bin"]).toBeDefined();
  });

  it("refuses a malformed grpc-timeout with InvalidArgument, as Connect's handlers do", async () => {
    const answer = await call("Check", "", { "grpc-timeout": "soon" });
    expect(answer.fields["grpc-status"]).toBe(String(Code.InvalidArgument));
    expect(answer.fields["grpc-message"]).toBe("protocol error: invalid grpc timeout value: soon");
  });
});

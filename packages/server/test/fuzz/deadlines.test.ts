import { Containers, ListContainersRequestSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Events, SubscribeRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { Health, HealthCheckRequestSchema } from "@berth/gen/grpc/health/v1/health_pb.js";
import { create, type DescMessage, type DescMethod, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import {
  CONNECT_JSON,
  CONNECT_PROTO,
  envelope,
  GRPC,
  GRPC_WEB,
  type Protocol,
  responseStatus,
} from "../support/fuzz-protocols.js";
import { createRawClient, type RawClient } from "../support/fuzz-transport.js";

// Deadlines end calls: a subscription that would stream forever ends with DeadlineExceeded once the
// client's `grpc-timeout` or `connect-timeout-ms` has passed, on both of berthd's gRPC paths
// (the fast path, and the Connect adapter that serves every call the fast path does not take).

let berthd: BerthdProcess;
let h2: RawClient;
let h1: RawClient;

beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
  h2 = createRawClient({ kind: "h2", socket: berthd.socket });
  h1 = createRawClient({ kind: "h1", url: berthd.tcpUrl as string });
});

afterAll(async () => {
  h2?.close();
  h1?.close();
  await berthd?.dispose();
});

interface Timed {
  readonly code: number | undefined;
  readonly message: string | undefined;
  readonly ms: number;
}

async function call(
  protocol: Protocol,
  method: DescMethod,
  schema: DescMessage,
  headers: Record<string, string>,
): Promise<Timed> {
  const bytes = toBinary(schema, create(schema));
  const body = protocol.json ? new TextEncoder().encode("{}") : bytes;
  const started = performance.now();
  const response = await (protocol.transport === "h2" ? h2 : h1).send({
    path: `/${method.parent.typeName}/${method.name}`,
    headers: {
      "content-type": protocol.contentType(method),
      "containerd-namespace": "deadlines",
      ...protocol.headers(method, undefined),
      ...headers,
    },
    body: protocol.enveloped(method) ? envelope(body) : body,
    timeoutMs: 10_000,
  });
  const ms = performance.now() - started;
  expect(response.hung, "the call should end by itself").toBe(false);
  const status = responseStatus(response, method, protocol);
  return { code: status?.code, message: status?.message, ms };
}

const DEADLINE_EXCEEDED = 4;

describe("deadlines", () => {
  it.each([
    ["Events.Subscribe", Events.method.subscribe, SubscribeRequestSchema],
    ["Health.Watch", Health.method.watch, HealthCheckRequestSchema],
  ] as const)("end a gRPC %s with DeadlineExceeded once grpc-timeout has passed", async (_name, method, schema) => {
    const result = await call(GRPC, method, schema, { "grpc-timeout": "200m" });
    expect(result.code).toBe(DEADLINE_EXCEEDED);
    expect(result.ms).toBeGreaterThanOrEqual(150);
    expect(result.ms).toBeLessThan(5_000);
  });

  it.each([
    ["gRPC via the Connect adapter", GRPC, { "grpc-timeout": "200m", "grpc-encoding": "gzip" }],
    ["gRPC-Web", GRPC_WEB, { "grpc-timeout": "200m" }],
    ["Connect, binary", CONNECT_PROTO, { "connect-timeout-ms": "200" }],
    ["Connect, JSON", CONNECT_JSON, { "connect-timeout-ms": "200" }],
  ] as const)("end an Events.Subscribe over %s with DeadlineExceeded", async (_name, protocol, headers) => {
    const result = await call(protocol, Events.method.subscribe, SubscribeRequestSchema, headers);
    expect(result.code).toBe(DEADLINE_EXCEEDED);
    expect(result.ms).toBeGreaterThanOrEqual(150);
    expect(result.ms).toBeLessThan(5_000);
  });

  it("lets a Connect unary call that fits its connect-timeout-ms succeed, and refuses a malformed one", async () => {
    const fits = await call(CONNECT_PROTO, Containers.method.list, ListContainersRequestSchema, {
      "connect-timeout-ms": "5000",
    });
    expect(fits.code).toBe(0);
    const malformed = await call(CONNECT_PROTO, Containers.method.list, ListContainersRequestSchema, {
      "connect-timeout-ms": "soon",
    });
    expect(malformed.code).toBe(3);
    const streamed = await call(CONNECT_PROTO, Containers.method.listStream, ListContainersRequestSchema, {
      "connect-timeout-ms": "5000",
    });
    expect(streamed.code).toBe(0);
  });
});

import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "@berth/gen/grpc/health/v1/health_pb.js";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { createHealthService } from "../../src/services/health.js";
import { expectStatus } from "../support/expect-status.js";

const CONTAINERS = "containerd.services.containers.v1.Containers";

let shutdown: AbortController;
let watchEnded: Promise<void>;
/** The service's own stream of the latest Watch, under the wrapper that observes its end. */
let serverSide: AsyncIterator<unknown> | undefined;
let client: ReturnType<typeof createClient<typeof Health>>;

beforeEach(() => {
  shutdown = new AbortController();
  const health = createHealthService({ services: [Containers, Health], shutdown: shutdown.signal });
  let ended = () => {};
  watchEnded = new Promise((resolve) => {
    ended = resolve;
  });
  const transport = createRouterTransport((router) => {
    router.service(Health, {
      check: health.check,
      // Observes the server side of the stream finishing.
      async *watch(request, context) {
        try {
          const stream = health.watch(request, context);
          serverSide = stream[Symbol.asyncIterator]();
          yield* stream;
        } finally {
          ended();
        }
      },
    });
  });
  client = createClient(Health, transport);
});

const tick = (ms: number) => new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), ms));

describe("Check", () => {
  it("reports SERVING for the server and each served service", async () => {
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: CONTAINERS })).status).toBe(Status.SERVING);
    expect((await client.check({ service: "grpc.health.v1.Health" })).status).toBe(Status.SERVING);
  });

  it("fails with NOT_FOUND for an unknown service", async () => {
    await expectStatus(client.check({ service: "no.Such" }), Code.NotFound, "unknown service no.Such");
  });

  it("reports NOT_SERVING once shutdown begins", async () => {
    shutdown.abort();
    expect((await client.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    expect((await client.check({ service: CONTAINERS })).status).toBe(Status.NOT_SERVING);
    await expectStatus(client.check({ service: "no.Such" }), Code.NotFound, "unknown service no.Such");
  });
});

describe("Watch", () => {
  it("sends the status at once, then NOT_SERVING at shutdown, then ends", async () => {
    const updates = client.watch({ service: CONTAINERS })[Symbol.asyncIterator]();
    expect((await updates.next()).value?.status).toBe(Status.SERVING);
    const next = updates.next();
    expect(await Promise.race([next, tick(50)])).toBe("pending");
    shutdown.abort();
    expect((await next).value?.status).toBe(Status.NOT_SERVING);
    expect((await updates.next()).done).toBe(true);
    await watchEnded;
  });

  it("reports SERVICE_UNKNOWN for an unknown service and keeps watching", async () => {
    const updates = client.watch({ service: "no.Such" })[Symbol.asyncIterator]();
    expect((await updates.next()).value?.status).toBe(Status.SERVICE_UNKNOWN);
    const next = updates.next();
    expect(await Promise.race([next, tick(50)])).toBe("pending");
    shutdown.abort();
    // Its status does not change at shutdown, so the stream just ends.
    expect((await next).done).toBe(true);
  });

  it("sends NOT_SERVING and ends when watching starts after shutdown", async () => {
    shutdown.abort();
    const statuses = [];
    for await (const update of client.watch({ service: "" })) statuses.push(update.status);
    expect(statuses).toEqual([Status.NOT_SERVING]);
  });

  it("ends on the server when the client cancels", async () => {
    const cancel = new AbortController();
    const updates = client.watch({ service: "" }, { signal: cancel.signal })[Symbol.asyncIterator]();
    expect((await updates.next()).value?.status).toBe(Status.SERVING);
    cancel.abort();
    const error = await updates.next().then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(Code.Canceled);
    // Connect's in-memory transport stops pulling a cancelled stream (node's adapter keeps pulling
    // until the handler returns); pulled once more, the service's side ends without sending.
    expect(await serverSide?.next()).toEqual({ done: true, value: undefined });
  });
});

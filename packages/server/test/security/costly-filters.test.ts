/**
 * Filters that cost CPU, against a real berthd: 63 ORed case-insensitive
 * regexes over 4 KB label values (a few ms of matching per container). The
 * matching work of one request is bounded (ResourceExhausted once it has spent
 * its allowance, here 100 ms), and while several such requests run, other calls are still
 * answered: matching gives the event loop a turn every few milliseconds.
 */
import {
  CreateContainerRequestSchema,
  ListContainersRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { rawGrpcCall } from "../support/grpc-raw.js";

const CONTAINERS = "/containerd.services.containers.v1.Containers";
const ns = { "containerd-namespace": "costly" };
const FILTERS = Array.from({ length: 63 }, (_, i) => `labels.k~=(?i)(a|b|c|d|e)*z${i}`);

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({ extraArgs: ["--max-filter-cpu", "100ms"] });
  for (let i = 0; i < 200; i++) {
    const request = create(CreateContainerRequestSchema, {
      container: {
        id: `c-${i}`,
        labels: { k: "ab".repeat(2000) },
        runtime: { name: "io.containerd.runc.v2" },
        spec: { typeUrl: "t", value: new Uint8Array(1) },
      },
    });
    const created = await rawGrpcCall(
      berthd.socket,
      `${CONTAINERS}/Create`,
      toBinary(CreateContainerRequestSchema, request),
      ns,
    );
    expect(created.status).toBe("0");
  }
}, 60_000);
afterAll(async () => {
  await berthd.dispose();
});

const costlyList = () =>
  rawGrpcCall(
    berthd.socket,
    `${CONTAINERS}/List`,
    toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, { filters: FILTERS })),
    ns,
  );

describe("costly filters", () => {
  it("stops a request whose matching costs more than its allowance of CPU with ResourceExhausted", async () => {
    const result = await costlyList();
    expect(result.status).toBe("8");
    expect(result.message).toBe(
      "filters: matching took more than 100 ms of CPU; use fewer or simpler regular expressions: resource exhausted",
    );
  });

  it("keeps answering other calls while four such requests run", async () => {
    const order: string[] = [];
    const lists = Array.from({ length: 4 }, () => costlyList().then(() => order.push("list")));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const health = rawGrpcCall(berthd.socket, "/grpc.health.v1.Health/Check", new Uint8Array(0)).then((r) => {
      order.push("health");
      return r;
    });
    expect((await health).status).toBe("0");
    await Promise.all(lists);
    expect(order.indexOf("health")).toBe(0);
  });
});

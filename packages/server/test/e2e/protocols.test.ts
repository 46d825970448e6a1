import net from "node:net";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { createWebTransport } from "@berth/client/web";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { Transport } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";
import { expectStatus } from "../support/expect-status.js";

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
});
afterAll(async () => {
  expect(await berthd.stop()).toBe(0);
  await berthd.dispose();
});

const tcp = () => berthd.tcpUrl ?? "";
const transports: [string, () => Transport][] = [
  ["gRPC over the unix socket", () => createNodeTransport({ address: berthd.socket })],
  ["Connect over the unix socket", () => createNodeTransport({ address: berthd.socket, protocol: "connect" })],
  [
    "gRPC-Web over the unix socket",
    () =>
      createGrpcWebTransport({
        baseUrl: "http://localhost",
        httpVersion: "2",
        useBinaryFormat: true,
        nodeOptions: { createConnection: () => net.connect(berthd.socket) },
      }),
  ],
  ["gRPC over TCP (h2c)", () => createNodeTransport({ address: tcp() })],
  ["Connect over TCP (h2c)", () => createNodeTransport({ address: tcp(), protocol: "connect" })],
  ["gRPC-Web over TCP (HTTP/1.1)", () => createGrpcWebTransport({ baseUrl: tcp(), httpVersion: "1.1" })],
  ["Connect-Web over fetch (HTTP/1.1)", () => createWebTransport({ baseUrl: tcp() })],
  ["gRPC-Web over fetch (HTTP/1.1)", () => createWebTransport({ baseUrl: tcp(), protocol: "grpc-web" })],
];

describe.each(transports)("%s", (name, transport) => {
  const namespace = name.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "");

  it("runs a container's whole life", async () => {
    const client = createBerthClient(transport(), { namespace });
    const { container } = await client.containers.create({
      container: newContainer({ id: "life", labels: { a: "1" }, image: "busybox" }),
    });
    expect(container?.id).toBe("life");
    expect((await client.containers.get({ id: "life" })).container?.labels).toEqual({ a: "1" });
    await client.containers.create({ container: newContainer({ id: "other" }) });
    expect((await client.containers.list({ filters: ["labels.a==1"] })).containers.map((c) => c.id)).toEqual(["life"]);
    const streamed: string[] = [];
    for await (const message of client.containers.listStream({})) streamed.push(message.container?.id ?? "");
    expect(streamed).toEqual(["life", "other"]);
    const updated = await client.containers.update({
      container: { id: "life", labels: { b: "2" } },
      updateMask: { paths: ["labels.b"] },
    });
    expect(updated.container?.labels).toEqual({ a: "1", b: "2" });
    await client.containers.delete({ id: "life" });
    await client.containers.delete({ id: "other" });
    expect((await client.containers.list({})).containers).toEqual([]);
  });

  it("carries containerd's status codes and messages", async () => {
    const client = createBerthClient(transport(), { namespace });
    await expectStatus(
      client.containers.get({ id: "missing" }),
      Code.NotFound,
      `container "missing" in namespace "${namespace}": not found`,
    );
    await expectStatus(
      client.withNamespace("").containers.list({}),
      Code.FailedPrecondition,
      "namespace is required: failed precondition",
    );
  });
});

describe("Connect with JSON", () => {
  it("reads and writes containers through the decoded path", async () => {
    const transport = createConnectTransport({ baseUrl: tcp(), httpVersion: "1.1" });
    const client = createBerthClient(transport, { namespace: "json" });
    await client.containers.create({
      container: newContainer({ id: "j1", labels: { a: "1" }, spec: create(AnySchema) }),
    });
    expect((await client.containers.get({ id: "j1" })).container?.labels).toEqual({ a: "1" });
    expect((await client.containers.list({ filters: ["labels.a==1"] })).containers.map((c) => c.id)).toEqual(["j1"]);
    const streamed: string[] = [];
    for await (const message of client.containers.listStream({})) streamed.push(message.container?.id ?? "");
    expect(streamed).toEqual(["j1"]);
  });
});

describe("concurrency", () => {
  it("lets exactly one of 64 concurrent Creates of one id win", async () => {
    const client = createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: "race" });
    const results = await Promise.allSettled(
      Array.from({ length: 64 }, (_, i) =>
        client.containers.create({ container: newContainer({ id: "same", image: `${i}` }) }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(63);
    for (const result of lost) {
      expect(result.reason).toMatchObject({ code: Code.AlreadyExists, rawMessage: 'container "same": already exists' });
    }
    const stored = (await client.containers.get({ id: "same" })).container;
    expect(stored?.image).toBe(
      (won[0] as PromiseFulfilledResult<{ container?: { image: string } }>).value.container?.image,
    );
  });

  it("keeps both of two concurrent label updates", async () => {
    const client = createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: "race" });
    await client.containers.create({ container: newContainer({ id: "labelled" }) });
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.containers.update({
          container: { id: "labelled", labels: { [`k${i}`]: "v" } },
          updateMask: { paths: [`labels.k${i}`] },
        }),
      ),
    );
    const labels = (await client.containers.get({ id: "labelled" })).container?.labels ?? {};
    expect(Object.keys(labels).sort()).toEqual(Array.from({ length: 16 }, (_, i) => `k${i}`).sort());
  });
});

import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";

// The real `buf curl`, with no --schema: every method must be discoverable through
// berthd's reflection service, over the unix socket and over TCP.
const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
});
afterAll(async () => {
  await berthd.dispose();
});

interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function socketArgs(): string[] {
  return ["--protocol", "grpc", "--http2-prior-knowledge", "--unix-socket", berthd.socket];
}

/** Runs `buf curl` against berthd's socket in namespace `curl`. */
function curl(method: string, body?: unknown, extra: string[] = []): Promise<CurlResult> {
  const args = ["curl", ...socketArgs(), "-H", "containerd-namespace: curl", ...extra];
  if (body !== undefined) args.push("-d", JSON.stringify(body));
  args.push(`http://localhost/${method}`);
  return new Promise((resolve) => {
    execFile(BUF, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

async function ok(method: string, body?: unknown): Promise<Record<string, unknown>> {
  const result = await curl(method, body);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

const CONTAINERS = "containerd.services.containers.v1.Containers";
const NAMESPACES = "containerd.services.namespaces.v1.Namespaces";
const LEASES = "containerd.services.leases.v1.Leases";
const EVENTS = "containerd.services.events.v1.Events";
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe("buf curl without --schema", () => {
  it("lists every service over the socket and over TCP", async () => {
    const services = [
      "berth.containers.v1.PagesService",
      "berth.events.v1.HistoryService",
      CONTAINERS,
      EVENTS,
      "containerd.services.introspection.v1.Introspection",
      LEASES,
      NAMESPACES,
      "containerd.services.tasks.v1.Tasks",
      "containerd.services.version.v1.Version",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ];
    const overSocket = await new Promise<string>((resolve, reject) =>
      execFile(BUF, ["curl", ...socketArgs(), "--list-services", "http://localhost"], (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(overSocket.trim().split("\n")).toEqual(services);
    const overTcp = await new Promise<string>((resolve, reject) =>
      execFile(BUF, ["curl", "--http2-prior-knowledge", "--list-services", berthd.tcpUrl ?? ""], (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(overTcp.trim().split("\n")).toEqual(services);
  });

  it("drives Containers", async () => {
    const container = {
      id: "curl1",
      labels: { a: "1" },
      image: "busybox",
      runtime: { name: "io.containerd.runc.v2" },
      spec: {},
    };
    const created = (await ok(`${CONTAINERS}/Create`, { container })).container as Record<string, unknown>;
    expect(created).toMatchObject({ id: "curl1", labels: { a: "1" }, image: "busybox", spec: {} });
    expect(created.createdAt).toMatch(TIMESTAMP);
    expect(((await ok(`${CONTAINERS}/Get`, { id: "curl1" })).container as { id: string }).id).toBe("curl1");
    const listed = await ok(`${CONTAINERS}/List`, { filters: ["labels.a==1"] });
    expect((listed.containers as { id: string }[]).map((c) => c.id)).toEqual(["curl1"]);
    const streamed = await curl(`${CONTAINERS}/ListStream`, {});
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toContain('"id": "curl1"');
    const updated = await ok(`${CONTAINERS}/Update`, {
      container: { id: "curl1", labels: { b: "2" } },
      updateMask: "labels.b",
    });
    expect((updated.container as { labels: unknown }).labels).toEqual({ a: "1", b: "2" });
    expect(await ok(`${CONTAINERS}/Delete`, { id: "curl1" })).toEqual({});
  });

  it("reports containerd's status on errors", async () => {
    const missing = await curl(`${CONTAINERS}/Get`, { id: "nope" });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('"code": "not_found"');
    expect(missing.stderr).toContain('container \\"nope\\" in namespace \\"curl\\": not found');
    const task = await curl("containerd.services.tasks.v1.Tasks/Get", { containerId: "nope" });
    expect(task.stderr).toContain('"code": "not_found"');
  });

  it("drives Namespaces", async () => {
    expect(await ok(`${NAMESPACES}/Create`, { namespace: { name: "curl-ns", labels: { k: "v" } } })).toEqual({
      namespace: { name: "curl-ns", labels: { k: "v" } },
    });
    await ok(`${NAMESPACES}/Update`, { namespace: { name: "curl-ns", labels: { k2: "v2" } }, updateMask: "labels.k2" });
    expect(await ok(`${NAMESPACES}/Get`, { name: "curl-ns" })).toEqual({
      namespace: { name: "curl-ns", labels: { k: "v", k2: "v2" } },
    });
    const names = ((await ok(`${NAMESPACES}/List`, {})).namespaces as { name: string }[]).map((n) => n.name);
    expect(names).toContain("curl-ns");
    expect(await ok(`${NAMESPACES}/Delete`, { name: "curl-ns" })).toEqual({});
  });

  it("drives Leases", async () => {
    const lease = (await ok(`${LEASES}/Create`, { id: "l1", labels: { k: "v" } })).lease as Record<string, unknown>;
    expect(lease).toMatchObject({ id: "l1", labels: { k: "v" } });
    expect(lease.createdAt).toMatch(TIMESTAMP);
    expect(((await ok(`${LEASES}/List`, { filters: ["id==l1"] })).leases as unknown[]).length).toBe(1);
    const resource = { id: "overlay-key", type: "snapshots/overlayfs" };
    await ok(`${LEASES}/AddResource`, { id: "l1", resource });
    expect(await ok(`${LEASES}/ListResources`, { id: "l1" })).toEqual({ resources: [resource] });
    await ok(`${LEASES}/DeleteResource`, { id: "l1", resource });
    expect(await ok(`${LEASES}/Delete`, { id: "l1" })).toEqual({});
  });

  it("drives Events: Subscribe sees a Publish", async () => {
    const subscriber = spawn(BUF, [
      "curl",
      ...socketArgs(),
      "-d",
      JSON.stringify({ filters: ['topic=="/curl/test"'] }),
      `http://localhost/${EVENTS}/Subscribe`,
    ]);
    let output = "";
    subscriber.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!output.includes('"/curl/test"') && Date.now() < deadline) {
        await ok(`${EVENTS}/Publish`, { topic: "/curl/test", event: {} });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(output).toContain('"namespace": "curl"');
      expect(output).toContain('"topic": "/curl/test"');
    } finally {
      subscriber.kill();
    }
    const forwarded = await curl(`${EVENTS}/Forward`, { envelope: { namespace: "curl", topic: "/x" } });
    expect(forwarded.stderr).toContain("timestamp must be set on forwarded event: invalid argument");
  });

  it("checks health", async () => {
    expect(await ok("grpc.health.v1.Health/Check", {})).toEqual({ status: "SERVING" });
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

const CONTAINERS = 'grpc_service="containerd.services.containers.v1.Containers"';

/** The value of the one sample whose line starts with `name{` and contains every label. */
function sample(text: string, name: string, ...labels: string[]): number | undefined {
  const line = text
    .split("\n")
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && labels.every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

async function scrape(daemon: BerthdProcess, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${daemon.tcpUrl}/metrics`, { headers });
}

describe("/metrics", () => {
  let daemon: BerthdProcess;
  beforeAll(async () => {
    daemon = await startBerthdProcess({ tcp: true });
  });
  afterAll(async () => {
    await daemon.dispose();
  });

  it("counts and times calls of both call paths by method and code, with store sizes and subscribers", async () => {
    const grpc = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "m" });
    const connect = createBerthClient(createNodeTransport({ address: daemon.socket, protocol: "connect" }), {
      namespace: "m",
    });
    for (let i = 0; i < 3; i++) await grpc.containers.create({ container: newContainer({ id: `c${i}` }) });
    await connect.containers.create({ container: newContainer({ id: "via-connect" }) });
    const missing = await grpc.containers.get({ id: "nope" }).catch((error: unknown) => ConnectError.from(error));
    expect(missing).toMatchObject({ code: Code.NotFound });
    let streamed = 0;
    for await (const _ of grpc.containers.listStream({})) streamed += 1;
    expect(streamed).toBe(4);
    const subscription = new AbortController();
    const events = grpc.events.subscribe({}, { signal: subscription.signal })[Symbol.asyncIterator]();
    const firstEvent = events.next();
    await grpc.containers.delete({ id: "c0" });
    await firstEvent;

    const response = await scrape(daemon);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const unary = 'grpc_type="unary"';
    expect(sample(text, "grpc_server_handled_total", CONTAINERS, 'grpc_method="Create"', 'grpc_code="OK"')).toBe(4);
    expect(sample(text, "grpc_server_handled_total", CONTAINERS, 'grpc_method="Get"', 'grpc_code="NotFound"')).toBe(1);
    expect(sample(text, "grpc_server_started_total", CONTAINERS, unary, 'grpc_method="Create"')).toBe(4);
    expect(
      sample(
        text,
        "grpc_server_handled_total",
        'grpc_type="server_stream"',
        'grpc_method="ListStream"',
        'grpc_code="OK"',
      ),
    ).toBe(1);
    expect(sample(text, "grpc_server_handling_seconds_count", 'grpc_method="Create"', 'grpc_code="OK"')).toBe(4);
    expect(sample(text, "grpc_server_handling_seconds_bucket", 'grpc_method="Create"', 'le="+Inf"')).toBe(4);
    expect(sample(text, "berthd_event_subscribers")).toBe(1);
    expect(sample(text, "berthd_store_namespaces")).toBe(1);
    expect(sample(text, "berthd_store_containers")).toBe(3);
    expect(sample(text, "berthd_store_disk_bytes")).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);

    subscription.abort();
    await events.return?.();
  });

  it("is served on TCP only, to GET and HEAD", async () => {
    expect((await fetch(`${daemon.tcpUrl}/metrics`, { method: "HEAD" })).status).toBe(200);
    const post = await fetch(`${daemon.tcpUrl}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    const viaSocket = await new Promise<string>((resolve, reject) => {
      const session = http2.connect("http://localhost", { createConnection: () => net.connect(daemon.socket) });
      session.on("error", reject);
      const stream = session.request({ ":method": "GET", ":path": "/metrics" });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        body += chunk;
      });
      stream.on("end", () => {
        resolve(body);
        session.close();
      });
      stream.end();
    });
    expect(viaSocket).not.toContain("grpc_server_started_total");
  });
});

describe("/metrics with --token-file", () => {
  let daemon: BerthdProcess;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berthd-metrics-"));
    await writeFile(join(dir, "token"), "s3cret-token\n", { mode: 0o600 });
    daemon = await startBerthdProcess({ tcp: true, extraArgs: ["--token-file", join(dir, "token")] });
  });
  afterAll(async () => {
    await daemon.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("needs the same bearer token as the API", async () => {
    const without = await scrape(daemon);
    expect(without.status).toBe(401);
    expect(await without.text()).not.toContain("s3cret");
    expect((await scrape(daemon, { authorization: "Bearer wrong" })).status).toBe(401);
    const withToken = await scrape(daemon, { authorization: "Bearer s3cret-token" });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain("grpc_server_started_total");
  });
});

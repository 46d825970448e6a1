/**
 * berthd in front of a real containerd 1.6.20 (`--containerd`), with runc
 * running real tasks: the real ctr, pointed at berthd's socket, does what it
 * does on containerd's — version, errors, an image import (a client stream), a
 * task run, its events (a server stream), kill and removal. gRPC over TCP and
 * gRPC-Web over HTTP/1.1 reach containerd too, and a containerd that goes away
 * gives Unavailable naming its socket until it is back.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBerthClient } from "@berth/client";
import { createWebTransport } from "@berth/client/web";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINERD_METHODS } from "../../src/rpc/interceptors/method-access.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { type ContainerdProcess, CTR, createContainerd } from "../support/containerd-process.js";
import { newContainer } from "../support/containers.js";
import { buildBusyboxImage } from "../support/oci-image.js";

const NAMESPACE = "gateway";
const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));
const BERTH_CLI = fileURLToPath(new URL("../../../cli/dist/main.js", import.meta.url));
const IMAGE = "docker.io/library/berth-busybox:latest";
const VERSION_PATH = "/containerd.services.version.v1.Version/Version";
const HEALTH_PATH = "/grpc.health.v1.Health/Check";
/** The blob moved through Content.Write and Content.Read. */
const SIZE_MIB = 256;

let directory: string;
let containerd: ContainerdProcess;
let berthd: BerthdProcess;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-gw-"));
  containerd = await createContainerd(join(directory, "ctrd"));
  await containerd.start();
  berthd = await startBerthdProcess({ tcp: true, extraArgs: ["--containerd", containerd.socket] });
}, 60_000);

afterAll(async () => {
  await ctr(containerd.socket, "-n", NAMESPACE, "tasks", "kill", "-s", "SIGKILL", "task");
  await berthd?.dispose();
  await containerd?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 60_000);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A shell pipeline around ctr. */
function ctrShell(script: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile("bash", ["-o", "pipefail", "-c", script], { timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

function ctr(address: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(CTR, ["--address", address, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

/** What the Version call's message holds: `version` (field 1) and `revision` (field 2). */
function versionOf(message: Buffer): string {
  const length = message[1] ?? 0;
  return message.subarray(2, 2 + length).toString("utf8");
}

describe("berthd in front of containerd", () => {
  it("answers ctr version and plugins with containerd's own answers", async () => {
    const direct = await ctr(containerd.socket, "version");
    const through = await ctr(berthd.socket, "version");
    expect(through).toEqual(direct);
    expect(through.stdout).toMatch(/Server:\n\s+Version:\s+1\.6\.20/);
    expect((await ctr(berthd.socket, "plugins", "ls")).stdout).toBe(
      (await ctr(containerd.socket, "plugins", "ls")).stdout,
    );
  });

  it("passes containerd's errors through, trailers-only answers included", async () => {
    const args = ["-n", NAMESPACE, "containers", "info", "missing"];
    const through = await ctr(berthd.socket, ...args);
    expect(through).toEqual(await ctr(containerd.socket, ...args));
    expect(through.stderr).toBe(`ctr: container "missing" in namespace "${NAMESPACE}": not found\n`);
  });

  it("imports an image, runs a task, streams its events, kills and removes it", async () => {
    const archive = await buildBusyboxImage(directory, IMAGE);
    const events: string[] = [];
    const watcher = execFile(CTR, ["--address", berthd.socket, "events"]);
    watcher.stdout?.on("data", (chunk: Buffer) => events.push(chunk.toString()));
    try {
      const imported = await ctr(berthd.socket, "-n", NAMESPACE, "images", "import", archive);
      expect(imported.code).toBe(0);
      expect((await ctr(containerd.socket, "-n", NAMESPACE, "images", "ls", "-q")).stdout).toBe(`${IMAGE}\n`);
      const started = await ctr(berthd.socket, "-n", NAMESPACE, "run", "-d", IMAGE, "task", "/bin/sleep", "60");
      expect(started).toMatchObject({ code: 0, stderr: "" });
      expect((await ctr(berthd.socket, "-n", NAMESPACE, "tasks", "ls")).stdout).toMatch(/^task\s+\d+\s+RUNNING$/m);
      expect((await ctr(berthd.socket, "-n", NAMESPACE, "tasks", "kill", "-s", "SIGKILL", "task")).code).toBe(0);
      const deadline = Date.now() + 10_000;
      while (!/STOPPED/.test((await ctr(berthd.socket, "-n", NAMESPACE, "tasks", "ls")).stdout)) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await ctr(berthd.socket, "-n", NAMESPACE, "tasks", "rm", "task")).code).toBe(0);
      expect((await ctr(berthd.socket, "-n", NAMESPACE, "containers", "rm", "task")).code).toBe(0);
      while (!events.join("").includes("/containers/delete")) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      watcher.kill();
    }
    const topics = events
      .join("")
      .split("\n")
      .map((line) => line.split(" ")[5])
      .filter((topic) => topic !== undefined);
    expect(topics).toEqual(
      expect.arrayContaining([
        "/images/create",
        "/containers/create",
        "/tasks/start",
        "/tasks/exit",
        "/containers/delete",
      ]),
    );
  }, 60_000);

  it("fans one subscription to containerd out to many clients, each with its own filters, also over Connect JSON", async () => {
    const all = execFile(CTR, ["--address", berthd.socket, "events"]);
    const filtered = execFile(CTR, ["--address", berthd.socket, "events", 'topic=="/namespaces/create"']);
    const json = fetch(`${berthd.tcpUrl}/containerd.services.events.v1.Events/Subscribe`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "connect-timeout-ms": "3000" },
      body: connectEnvelope({ filters: ['topic=="/namespaces/create"'] }),
    });
    const outputs = [all, filtered].map((child) => {
      let text = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      return () => text;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await ctr(berthd.socket, "namespaces", "create", "fanned")).code).toBe(0);
    expect((await ctr(berthd.socket, "namespaces", "label", "fanned", "k=v")).code).toBe(0);
    const deadline = Date.now() + 5000;
    while (!(outputs[0]?.() ?? "").includes("/namespaces/update") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    all.kill();
    filtered.kill();
    expect(outputs[0]?.()).toMatch(/\/namespaces\/create .*"name":"fanned"/);
    expect(outputs[0]?.()).toMatch(/\/namespaces\/update/);
    expect(outputs[1]?.()).toMatch(/\/namespaces\/create/);
    expect(outputs[1]?.()).not.toMatch(/\/namespaces\/update/);
    // Connect JSON: one envelope with the event, then the end of the stream when the deadline passes.
    const text = Buffer.from(await (await json).arrayBuffer()).toString("latin1");
    expect(text).toContain('"topic":"/namespaces/create"');
    expect(text).toContain('"event":{"name":"fanned","@type":"containerd.events.NamespaceCreate"}');
  });

  it("moves a 256 MiB blob into containerd and back through bounded memory (Content.Write and Content.Read)", async () => {
    const size = SIZE_MIB * 1024 * 1024;
    const blob = join(directory, "blob");
    const hash = createHash("sha256");
    const out = createWriteStream(blob);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < size / chunk.length; i++) {
      chunk.fill(i % 251);
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    const digest = `sha256:${hash.digest("hex")}`;
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${berthd.child.pid}/status`, "utf8"))?.[1]) * 1024;
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss());
    }, 25);
    try {
      const sh = (script: string) => ctrShell(script);
      const ingest = await sh(
        `${CTR} --address ${berthd.socket} -n ${NAMESPACE} content ingest --expected-size ${size} --expected-digest ${digest} big < ${blob}`,
      );
      expect(ingest).toMatchObject({ code: 0, stderr: "" });
      const read = await sh(`${CTR} --address ${berthd.socket} -n ${NAMESPACE} content get ${digest} | sha256sum`);
      expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: "" });
      expect(read.stdout.split(" ")[0]).toBe(digest.slice("sha256:".length));
    } finally {
      clearInterval(sampler);
      await rm(blob, { force: true });
    }
    // Flow control on both sides holds the blob in containerd and ctr, not in berthd: its RSS grows by
    // what its garbage collector lets accumulate (measured +78 MiB for 64 MiB, +87-131 for 256, +126
    // for 512), never by the blob, which either direction buffered whole would add.
    const growthMiB = (peak - before) / 1024 / 1024;
    console.log(`gateway content: ${size / 1024 / 1024} MiB each way, berthd peak RSS +${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(SIZE_MIB);
  }, 120_000);

  it("serves the Connect protocol with binary messages, as the web app's client speaks it", async () => {
    const client = createBerthClient(createWebTransport({ baseUrl: berthd.tcpUrl as string }), {
      namespace: NAMESPACE,
    });
    await client.containers.create({ container: newContainer({ id: "over-connect" }) });
    expect((await ctr(containerd.socket, "-n", NAMESPACE, "containers", "ls", "-q")).stdout).toContain("over-connect");
    expect((await client.containers.get({ id: "over-connect" })).container?.runtime?.name).toBe(
      "io.containerd.runc.v2",
    );
    const streamed: string[] = [];
    for await (const chunk of client.containers.listStream({})) streamed.push(chunk.container?.id ?? "");
    expect(streamed).toContain("over-connect");
    const missing = await client.containers.get({ id: "absent" }).then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    expect(missing?.code).toBe(Code.NotFound);
    expect(missing?.rawMessage).toBe(`container "absent" in namespace "${NAMESPACE}": not found`);
    await client.containers.delete({ id: "over-connect" });
  });

  it("translates Connect JSON for containerd's services: images, a task's life, containers with their OCI spec, streams", async () => {
    const started = await ctr(berthd.socket, "-n", NAMESPACE, "run", "-d", IMAGE, "json-task", "/bin/sleep", "60");
    expect(started).toMatchObject({ code: 0, stderr: "" });
    const images = await connectJson("/containerd.services.images.v1.Images/List", {});
    expect(images.status).toBe(200);
    expect(images.json).toMatchObject({
      images: [{ name: IMAGE, target: { mediaType: "application/vnd.oci.image.manifest.v1+json" } }],
    });
    const tasks = await connectJson("/containerd.services.tasks.v1.Tasks/List", {});
    expect(tasks.json).toMatchObject({ tasks: [{ id: "json-task", status: "RUNNING" }] });
    expect((tasks.json as { tasks: { pid: number }[] }).tasks[0]?.pid).toBeGreaterThan(0);
    // containerd's Any holding the OCI spec (JSON text, no protobuf type) shows as that JSON.
    const container = await connectJson("/containerd.services.containers.v1.Containers/Get", { id: "json-task" });
    expect(container.json).toMatchObject({
      container: {
        id: "json-task",
        image: IMAGE,
        spec: {
          "@type": "types.containerd.io/opencontainers/runtime-spec/1/Spec",
          value: { process: { args: ["/bin/sleep", "60"] } },
        },
      },
    });
    expect(
      await connectJson("/containerd.services.tasks.v1.Tasks/Kill", { containerId: "json-task", signal: 9 }),
    ).toEqual({ status: 200, json: {} });
    const waited = await connectJson("/containerd.services.tasks.v1.Tasks/Wait", { containerId: "json-task" });
    expect(waited.json).toMatchObject({ exitStatus: 137 });
    const deleted = await connectJson("/containerd.services.tasks.v1.Tasks/Delete", { containerId: "json-task" });
    expect(deleted.json).toMatchObject({ exitStatus: 137 });
    const missing = await connectJson("/containerd.services.tasks.v1.Tasks/Get", { containerId: "json-task" });
    expect(missing).toEqual({
      status: 404,
      json: { code: "not_found", message: "task json-task not found" },
    });
    // A server stream in Connect's JSON envelopes.
    const stream = await fetch(`${berthd.tcpUrl}/containerd.services.containers.v1.Containers/ListStream`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "containerd-namespace": NAMESPACE },
      body: connectEnvelope({}),
    });
    expect(stream.headers.get("content-type")).toBe("application/connect+json");
    const text = Buffer.from(await stream.arrayBuffer()).toString("utf8");
    expect(text).toContain('"id":"json-task"');
    expect(text).toContain('"process":{');
    expect(
      (await connectJson("/containerd.services.containers.v1.Containers/Delete", { id: "json-task" })).status,
    ).toBe(200);
    expect((await ctr(containerd.socket, "-n", NAMESPACE, "containers", "ls", "-q")).stdout).not.toContain("json-task");
    // JSON the method cannot take is InvalidArgument; a path without a schema in Berth is Unimplemented.
    expect((await connectJson("/containerd.services.tasks.v1.Tasks/Get", { containerId: 5 })).json).toMatchObject({
      code: "invalid_argument",
    });
    const unknown = await connectJson("/runtime.v1alpha2.RuntimeService/Version", {});
    expect(unknown.status).toBe(501);
    expect(unknown.json).toMatchObject({ code: "unimplemented" });
  }, 30_000);

  it("describes containerd's services through reflection, so buf curl lists and calls them without a schema", async () => {
    const listed = await bufCurl(["--list-services", "http://localhost"]);
    expect(listed.stdout.split("\n")).toEqual(
      expect.arrayContaining([
        "containerd.services.content.v1.Content",
        "containerd.services.images.v1.Images",
        "containerd.services.snapshots.v1.Snapshots",
        "containerd.services.tasks.v1.Tasks",
        "runtime.v1.RuntimeService",
        "runtime.v1.ImageService",
        "grpc.reflection.v1.ServerReflection",
      ]),
    );
    const images = await bufCurl([
      "-H",
      `containerd-namespace: ${NAMESPACE}`,
      "--data",
      "{}",
      "http://localhost/containerd.services.images.v1.Images/List",
    ]);
    expect(images.code).toBe(0);
    expect(JSON.parse(images.stdout)).toMatchObject({ images: [{ name: IMAGE }] });
    const overTcp = await new Promise<Run>((resolve) => {
      execFile(
        BUF,
        ["curl", "--http2-prior-knowledge", "--data", "{}", `${berthd.tcpUrl}${VERSION_PATH}`],
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }),
      );
    });
    expect(JSON.parse(overTcp.stdout)).toMatchObject({ version: expect.stringMatching(/^1\.6\.20/) });
  });

  it("forwards gRPC over TCP and gRPC-Web over HTTP/1.1", async () => {
    const direct = await grpcCall(`unix:${containerd.socket}`);
    const overTcp = await grpcCall(berthd.tcpUrl as string);
    expect(overTcp.status).toBe("0");
    expect(versionOf(overTcp.message)).toBe(versionOf(direct.message));

    const response = await fetch(`${berthd.tcpUrl}${VERSION_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: Buffer.alloc(5),
    });
    expect(response.headers.get("content-type")).toBe("application/grpc-web+proto");
    const body = Buffer.from(await response.arrayBuffer());
    const messageLength = body.readUInt32BE(1);
    expect(versionOf(body.subarray(5, 5 + messageLength))).toBe(versionOf(direct.message));
    const trailer = body.subarray(5 + messageLength);
    expect(trailer[0]).toBe(0x80);
    expect(trailer.subarray(5).toString()).toMatch(/grpc-status: 0\r\n/);
  });

  it("counts forwarded calls by method and code, bytes each way, and containerd's reachability on /metrics", async () => {
    const text = await (await fetch(`${berthd.tcpUrl}/metrics`)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
    expect(
      value(
        /^grpc_server_handled_total\{[^}]*grpc_service="containerd.services.version.v1.Version",grpc_method="Version",grpc_code="OK"\} (\d+)$/m,
      ),
    ).toBeGreaterThan(0);
    expect(value(/^grpc_server_handled_total\{[^}]*grpc_method="Get",grpc_code="NotFound"\} (\d+)$/m)).toBeGreaterThan(
      0,
    );
    expect(
      value(
        /^berth_gateway_bytes_total\{[^}]*grpc_service="containerd.services.content.v1.Content",grpc_method="Write",direction="received"\} (\d+)$/m,
      ),
    ).toBeGreaterThan(1_000_000);
    expect(text).toMatch(/^berth_upstream_up 1$/m);
    expect(text).toMatch(/^grpc_server_handling_seconds_bucket\{/m);
  });

  it("requires the bearer token on TCP when --token-file is given, not on the unix socket", async () => {
    const tokenFile = join(directory, "token");
    await writeFile(tokenFile, "s3cret\n", { mode: 0o600 });
    const guarded = await startBerthdProcess({
      tcp: true,
      extraArgs: ["--containerd", containerd.socket, "--token-file", tokenFile],
    });
    try {
      const refused = await grpcCall(guarded.tcpUrl as string);
      expect(refused.status).toBe("16");
      const allowed = await grpcCall(guarded.tcpUrl as string, VERSION_PATH, { authorization: "Bearer s3cret" });
      expect(allowed.status).toBe("0");
      expect((await ctr(guarded.socket, "version")).code).toBe(0);
    } finally {
      await guarded.dispose();
    }
  });

  it("refuses the read-only token on every method that changes something, and lets it read", async () => {
    const tokenFile = join(directory, "read-only-token");
    await writeFile(tokenFile, "look-only\n", { mode: 0o600 });
    const guarded = await startBerthdProcess({
      tcp: true,
      extraArgs: ["--containerd", containerd.socket, "--read-only-token-file", tokenFile],
    });
    try {
      const authorization = "Bearer look-only";
      for (const [service, methods] of Object.entries(CONTAINERD_METHODS.changes)) {
        for (const method of methods) {
          const refused = await grpcCall(guarded.tcpUrl as string, `/${service}/${method}`, { authorization });
          expect({ method, status: refused.status }).toEqual({ method, status: "7" });
        }
      }
      expect((await grpcCall(guarded.tcpUrl as string, VERSION_PATH, { authorization })).status).toBe("0");
      expect(guarded.stderr()).toMatch(
        /"method":"containerd.services.tasks.v1.Tasks\/Kill".*"credential":"read-only token"/,
      );
    } finally {
      await guarded.dispose();
    }
  }, 30_000);

  it("answers Unavailable naming containerd's socket while containerd is down, and reconnects", async () => {
    expect((await grpcCall(berthd.tcpUrl as string, HEALTH_PATH)).message).toEqual(Buffer.from([0x08, 0x01]));
    // A subscription open while containerd goes away ends with a clean error.
    const watcher = ctr(berthd.socket, "events");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await containerd.stop();
    try {
      const ended = await watcher;
      expect(ended.code).toBe(1);
      expect(ended.stderr).toContain(`lost containerd's events (${containerd.socket})`);
      const down = await ctr(berthd.socket, "version");
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`dial unix ${containerd.socket}`);
      // Health answers NOT_SERVING (2) rather than failing.
      const health = await grpcCall(berthd.tcpUrl as string, HEALTH_PATH);
      expect(health).toEqual({ status: "0", message: Buffer.from([0x08, 0x02]) });
    } finally {
      await containerd.start();
    }
    // The first calls may find berthd still dialling containerd: they wait for it (their request
    // held meanwhile) or fail fast while the dial backs off, and never hang.
    const deadline = Date.now() + 15_000;
    const timed = async () => {
      const started = performance.now();
      const run = await ctr(berthd.socket, "version");
      return { run, ms: performance.now() - started };
    };
    let back = await timed();
    let longest = back.ms;
    while (back.run.code !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      back = await timed();
      longest = Math.max(longest, back.ms);
    }
    expect(back.run.code).toBe(0);
    expect(longest).toBeLessThan(5000);
  }, 60_000);

  it("keeps containerd's events in berthd's history, with a gap while containerd was down", async () => {
    type Page = { events: { sequence: string; topic?: string; namespace?: string; gap?: { reason: string } }[] };
    const list = async (): Promise<Page> => {
      const response = await fetch(`${berthd.tcpUrl}/berth.events.v1.HistoryService/List`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ limit: 10000 }),
      });
      return (await response.json()) as Page;
    };
    expect((await ctr(berthd.socket, "namespaces", "create", "after-restart")).code).toBe(0);
    let page = await list();
    const deadline = Date.now() + 15_000;
    while (!page.events.some((event) => event.gap !== undefined) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      page = await list();
    }
    const topics = page.events.flatMap((event) => (event.topic === undefined ? [] : [event.topic]));
    expect(topics).toEqual(
      expect.arrayContaining([
        "/images/create",
        "/containers/create",
        "/tasks/start",
        "/tasks/exit",
        "/namespaces/create",
      ]),
    );
    const sequences = page.events.map((event) => BigInt(event.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const gaps = page.events.filter((event) => event.gap !== undefined);
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.at(-1)?.gap?.reason).toContain("lost containerd's events");
    // Resuming after the gap replays what came since, as berth events --after does.
    const after = gaps.at(-1)?.sequence ?? "0";
    const resumed = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [BERTH_CLI, "--address", berthd.socket, "events", "--after", after],
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }),
      );
    });
    expect(resumed.code).toBe(0);
    // containerd may publish more meanwhile: at least what the listing held after the gap comes back.
    expect(resumed.stdout.split("\n").filter((line) => line !== "").length).toBeGreaterThanOrEqual(
      page.events.filter((event) => BigInt(event.sequence) > BigInt(after)).length,
    );
  });
});

/** One unary call (Version by default) with an empty request over HTTP/2: status, and the message without its envelope. */
function grpcCall(
  target: string,
  path = VERSION_PATH,
  headers: Record<string, string> = {},
): Promise<{ status: string | undefined; message: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = target.startsWith("unix:")
      ? http2.connect("http://localhost", { createConnection: () => net.connect(target.slice(5)) })
      : http2.connect(target);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on("response", (headers) => {
      if (headers["grpc-status"] !== undefined) status = String(headers["grpc-status"]);
    });
    stream.on("trailers", (trailers) => {
      status = String(trailers["grpc-status"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      session.close();
      resolve({ status, message: Buffer.concat(chunks).subarray(5) });
    });
    stream.end(Buffer.alloc(5));
  });
}

/** A unary Connect JSON call to berthd's TCP listener in the test's namespace: HTTP status and the JSON answer. */
async function connectJson(path: string, message: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${berthd.tcpUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "containerd-namespace": NAMESPACE },
    body: JSON.stringify(message),
  });
  return { status: response.status, json: await response.json() };
}

/** The real `buf curl` over berthd's unix socket, with no schema but reflection's. */
function bufCurl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      BUF,
      ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--unix-socket", berthd.socket, ...args],
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }),
    );
  });
}

/** A Connect streaming request body: one JSON message in its envelope. */
function connectEnvelope(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const envelope = Buffer.alloc(5 + json.length);
  envelope.writeUInt32BE(json.length, 1);
  json.copy(envelope, 5);
  return envelope;
}

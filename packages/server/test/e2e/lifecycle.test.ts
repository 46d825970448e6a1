import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterEach, describe, expect, it } from "vitest";
import { BERTHD_MAIN, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berthd-life-"));
  roots.push(root);
  return root;
}

function runBerthd(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTHD_MAIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

describe("berthd process", () => {
  it("keeps acknowledged creates across kill -9", async () => {
    const root = await newRoot();
    const first = await startBerthdProcess({ root });
    const client = createBerthClient(createNodeTransport({ address: first.socket }), { namespace: "durable" });
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    await Promise.all(ids.map((id) => client.containers.create({ container: newContainer({ id, labels: { id } }) })));
    await first.kill();

    const second = await startBerthdProcess({ root });
    const again = createBerthClient(createNodeTransport({ address: second.socket }), { namespace: "durable" });
    const listed = (await again.containers.list({})).containers;
    expect(listed.map((c) => c.id)).toEqual([...ids].sort());
    for (const container of listed) expect(container.labels).toEqual({ id: container.id });
    expect(await second.stop()).toBe(0);
  });

  it("creates its socket 0660 in a 0711 directory and removes it on SIGTERM", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    expect((await stat(daemon.socket)).mode & 0o777).toBe(0o660);
    expect((await stat(join(root, "run"))).mode & 0o777).toBe(0o711);
    expect(await daemon.stop()).toBe(0);
    await expect(stat(daemon.socket)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a second daemon on the same root or socket with a one-line error", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    const sameRoot = await runBerthd(["--root", join(root, "data"), "--address", join(root, "other.sock")]);
    expect(sameRoot.code).toBe(1);
    expect(sameRoot.stderr).toMatch(/^berthd: database .* is in use by another process .*\n$/);
    const sameSocket = await runBerthd(["--root", join(root, "data2"), "--address", daemon.socket]);
    expect(sameSocket.code).toBe(1);
    expect(sameSocket.stderr).toBe(`berthd: socket ${daemon.socket} is already in use by a running process\n`);
    expect(await daemon.stop()).toBe(0);
  });

  it("replaces a stale socket left by a crash", async () => {
    const root = await newRoot();
    const crashed = await startBerthdProcess({ root });
    await crashed.kill();
    await stat(crashed.socket);
    const restarted = await startBerthdProcess({ root });
    const client = createBerthClient(createNodeTransport({ address: restarted.socket }));
    expect((await client.containers.list({})).containers).toEqual([]);
    expect(await restarted.stop()).toBe(0);
  });

  it("logs one line per request at debug level", async () => {
    const daemon = await startBerthdProcess({ extraArgs: ["--log-level", "debug"] });
    roots.push(daemon.root);
    const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "logs" });
    await client.containers.list({});
    await expect(client.containers.get({ id: "x" })).rejects.toThrow();
    await daemon.stop();
    const requests = daemon
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"msg":"request"'))
      .map((line) => JSON.parse(line));
    expect(requests.map((r) => [r.method, r.namespace, r.code])).toEqual([
      ["containerd.services.containers.v1.Containers/List", "logs", "ok"],
      ["containerd.services.containers.v1.Containers/Get", "logs", "NotFound"],
    ]);
  });
});

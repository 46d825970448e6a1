import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { Level } from "level";
import { afterEach, describe, expect, it } from "vitest";
import { BERTHD_MAIN, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

interface CheckRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs `berthd check --root <dataRoot> [args]` to completion. */
function runCheck(dataRoot: string, args: readonly string[] = []): Promise<CheckRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTHD_MAIN, "check", "--root", dataRoot, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * A workload touching every kind of key: namespaces with labels, containers
 * created, updated and deleted, leases with resources, a deleted lease.
 * Returns what should remain.
 */
async function workload(socket: string): Promise<{ namespaces: number; containers: number; leases: number }> {
  const client = createBerthClient(createNodeTransport({ address: socket }), { namespace: "apps" });
  await client.namespaces.create({ namespace: { name: "labelled", labels: { team: "ops", tier: "1" } } });
  const ids = Array.from({ length: 60 }, (_, i) => `c-${i}`);
  await Promise.all(
    ids.map((id, i) =>
      client.containers.create({
        container: newContainer({
          id,
          labels: { n: String(i) },
          ...(i % 2 === 0 ? { image: "docker.io/library/redis:7" } : {}),
        }),
      }),
    ),
  );
  for (const id of ids.slice(0, 20)) {
    await client.containers.update({
      container: { id, labels: { n: "updated" } },
      updateMask: { paths: ["labels.n"] },
    });
  }
  for (const id of ids.slice(50)) await client.containers.delete({ id });
  const other = client.withNamespace("other");
  await other.containers.create({ container: newContainer({ id: "solo" }) });
  await other.leases.create({ id: "lease-1", labels: { "containerd.io/gc.expire": "2999-01-01T00:00:00Z" } });
  await other.leases.addResource({ id: "lease-1", resource: { id: "snap/one", type: "snapshots/overlayfs" } });
  await other.leases.addResource({ id: "lease-1", resource: { id: "ingest-1", type: "ingests" } });
  await other.leases.create({ id: "lease-2" });
  await other.leases.create({ id: "lease-gone" });
  await other.leases.delete({ id: "lease-gone" });
  return { namespaces: 3, containers: 51, leases: 2 };
}

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berthd-check-"));
  roots.push(root);
  return root;
}

describe("berthd check", () => {
  it("reports a store clean after a real workload (exit 0), in text and JSON", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    const expected = await workload(daemon.socket);
    expect(await daemon.stop()).toBe(0);

    const text = await runCheck(join(root, "data"));
    expect(text.stderr).toBe("");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `${expected.namespaces} namespaces, ${expected.containers} containers, ${expected.leases} leases, 2 lease resources`,
    );
    expect(text.stdout).toContain("no problems found");

    const json = await runCheck(join(root, "data"), ["--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ...expected, leaseResources: 2, problems: [], clean: true });
    console.log(`berthd check: clean store of ${expected.containers} containers checked in ${Math.round(text.ms)} ms`);
  });

  it("finds a corrupted value, a record under the wrong key, a missing namespace, unknown keys and bad bucket markers (exit 1)", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    await workload(daemon.socket);
    expect(await daemon.stop()).toBe(0);

    const db = new Level<string, Uint8Array>(join(root, "data", "db"), { keyEncoding: "utf8", valueEncoding: "view" });
    const good = await db.get("!v1!!apps!!containers!c-1");
    expect(good).toBeDefined();
    // Field 1 with wire type 7 does not exist: no protobuf decoder accepts it.
    await db.put("!v1!!apps!!containers!c-0", Uint8Array.from([0x0f, 0xff, 0xff, 0xff]));
    await db.put("!v1!!apps!!containers!c-moved", good ?? new Uint8Array());
    await db.put("!v1!!ghost!!leases!l1", new Uint8Array());
    await db.put("!stray!key", Uint8Array.from([1]));
    await db.put("!v1!!apps!!buckets!images", new Uint8Array());
    await db.put("!v1!!apps!!buckets!leases", Uint8Array.from([1]));
    await db.close();

    const run = await runCheck(join(root, "data"));
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    // The three index entries of the container whose record no longer decodes have nothing to stand for.
    expect(lines).toContain("10 problems:");
    expect(run.stdout).toContain(
      '"!v1!!apps!!index!runtime/io.containerd.runc.v2/c-0": index entry of no container with that value',
    );
    expect(run.stdout).toMatch(
      /^"!v1!!apps!!containers!c-0": value does not decode as containerd\.services\.containers\.v1\.Container/m,
    );
    expect(run.stdout).toContain('"!v1!!apps!!containers!c-moved": record has id "c-1"');
    expect(run.stdout).toMatch(/^"!namespaces!ghost": missing: namespace "ghost" holds records/m);
    expect(run.stdout).toContain('"!v1!!ghost!!leases!l1": record has id ""');
    expect(run.stdout).toContain('"!stray!key": unknown key');
    expect(run.stdout).toContain('"!v1!!apps!!buckets!images": unknown bucket marker');
    expect(run.stdout).toContain('"!v1!!apps!!buckets!leases": bucket marker has a value');

    const json = JSON.parse((await runCheck(join(root, "data"), ["--json"])).stdout);
    expect(json.clean).toBe(false);
    expect(json.problems.map((problem: { key: string }) => problem.key)).toContain("!v1!!apps!!containers!c-0");
  });

  it("finds the container index out of step with the records, and --repair rebuilds it (exit 1, then 0)", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    await workload(daemon.socket);
    expect(await daemon.stop()).toBe(0);

    const db = new Level<string, Uint8Array>(join(root, "data", "db"), { keyEncoding: "utf8", valueEncoding: "view" });
    const entries = await db.keys({ gte: "!v1!!apps!!index!", lt: '!v1!!apps!!index"' }).all();
    expect(entries.length).toBeGreaterThan(0);
    const lost = entries[0] as string;
    await db.del(lost);
    await db.put("!v1!!apps!!index!label:team/blue/c-1", new Uint8Array());
    await db.close();

    const run = await runCheck(join(root, "data"));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("2 problems:");
    expect(run.stdout).toMatch(
      new RegExp(
        `^${JSON.stringify(lost).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: missing index entry of container "`,
        "m",
      ),
    );
    expect(run.stdout).toContain('"!v1!!apps!!index!label:team/blue/c-1": index entry of no container with that value');

    const repaired = await runCheck(join(root, "data"), ["--repair"]);
    expect(repaired.stderr).toContain("berthd check: rebuilt the container index of");
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain("no problems found");
  });

  it("refuses a store held by a running berthd (exit 2, one line)", async () => {
    const root = await newRoot();
    const daemon = await startBerthdProcess({ root });
    try {
      const run = await runCheck(join(root, "data"));
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `berthd check: database ${join(root, "data", "db")} is in use by another process (is another berthd running on this --root?)\n`,
      );
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });

  it("refuses a root with no database, creating nothing (exit 2)", async () => {
    const root = await newRoot();
    const run = await runCheck(join(root, "missing"));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`berthd check: no database at ${join(root, "missing", "db")}: no such file or directory\n`);
    await expect(import("node:fs/promises").then(({ stat }) => stat(join(root, "missing")))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});

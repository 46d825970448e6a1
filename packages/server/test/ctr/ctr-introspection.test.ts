// The real ctr 1.6.20's `version`, `plugins ls` and the commands of services berthd does not serve,
// against berthd. Where berthd and containerd are meant to print the same, the expectations were
// recorded from containerd 1.6.20 (Debian 1.6.20~ds1-1+deb12u3): the filter parse error from a stock
// containerd, and the unknown-service lines from one started with
// `disabled_plugins = ["io.containerd.grpc.v1.images", "io.containerd.grpc.v1.snapshots",
// "io.containerd.grpc.v1.content"]`. The plugin table is berthd's own (its parts, in containerd's taxonomy).
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";

const CTR = "/usr/bin/ctr";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const serverPackage = new URL("../../", import.meta.url);

let berthd: BerthdProcess;

beforeAll(async () => {
  if (!existsSync(CTR)) return;
  berthd = await startBerthdProcess();
});

afterAll(async () => {
  if (berthd === undefined) return;
  await berthd.stop();
  await berthd.dispose();
});

interface CtrResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function ctr(...args: string[]): Promise<CtrResult> {
  if (!existsSync(CTR)) throw new Error(`${CTR} is missing: install Debian's containerd (.ci/install-system-deps.sh)`);
  try {
    const { stdout, stderr } = await promisify(execFile)(CTR, ["--address", berthd.socket, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TZ: "UTC", LANG: "C" },
      timeout: 10_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The rows of a ctr table, cells split at runs of two or more spaces. */
function rows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/ {2,}/));
}

const PLUGINS: readonly (readonly [string, string])[] = [
  ["io.containerd.metadata.v1", "leveldb"],
  ["io.containerd.event.v1", "exchange"],
  ["io.containerd.service.v1", "introspection-service"],
  ["io.containerd.service.v1", "containers-service"],
  ["io.containerd.service.v1", "leases-service"],
  ["io.containerd.service.v1", "namespaces-service"],
  ["io.containerd.grpc.v1", "introspection"],
  ["io.containerd.grpc.v1", "containers"],
  ["io.containerd.grpc.v1", "events"],
  ["io.containerd.grpc.v1", "healthcheck"],
  ["io.containerd.grpc.v1", "leases"],
  ["io.containerd.grpc.v1", "namespaces"],
  ["io.containerd.grpc.v1", "tasks"],
  ["io.containerd.grpc.v1", "version"],
  ["io.containerd.grpc.v1", "reflection"],
  ["io.berth.web.v1", "dashboard"],
];

describe("ctr version", () => {
  it("prints berthd's version, the revision it was built from, and a UUID that survives a restart", async () => {
    const build = JSON.parse(readFileSync(new URL("dist/build.json", serverPackage), "utf8")) as { revision: string };
    const { version } = JSON.parse(readFileSync(new URL("package.json", serverPackage), "utf8")) as {
      version: string;
    };
    const first = await ctr("version");
    expect(first.code).toBe(0);
    const server = first.stdout.split("Server:\n")[1] ?? "";
    expect(server).toMatch(new RegExp(`^ {2}Version: {2}${version}\n {2}Revision: ${build.revision}\n {2}UUID: `));
    const uuid = server.split("UUID: ")[1]?.trim() ?? "";
    expect(uuid).toMatch(UUID);
    // ctr compares with its own build, as against any containerd of another release.
    expect(first.stderr).toBe("WARNING: version mismatch\nWARNING: revision mismatch\n");

    await berthd.stop();
    berthd = await startBerthdProcess({ root: berthd.root });
    const again = await ctr("version");
    expect(again.stdout.split("UUID: ")[1]?.trim()).toBe(uuid);
  });
});

describe("ctr plugins ls", () => {
  it("lists berthd's parts in containerd's plugin taxonomy, the web app skipped without a TCP listener", async () => {
    const result = await ctr("plugins", "ls");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const [header, ...plugins] = rows(result.stdout);
    expect(header).toEqual(["TYPE", "ID", "PLATFORMS", "STATUS"]);
    expect(plugins).toEqual(PLUGINS.map(([type, id]) => [type, id, "-", id === "dashboard" ? "skip" : "ok"]));
  });

  it("-q prints only the ids; filters select on type and id, ORed across arguments", async () => {
    expect((await ctr("plugins", "ls", "-q")).stdout).toBe(`${PLUGINS.map(([, id]) => id).join("\n")}\n`);
    const filtered = await ctr("plugins", "ls", "type==io.containerd.grpc.v1,id==version", "id==leveldb");
    expect(rows(filtered.stdout).slice(1)).toEqual([
      ["io.containerd.metadata.v1", "leveldb", "-", "ok"],
      ["io.containerd.grpc.v1", "version", "-", "ok"],
    ]);
    expect((await ctr("plugins", "ls", "-q", "id~=^name")).stdout).toBe("namespaces-service\nnamespaces\n");
    // Only type and id are fields; anything else is absent, as in containerd.
    expect(rows((await ctr("plugins", "ls", "capabilities==x")).stdout)).toEqual([
      ["TYPE", "ID", "PLATFORMS", "STATUS"],
    ]);
  });

  it("answers a malformed filter with containerd's text", async () => {
    expect(await ctr("plugins", "ls", "id~=")).toEqual({
      code: 1,
      stdout: "",
      stderr: "ctr: filters: parse error: [id~=]: expected value or quoted: invalid argument: invalid argument\n",
    });
  });

  it("-d shows requirements, exports and the init error of a skipped plugin", async () => {
    const result = await ctr("plugins", "ls", "-d");
    expect(result.code).toBe(0);
    const blocks = result.stdout.split(/\n\s+\n/).map((block) => rows(block));
    expect(blocks).toHaveLength(PLUGINS.length);
    // ctr prints exports in Go map order, which changes from run to run.
    const [leveldb = []] = blocks;
    expect(leveldb.slice(0, 3)).toEqual([["Type:", "io.containerd.metadata.v1"], ["ID:", "leveldb"], ["Exports:"]]);
    expect(leveldb.slice(3).sort()).toEqual([
      ["backend", "leveldb"],
      ["path", `${berthd.root}/data/db`],
    ]);
    expect(blocks[3]).toEqual([
      ["Type:", "io.containerd.service.v1"],
      ["ID:", "containers-service"],
      ["Requires:"],
      ["io.containerd.event.v1"],
      ["io.containerd.metadata.v1"],
    ]);
    expect(blocks.at(-1)).toEqual([
      ["Type:", "io.berth.web.v1"],
      ["ID:", "dashboard"],
      ["Requires:"],
      ["io.containerd.grpc.v1"],
      ["Error:"],
      ["Code:", "Unknown"],
      ["Message:", "no TCP listener (--listen): skip plugin"],
    ]);
  });
});

describe("services berthd does not serve", () => {
  it.each([
    [
      ["images", "ls"],
      "",
      "ctr: failed to list images: unknown service containerd.services.images.v1.Images: not implemented\n",
    ],
    [["snapshots", "ls"], "", "ctr: unknown service containerd.services.snapshots.v1.Snapshots: not implemented\n"],
    [
      ["content", "ls"],
      "DIGEST\tSIZE\tAGE\tLABELS\n",
      "ctr: unknown service containerd.services.content.v1.Content: not implemented\n",
    ],
  ])("ctr %j prints what a containerd without that plugin prints", async (args, stdout, stderr) => {
    expect(await ctr(...args)).toEqual({ code: 1, stdout, stderr });
  });

  it("ctr tasks ls: berthd's Tasks serves only Get, so List is an unknown method", async () => {
    expect(await ctr("tasks", "ls")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "ctr: rpc error: code = Unimplemented desc = unknown method List for service containerd.services.tasks.v1.Tasks\n",
    });
  });
});

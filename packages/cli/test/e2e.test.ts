/**
 * End to end: the built `berth` (packages/cli/dist, run with execFile) against
 * a real `berthd` (packages/server/dist) on a unix socket. Run `npx tsc -b`
 * first. Each test works in its own namespace, so the tests run concurrently.
 * Fixtures are made and checked through @berth/client; further cases run the
 * program in-process (`runCli`) against the same daemon, since every spawned
 * CLI costs about 0.4 s of CPU.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../../server/test/support/berthd-process.js";
import { createDefaultSpec, encodeSpecJson, packSpec } from "../src/oci-spec.js";
import { type RunResult, runInProcess } from "./run-in-process.js";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const BERTH = join(REPO_ROOT, "packages/cli/dist/main.js");
const RUNC = "io.containerd.runc.v2";

let dir = "";
let socket = "";
let daemon: BerthdProcess | undefined;

/** The environment of every berth run: this process's, minus berth's own variables. */
function baseEnv(): NodeJS.ProcessEnv {
  const { BERTH_ADDRESS: _a, CONTAINERD_ADDRESS: _b, CONTAINERD_NAMESPACE: _c, ...env } = process.env;
  return env;
}

/** Runs the built CLI with `--address <socket>` unless `address` is false. */
function berth(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; address?: boolean } = {},
): Promise<RunResult> {
  const argv = options.address === false ? args : ["--address", socket, ...args];
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BERTH, ...argv],
      { env: { ...baseEnv(), ...options.env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the program in-process with `--address <socket>`, with `env` as its whole environment. */
function berthInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runInProcess(["--address", socket, ...args], env);
}

/** A client for checking what the CLI did, in one namespace. */
function clientIn(namespace: string) {
  return createBerthClient(createNodeTransport({ address: socket }), { namespace }).containers;
}

/** Ids in a namespace, read through @berth/client. */
async function idsIn(namespace: string): Promise<string[]> {
  const { containers } = await clientIn(namespace).list({});
  return containers.map((container) => container.id);
}

/** Creates containers directly through @berth/client: fixtures, not the behaviour under test. */
async function seed(namespace: string, containers: { id: string; image?: string; labels?: Record<string, string> }[]) {
  const client = clientIn(namespace);
  for (const { id, image = "", labels = {} } of containers) {
    const spec = packSpec(encodeSpecJson(createDefaultSpec({ namespace, id })));
    await client.create({ container: { id, image, labels, runtime: { name: RUNC }, spec } });
  }
}

beforeAll(async () => {
  daemon = await startBerthdProcess();
  dir = daemon.root;
  socket = daemon.socket;
});

afterAll(async () => {
  expect(await daemon?.stop()).toBe(0);
  await daemon?.dispose();
});

describe("the built berth against berthd", () => {
  it("creates a container with labels, image, runtime, snapshot and a spec file; info decodes the spec", async () => {
    const specFile = join(dir, "spec.json");
    const spec = { ociVersion: "1.0.2", process: { args: ["true"], cwd: "/" }, root: { path: "rootfs" } };
    const specText = `${JSON.stringify(spec, null, 2)}\n`;
    await writeFile(specFile, specText);
    const created = await berth([
      ..."-n create c create --label a=1 --label b=x=y --label gone=".split(" "),
      ..."--image docker.io/library/busybox:latest --runtime io.containerd.runsc.v1".split(" "),
      ..."--snapshotter overlayfs --snapshot-key c1-key --spec".split(" "),
      specFile,
      "c1",
    ]);
    expect(created).toEqual({ code: 0, stdout: "", stderr: "" });

    // The spec travels as the file's bytes, under containerd's bare type URL.
    const { container } = await clientIn("create").get({ id: "c1" });
    expect(container?.spec?.typeUrl).toBe("types.containerd.io/opencontainers/runtime-spec/1/Spec");
    expect(new TextDecoder().decode(container?.spec?.value)).toBe(specText);

    const info = await berth(["-n", "create", "c", "info", "c1"]);
    expect(info.code).toBe(0);
    expect(info.stderr).toBe("");
    expect(info.stdout).toMatch(/^\{\n {4}"id": "c1",\n/);
    const json = JSON.parse(info.stdout);
    expect(json).toMatchObject({
      id: "c1",
      labels: { a: "1", b: "x=y" },
      image: "docker.io/library/busybox:latest",
      runtime: { name: "io.containerd.runsc.v1" },
      spec,
      snapshotter: "overlayfs",
      snapshotKey: "c1-key",
      extensions: {},
    });
    expect(Object.keys(json.labels)).toEqual(["a", "b"]);
    expect(json.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(json.updatedAt).toBe(json.createdAt);
  });

  it("reports a duplicate id and a bad id with the server's message and exit 1", async () => {
    await seed("createfail", [{ id: "c1" }]);
    const [duplicate, badId] = await Promise.all([
      berth(["-n", "createfail", "c", "create", "c1"]),
      berth(["-n", "createfail", "c", "create", "Bad ID"]),
    ]);
    expect(duplicate).toEqual({ code: 1, stdout: "", stderr: 'berth: container "c1": already exists\n' });
    expect(badId).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'berth: create container failed validation: container.ID: identifier "Bad ID" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument\n',
    });
    expect(await idsIn("createfail")).toEqual(["c1"]);
  });

  it("lists a page with --limit and --after, and says how to go on", async () => {
    await seed(
      "paged",
      Array.from({ length: 7 }, (_, index) => ({ id: `p${index}`, labels: { odd: String(index % 2) } })),
    );
    expect(await berth(["-n", "paged", "c", "ls", "-q", "--limit", "3"])).toEqual({
      code: 0,
      stdout: "p0\np1\np2\n",
      stderr: "more containers follow: berth c ls --limit 3 --after p2\n",
    });
    expect(await berth(["-n", "paged", "c", "ls", "-q", "--limit", "3", "--after", "p2"])).toEqual({
      code: 0,
      stdout: "p3\np4\np5\n",
      stderr: "more containers follow: berth c ls --limit 3 --after p5\n",
    });
    expect(await berth(["-n", "paged", "c", "ls", "-q", "--limit", "3", "--after", "p5"])).toEqual({
      code: 0,
      stdout: "p6\n",
      stderr: "",
    });
    expect(await berth(["-n", "paged", "c", "ls", "-q", "--after", "p3", "labels.odd==1"])).toEqual({
      code: 0,
      stdout: "p5\n",
      stderr: "",
    });
    expect((await berth(["-n", "paged", "c", "ls", "--limit", "0"])).code).not.toBe(0);
  });

  it("lists containers as ctr's table, as ids, filtered and as JSON", async () => {
    await seed("list", [
      { id: "b1", image: "docker.io/library/busybox:latest", labels: { a: "1" } },
      { id: "c3", image: "docker.io/library/alpine:3", labels: { a: "1", b: "2" } },
      { id: "a2", labels: { a: "2" } },
    ]);
    const [table, quiet, byLabel, byImage, json] = await Promise.all([
      berth(["-n", "list", "c", "ls"]),
      berth(["-n", "list", "c", "ls", "-q"]),
      berth(["-n", "list", "c", "ls", "-q", "labels.a==1"]),
      berth(["-n", "list", "c", "ls", "image~=busy"]),
      berth(["-n", "list", "c", "ls", "--format", "json"]),
    ]);
    expect(table).toEqual({
      code: 0,
      stdout: [
        "CONTAINER    IMAGE                               RUNTIME                  ",
        "a2           -                                   io.containerd.runc.v2    ",
        "b1           docker.io/library/busybox:latest    io.containerd.runc.v2    ",
        "c3           docker.io/library/alpine:3          io.containerd.runc.v2    ",
        "",
      ].join("\n"),
      stderr: "",
    });
    expect(quiet).toEqual({ code: 0, stdout: "a2\nb1\nc3\n", stderr: "" });
    expect(byLabel).toEqual({ code: 0, stdout: "b1\nc3\n", stderr: "" });
    expect(byImage).toEqual({
      code: 0,
      stdout: [
        "CONTAINER    IMAGE                               RUNTIME                  ",
        "b1           docker.io/library/busybox:latest    io.containerd.runc.v2    ",
        "",
      ].join("\n"),
      stderr: "",
    });
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout);
    expect(list.map((c: { id: string }) => c.id)).toEqual(["a2", "b1", "c3"]);
    expect(list[2]).toMatchObject({
      id: "c3",
      labels: { a: "1", b: "2" },
      image: "docker.io/library/alpine:3",
      runtime: { name: RUNC },
      spec: { ociVersion: "1.0.2-dev", linux: { cgroupsPath: "/list/c3" } },
      snapshotter: "",
      snapshotKey: "",
      extensions: {},
    });
  });

  it("sets and removes labels, printing the resulting labels like ctr", async () => {
    await seed("label", [{ id: "l1", labels: { a: "1", b: "2" } }]);
    expect(await berth(["-n", "label", "c", "label", "l1", "c=3", "a=", "d=x=y"])).toEqual({
      code: 0,
      stdout: "b=2,c=3,d=x=y\n",
      stderr: "",
    });
    const { container } = await clientIn("label").get({ id: "l1" });
    expect(container?.labels).toEqual({ b: "2", c: "3", d: "x=y" });
  });

  it("removes one and many containers, reporting each missing id and exiting 1", async () => {
    await seed("rm", [{ id: "r1" }, { id: "r2" }, { id: "r3" }]);
    expect(await berth(["-n", "rm", "c", "rm", "r1"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await idsIn("rm")).toEqual(["r2", "r3"]);
    // While the namespace still has containers a missing id is `container <id>: not found`.
    expect(await berth(["-n", "rm", "c", "delete", "r2", "nope", "nope2", "r3"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "berth: container nope: not found\nberth: container nope2: not found\n",
    });
    expect(await idsIn("rm")).toEqual([]);
    // The emptied namespace keeps its containers bucket, as containerd's bbolt does: same wording.
    expect(await berth(["-n", "rm", "c", "rm", "nope"])).toEqual({
      code: 1,
      stdout: "",
      stderr: "berth: container nope: not found\n",
    });
    // A namespace that never held a container has no bucket: the server words it differently (spec §5.5).
    expect(await berth(["-n", "never", "c", "rm", "nope"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'berth: cannot delete container "nope" in namespace "never": not found\n',
    });
  });

  it("keeps namespaces apart with -n and CONTAINERD_NAMESPACE", async () => {
    await seed("ns1", [{ id: "same", labels: { ns: "1" } }, { id: "only1" }]);
    await seed("ns2", [{ id: "same", labels: { ns: "2" } }, { id: "only2" }]);
    const [ns1, ns2, fromEnv] = await Promise.all([
      berth(["-n", "ns1", "c", "ls", "-q"]),
      berth(["-n", "ns2", "c", "ls", "-q", "labels.ns==2"]),
      berth(["c", "ls", "-q"], { env: { CONTAINERD_NAMESPACE: "ns2" } }),
    ]);
    expect(ns1).toEqual({ code: 0, stdout: "only1\nsame\n", stderr: "" });
    expect(ns2).toEqual({ code: 0, stdout: "same\n", stderr: "" });
    expect(fromEnv).toEqual({ code: 0, stdout: "only2\nsame\n", stderr: "" });
  });

  it("finds berthd through BERTH_ADDRESS, which wins over CONTAINERD_ADDRESS", async () => {
    await seed("addr", [{ id: "x1" }]);
    const env = { BERTH_ADDRESS: socket, CONTAINERD_ADDRESS: join(dir, "missing.sock") };
    expect(await berth(["-n", "addr", "c", "ls", "-q"], { address: false, env })).toEqual({
      code: 0,
      stdout: "x1\n",
      stderr: "",
    });
  });

  it("prints help with exit 0", async () => {
    const help = await berth(["--help"], { address: false });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: berth \[options\] \[command\]/);
    expect(help.stdout).toContain("containers|c");
  });

  it("names the address when nothing listens there", async () => {
    const missing = join(dir, "missing.sock");
    expect(await berth(["c", "ls"], { address: false, env: { BERTH_ADDRESS: missing } })).toEqual({
      code: 1,
      stdout: "",
      stderr: `berth: cannot connect to berthd at ${missing}: no such socket (ENOENT)\n`,
    });
  });
});

describe.concurrent("berth in-process against berthd", () => {
  it("creates with the default runtime and spec", async () => {
    expect(await berthInProcess(["-n", "defaults", "container", "create", "d1"])).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    const json = JSON.parse((await berthInProcess(["-n", "defaults", "c", "info", "d1"])).stdout);
    expect(json.runtime).toEqual({ name: RUNC });
    expect(json.image).toBe("");
    expect(json.spec).toMatchObject({
      ociVersion: "1.0.2-dev",
      process: { args: ["sh"], cwd: "/" },
      root: { path: "rootfs" },
      linux: { cgroupsPath: "/defaults/d1" },
    });
  });

  it("rejects a spec file that is not JSON without creating anything", async () => {
    const badSpec = join(dir, "bad-spec.json");
    await writeFile(badSpec, "{ociVersion");
    const bad = await berthInProcess(["-n", "badspec", "c", "create", "--spec", badSpec, "c3"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^berth: spec file "${badSpec}" is not valid JSON: `));
    expect(await idsIn("badspec")).toEqual([]);
  });

  it("passes the server's validation and lookup errors through", async () => {
    await seed("errs", [{ id: "e1" }]);
    const cases: [string[], string][] = [
      [
        ["c", "create", "--snapshot-key", "k", "e2"],
        "create container failed validation: container.Snapshotter must be set if container.SnapshotKey is set: invalid argument",
      ],
      [
        ["c", "ls", "id=c1"],
        'filters: parse error: [id >|=|< c1]: unsupported operator "=": invalid argument: invalid argument',
      ],
      [["c", "label", "nope", "a=1"], 'container "nope": not found'],
      [["c", "info", "nope"], 'container "nope" in namespace "errs": not found'],
    ];
    for (const [args, message] of cases) {
      expect(await berthInProcess(["-n", "errs", ...args])).toEqual({
        code: 1,
        stdout: "",
        stderr: `berth: ${message}\n`,
      });
    }
    expect(await berthInProcess(["-n", "Bad NS", "c", "ls"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'berth: namespace validation: identifier "Bad NS" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument\n',
    });
  });

  it("lists an empty namespace as a bare header and as []", async () => {
    expect(await berthInProcess(["-n", "empty", "c", "ls"])).toEqual({
      code: 0,
      stdout: "CONTAINER    IMAGE    RUNTIME    \n",
      stderr: "",
    });
    expect(await berthInProcess(["-n", "empty", "c", "ls", "--format", "json"])).toEqual({
      code: 0,
      stdout: "[]\n",
      stderr: "",
    });
  });

  it("ORs several filters and ANDs the selectors of one", async () => {
    await seed("filters", [
      { id: "b1", image: "docker.io/library/busybox:latest", labels: { a: "1" } },
      { id: "c3", image: "docker.io/library/alpine:3", labels: { a: "1" } },
      { id: "a2", labels: { a: "2" } },
    ]);
    expect((await berthInProcess(["-n", "filters", "c", "ls", "-q", "image~=busy", "id==a2"])).stdout).toBe("a2\nb1\n");
    expect((await berthInProcess(["-n", "filters", "c", "ls", "-q", "labels.a==1,image~=alpine"])).stdout).toBe("c3\n");
  });

  it("uses the default namespace, CONTAINERD_ADDRESS, and -n over CONTAINERD_NAMESPACE", async () => {
    expect((await berthInProcess(["c", "create", "indefault"])).code).toBe(0);
    expect(await idsIn("default")).toContain("indefault");
    await seed("envns", [{ id: "n1" }]);
    const env = { CONTAINERD_ADDRESS: socket, CONTAINERD_NAMESPACE: "nowhere" };
    expect(await runInProcess(["-n", "envns", "c", "ls", "-q"], env)).toEqual({ code: 0, stdout: "n1\n", stderr: "" });
  });

  it("speaks the Connect protocol and honours --timeout", async () => {
    await seed("proto", [{ id: "p1" }]);
    expect(await berthInProcess(["--protocol", "connect", "-n", "proto", "c", "ls", "-q"])).toEqual({
      code: 0,
      stdout: "p1\n",
      stderr: "",
    });
    expect(await berthInProcess(["--timeout", "5s", "-n", "proto", "c", "ls", "-q"])).toEqual({
      code: 0,
      stdout: "p1\n",
      stderr: "",
    });
  });
});

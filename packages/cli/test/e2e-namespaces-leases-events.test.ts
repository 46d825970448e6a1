/**
 * End to end for `namespaces`, `leases` and `events`: the built `berth`
 * (packages/cli/dist) against a real `berthd` on a unix socket; run
 * `npx tsc -b` first. Namespace listings see the whole daemon, so the
 * namespaces test runs first, alone; the rest work in namespaces of their own
 * and run concurrently. Most cases run the program in-process; `events` is
 * also run as a child process, since SIGINT handling is what is under test.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { type BerthClient, createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../../server/test/support/berthd-process.js";
import { createDefaultSpec, encodeSpecJson, packSpec } from "../src/oci-spec.js";
import { type InProcessOptions, type RunResult, runInProcess } from "./run-in-process.js";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const BERTH = join(REPO_ROOT, "packages/cli/dist/main.js");
const RUNC = "io.containerd.runc.v2";
const EXPIRE_LABEL = "containerd.io/gc.expire";
/** How long to wait for an event to show up. */
const EVENT_WAIT_MS = 10_000;

let socket = "";
let daemon: BerthdProcess | undefined;

beforeAll(async () => {
  daemon = await startBerthdProcess();
  socket = daemon.socket;
});

afterAll(async () => {
  expect(await daemon?.stop()).toBe(0);
  await daemon?.dispose();
});

/** The environment of every berth run: this process's, minus berth's own variables. */
function baseEnv(): NodeJS.ProcessEnv {
  const { BERTH_ADDRESS: _a, CONTAINERD_ADDRESS: _b, CONTAINERD_NAMESPACE: _c, ...env } = process.env;
  return env;
}

/** Runs the built CLI with `--address <socket>`. */
function berth(args: readonly string[]): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BERTH, "--address", socket, ...args],
      { env: baseEnv(), timeout: 15_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the program in-process with `--address <socket>`. */
function berthInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<RunResult> {
  return runInProcess(["--address", socket, ...args], {}, options);
}

function clientIn(namespace: string): BerthClient {
  return createBerthClient(createNodeTransport({ address: socket }), { namespace });
}

/** Creates a container directly through @berth/client: a fixture, not the behaviour under test. */
async function createContainer(namespace: string, id: string, image = ""): Promise<void> {
  const spec = packSpec(encodeSpecJson(createDefaultSpec({ namespace, id })));
  await clientIn(namespace).containers.create({ container: { id, image, runtime: { name: RUNC }, spec } });
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs = EVENT_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

/**
 * Waits until a subscriber that prints to `output()` is subscribed: triggers
 * an event with `poke(i)` and waits briefly for `seen(output, i)`, again with
 * the next i, for at most {@link EVENT_WAIT_MS}.
 */
async function untilSubscribed(
  output: () => string,
  poke: (attempt: number) => Promise<void>,
  seen: (output: string, attempt: number) => boolean,
): Promise<void> {
  const deadline = Date.now() + EVENT_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    await poke(attempt);
    const wait = Math.max(0, Math.min(250, deadline - Date.now()));
    try {
      await waitFor("the subscription", () => seen(output(), attempt), wait);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
  }
}

/** The lines of `output` for one namespace (the fifth space-separated field of ctr's line). */
function linesIn(output: string, namespace: string): string[] {
  return output.split("\n").filter((line) => line.split(" ")[4] === namespace);
}

/** ctr's line: Go's time, namespace, topic and payload JSON. */
function eventLine(namespace: string, topic: string, payload: string): RegExp {
  const escaped = `${namespace} ${topic} ${payload}`.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})? \\+0000 UTC ${escaped}$`);
}

describe("berth namespaces", () => {
  it("creates, lists, labels and removes namespaces", async () => {
    expect(await berth(["ns", "create", "nsa", "b=2", "a=1", "c=x y"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await berthInProcess(["namespace", "c", "nsb"])).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(await berthInProcess(["ns", "create", "nsa"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'berth: namespace "nsa": already exists\n',
    });
    expect(await berthInProcess(["ns", "create", "Bad Name"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'berth: identifier "Bad Name" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument\n',
    });

    // The table as `ctr ns ls` prints it (checked against containerd 1.6.20).
    expect(await berthInProcess(["ns", "ls"])).toEqual({
      code: 0,
      stdout: ["NAME LABELS        ", "nsa  a=1,b=2,c=x y ", "nsb                ", ""].join("\n"),
      stderr: "",
    });
    expect(await berthInProcess(["ns", "list", "-q"])).toEqual({ code: 0, stdout: "nsa\nnsb\n", stderr: "" });

    // One update per label; k= removes k.
    expect(await berthInProcess(["ns", "label", "nsa", "a=", "d=4"])).toEqual({ code: 0, stdout: "", stderr: "" });
    const { namespace } = await clientIn("default").namespaces.get({ name: "nsa" });
    expect(namespace?.labels).toEqual({ b: "2", c: "x y", d: "4" });
    const json = await berthInProcess(["ns", "ls", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { name: "nsa", labels: { b: "2", c: "x y", d: "4" } },
      { name: "nsb", labels: {} },
    ]);

    // A namespace that holds a container is kept, an unknown one is reported; the others go.
    await createContainer("nsb", "c1");
    expect(await berth(["ns", "rm", "nsb", "nope", "nsa"])).toEqual({
      code: 1,
      stdout: "nsa\n",
      stderr:
        'berth: namespace "nsb" must be empty, but it still has containers: failed precondition\n' +
        'berth: namespace "nope": not found\n',
    });
    const { namespaces } = await clientIn("default").namespaces.list({});
    expect(namespaces.map(({ name }) => name)).toEqual(["nsb"]);
    await clientIn("nsb").containers.delete({ id: "c1" });
    expect(await berthInProcess(["ns", "remove", "nsb"])).toEqual({ code: 0, stdout: "nsb\n", stderr: "" });
  });
});

describe.concurrent("berth leases", () => {
  it("creates, lists, filters and removes leases", async () => {
    const ls = (...args: string[]) => berthInProcess(["-n", "leases", "leases", "ls", ...args]);
    expect(
      await berthInProcess(["-n", "leases", "leases", "create", "--id", "l1", "--label", "b=2", "--label", "a=1"]),
    ).toEqual({
      code: 0,
      stdout: "l1\n",
      stderr: "",
    });
    expect(await berthInProcess(["-n", "leases", "lease", "create", "--id", "l0"])).toEqual({
      code: 0,
      stdout: "l0\n",
      stderr: "",
    });
    expect(await berthInProcess(["-n", "leases", "leases", "create", "--id", "l1"])).toEqual({
      code: 1,
      stdout: "",
      stderr: 'berth: lease "l1": already exists\n',
    });

    const table = await ls();
    expect(table.code).toBe(0);
    const time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d)";
    const lines = table.stdout.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^ID CREATED AT {10,}LABELS {2}$/);
    expect(lines[1]).toMatch(new RegExp(`^l0 ${time} -       $`));
    expect(lines[2]).toMatch(new RegExp(`^l1 ${time} a=1,b=2 $`));
    expect(lines[3]).toBe("");

    expect(await ls("-q")).toEqual({ code: 0, stdout: "l0\nl1\n", stderr: "" });
    expect(await ls("-q", "labels.a==1")).toEqual({ code: 0, stdout: "l1\n", stderr: "" });
    expect(await ls("-q", "id==l0", "labels.b")).toEqual({ code: 0, stdout: "l0\nl1\n", stderr: "" });
    const json = await ls("--format", "json", "id==l1");
    expect(json.code).toBe(0);
    const [lease, ...rest] = JSON.parse(json.stdout);
    expect(rest).toEqual([]);
    expect(lease).toEqual({ id: "l1", createdAt: expect.stringMatching(/Z$/), labels: { a: "1", b: "2" } });
    expect(await ls("id=l1")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'berth: filters: parse error: [id >|=|< l1]: unsupported operator "=": invalid argument: invalid argument\n',
    });

    expect(await berthInProcess(["-n", "leases", "leases", "rm", "l1", "nope", "l0"])).toEqual({
      code: 1,
      stdout: "l1\nl0\n",
      stderr: 'berth: lease "nope": not found\n',
    });
    expect(await ls("-q")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("creates a lease with a server-made id that expires after --expires", async () => {
    const before = Date.now();
    const created = await berth(["-n", "expiry", "leases", "create", "--expires", "90m", "--label", "a=1"]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^\d{1,9}-[A-Za-z0-9_-]{4}\n$/);
    const id = created.stdout.trim();
    const { leases } = await clientIn("expiry").leases.list({});
    expect(leases.map((lease) => lease.id)).toEqual([id]);
    const expires = leases[0]?.labels[EXPIRE_LABEL] ?? "";
    expect(leases[0]?.labels.a).toBe("1");
    // RFC 3339 in whole seconds (local time, as Go's time.RFC3339), now + 90 minutes.
    expect(expires).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    const at = Date.parse(expires);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 90 * 60_000);
    expect(at).toBeLessThanOrEqual(Date.now() + 90 * 60_000);

    expect(await berthInProcess(["-n", "expiry", "leases", "delete", id])).toEqual({
      code: 0,
      stdout: `${id}\n`,
      stderr: "",
    });
  });
});

describe.concurrent("berth events", () => {
  it("prints create, update and delete lines like ctr and exits 0 on SIGINT", async () => {
    const child: ChildProcess = spawn(process.execPath, [BERTH, "--address", socket, "events"], {
      env: baseEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      await untilSubscribed(
        () => stdout,
        (attempt) => createContainer("evwarm", `w${attempt}`),
        (output, attempt) => output.includes(` evwarm /containers/create {"id":"w${attempt}",`),
      );

      const client = clientIn("evtest");
      await createContainer("evtest", "c1", "docker.io/library/busybox:latest");
      await client.containers.update({
        container: { id: "c1", labels: { a: "1" } },
        updateMask: { paths: ["labels.a"] },
      });
      await client.containers.delete({ id: "c1" });
      await waitFor("three evtest events", () => linesIn(stdout, "evtest").length >= 3);

      const [created, updated, deleted, ...more] = linesIn(stdout, "evtest");
      expect(more).toEqual([]);
      expect(created).toMatch(
        eventLine(
          "evtest",
          "/containers/create",
          `{"id":"c1","image":"docker.io/library/busybox:latest","runtime":{"name":"${RUNC}"}}`,
        ),
      );
      expect(updated).toMatch(
        eventLine(
          "evtest",
          "/containers/update",
          '{"id":"c1","image":"docker.io/library/busybox:latest","labels":{"a":"1"}}',
        ),
      );
      expect(deleted).toMatch(eventLine("evtest", "/containers/delete", '{"id":"c1"}'));
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });

  it("shows only the events that match a filter", async () => {
    const interrupt = new AbortController();
    let stdout = "";
    const run = berthInProcess(["events", 'topic=="/containers/delete"'], {
      interrupt: interrupt.signal,
      onStdout: (text) => {
        stdout += text;
      },
    });
    const client = clientIn("evfilter");
    await untilSubscribed(
      () => stdout,
      async (attempt) => {
        await createContainer("evfilter", `w${attempt}`);
        await client.containers.delete({ id: `w${attempt}` });
      },
      (output, attempt) => output.includes(` evfilter /containers/delete {"id":"w${attempt}"}`),
    );
    await createContainer("evfilter", "c1");
    await client.containers.update({
      container: { id: "c1", labels: { a: "1" } },
      updateMask: { paths: ["labels.a"] },
    });
    await client.containers.delete({ id: "c1" });
    await waitFor("the delete of c1", () => stdout.includes(' evfilter /containers/delete {"id":"c1"}'));
    interrupt.abort();
    const { code, stderr } = await run;
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout.split("\n").filter((line) => line !== "");
    // Other tests' deletes show up too, but nothing else does.
    for (const line of lines) expect(line.split(" ")[5]).toBe("/containers/delete");
    expect(linesIn(stdout, "evfilter").at(-1)).toMatch(eventLine("evfilter", "/containers/delete", '{"id":"c1"}'));
  });

  it("prints JSON lines with --format json", async () => {
    const interrupt = new AbortController();
    let stdout = "";
    const run = berthInProcess(["events", "--format", "json", "namespace==evjson"], {
      interrupt: interrupt.signal,
      onStdout: (text) => {
        stdout += text;
      },
    });
    await untilSubscribed(
      () => stdout,
      (attempt) => createContainer("evjson", `w${attempt}`),
      (output, attempt) => output.includes(`"value":{"id":"w${attempt}"`),
    );
    await clientIn("evjson").containers.update({
      container: { id: "w0", labels: { a: "1" } },
      updateMask: { paths: ["labels.a"] },
    });
    await waitFor("the update", () => stdout.includes('"topic":"/containers/update"'));
    interrupt.abort();
    expect(await run).toMatchObject({ code: 0, stderr: "" });
    const events = stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
    expect(events.at(-1)).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/),
      namespace: "evjson",
      topic: "/containers/update",
      event: { typeUrl: "containerd.events.ContainerUpdate", value: { id: "w0", labels: { a: "1" } } },
    });
    expect(events[0]).toMatchObject({
      namespace: "evjson",
      topic: "/containers/create",
      event: { typeUrl: "containerd.events.ContainerCreate", value: { id: "w0", runtime: { name: RUNC } } },
    });
  });

  it("exits 1 with the server's message for a bad filter", async () => {
    expect(await berthInProcess(["events", "topic=x="])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        'berth: subscription error: failed parsing subscription filters: filters: parse error: [topic >|=|< x=]: unsupported operator "=": invalid argument\n',
    });
  });
});

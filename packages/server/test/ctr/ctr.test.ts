// Drives the real `ctr` (containerd 1.6.20's CLI) against berthd and checks that every command prints
// exactly what it prints against real containerd 1.6.20 on the same state: stdout, stderr and exit code.
// The expectations in ./ctr-fixtures.ts were recorded from a fresh real containerd 1.6.20 (see that file).
//
// Steps run in order against ONE fresh daemon; every group uses its own namespaces, and `ns ls` steps
// see the namespaces of all earlier steps, so the order of the lists in the fixtures is part of the test.
//
// Environment (optional, for maintainers):
//   BERTH_CTR_ADDRESS=<socket>  run against that daemon instead of a fresh berthd; it must be a FRESH
//                               daemon (e.g. `containerd-up.sh` on an empty dir) — that is how the
//                               fixtures are checked against real containerd.
//   BERTH_CTR_RECORD=<file>     do not assert; write the normalised outputs as JSON to <file> (used to
//                               re-record the fixtures, together with BERTH_CTR_ADDRESS).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import {
  CONTAINER_STEPS,
  type CtrStep,
  EVENT_STEPS,
  EVENTS_ALL,
  EVENTS_FILTERED,
  type EventsExpectation,
  NAMESPACE_STEPS,
} from "./ctr-fixtures.js";

const CTR = "/usr/bin/ctr";
/** Upper bound for one ctr invocation (it normally takes ~50 ms). */
const CTR_TIMEOUT_MS = 10_000;
/** Namespace whose label updates tell us that the `ctr events` subscribers are attached. */
const PROBE_NS = "ctrevprobe";

const externalAddress = process.env.BERTH_CTR_ADDRESS;
const recordFile = process.env.BERTH_CTR_RECORD;
const recorded: {
  steps: Record<string, { code: number; stdout: string; stderr: string; at: number[] }>;
  events: object;
} = {
  steps: {},
  events: {},
};

let berthd: BerthdProcess | undefined;
let address = "";
let rootfs = "";

/** Set when ctr is not installed: then every test fails with this message (none is skipped). */
const missingCtr = existsSync(CTR)
  ? undefined
  : `${CTR} is missing: these tests drive the real ctr from Debian's containerd package. ` +
    "Install it with .ci/install-system-deps.sh (apt-get install containerd).";

/** `it`, failing at once with a clear message when ctr is not installed. */
function ctrIt(title: string, body: () => Promise<void>): void {
  it(title, async () => {
    if (missingCtr !== undefined) throw new Error(missingCtr);
    await body();
  });
}

beforeAll(async () => {
  if (missingCtr !== undefined) return;
  rootfs = await mkdtemp(join(tmpdir(), "berth-ctr-rootfs-"));
  if (externalAddress !== undefined && externalAddress !== "") {
    address = externalAddress;
  } else {
    berthd = await startBerthdProcess();
    address = berthd.socket;
  }
});

afterAll(async () => {
  if (recordFile) await writeFile(recordFile, `${JSON.stringify(recorded, null, 2)}\n`);
  if (berthd) {
    const code = await berthd.stop();
    const log = berthd.stderr();
    await berthd.dispose();
    expect(code, `berthd exit code; its stderr:\n${log}`).toBe(0);
  }
  if (rootfs) await rm(rootfs, { recursive: true, force: true });
});

interface CtrResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment ctr runs with: nothing from the caller that ctr reads (CONTAINERD_*), UTC times. */
function ctrEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", TZ: "UTC", LANG: "C" };
}

function spawnCtr(args: readonly string[]): ChildProcess {
  return spawn(CTR, ["--address", address, ...args], { stdio: ["ignore", "pipe", "pipe"], env: ctrEnv() });
}

/** Collects a child's output; resolves at exit. */
function collect(child: ChildProcess): { done: Promise<CtrResult>; stdout: () => string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<CtrResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, stdout: () => stdout };
}

/** Runs `ctr --address <daemon> ...args` with a timeout. */
async function runCtr(args: readonly string[]): Promise<CtrResult> {
  const child = spawnCtr(args);
  const { done } = collect(child);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`ctr ${args.join(" ")} did not finish within ${CTR_TIMEOUT_MS} ms`));
    }, CTR_TIMEOUT_MS);
  });
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Replaces the parts of ctr's output that depend on time or on this run, identically for both daemons:
 * - the temporary rootfs directory (`{ROOTFS}` in the args)  → `<ROOTFS>`
 * - logrus' `time="2026-11-28T01:38:34Z"` prefix of error lines → `time="<TIME>"`
 * - `"CreatedAt": "<RFC 3339 nano>"` / `"UpdatedAt": …` in `c info` → `"<TIME>"` (checked separately below)
 * - the leading `2026-11-28 01:38:20.137335134 +0000 UTC` of every `ctr events` line → `<TIME>`
 */
function normalise(text: string): string {
  return text
    .split(rootfs)
    .join("<ROOTFS>")
    .replace(/^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"/gm, 'time="<TIME>"')
    .replace(/"(CreatedAt|UpdatedAt)": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z"/g, '"$1": "<TIME>"')
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})? \+0000 UTC /gm, "<TIME> ");
}

/**
 * `ctr c label` prints the container's resulting labels as `k=v,k2=v2` in Go map order, which is random
 * (cmd/ctr/commands/containers/containers.go ranges over the map); sort the items. (`ctr ns ls` sorts
 * its labels itself, and `ctr events` prints JSON, whose map keys Go sorts.)
 */
function sortLabelList(stdout: string): string {
  return stdout.replace(/^(.+)$/m, (line) => line.split(",").sort().join(","));
}

function isContainerLabel(args: readonly string[]): boolean {
  const at = args.indexOf("label");
  return at > 0 && ["c", "container", "containers"].includes(args[at - 1] ?? "");
}

function resolveArgs(args: readonly string[]): string[] {
  return args.map((arg) => (arg === "{ROOTFS}" ? rootfs : arg));
}

/** Runs one step and compares (or records) its normalised outputs. */
async function check(step: CtrStep): Promise<CtrResult> {
  const startedAt = Date.now();
  const result = await runCtr(resolveArgs(step.args));
  const stdout = normalise(result.stdout);
  const actual = {
    code: result.code ?? -1,
    stdout: isContainerLabel(step.args) ? sortLabelList(stdout) : stdout,
    stderr: normalise(result.stderr),
  };
  if (recordFile) {
    recorded.steps[step.title] = { ...actual, at: [startedAt, Date.now()] };
    return result;
  }
  expect(actual, `ctr ${step.args.join(" ")}`).toEqual({ code: step.code, stdout: step.stdout, stderr: step.stderr });
  return result;
}

/** `c info` timestamps: same RFC 3339 UTC form as containerd; equal right after create, later after an update. */
function checkInfoTimes(stdout: string, expectUpdated: boolean): void {
  const info = JSON.parse(stdout) as { CreatedAt: string; UpdatedAt: string };
  const created = Date.parse(info.CreatedAt);
  const updated = Date.parse(info.UpdatedAt);
  expect(Number.isNaN(created) || Number.isNaN(updated), `${info.CreatedAt} / ${info.UpdatedAt}`).toBe(false);
  if (expectUpdated) expect(info.UpdatedAt > info.CreatedAt || updated > created).toBe(true);
  else expect(info.UpdatedAt).toBe(info.CreatedAt);
}

describe("ctr against berthd: namespaces", () => {
  ctrIt(`${CTR} is containerd 1.6.20's ctr (the fixtures were recorded with it)`, async () => {
    const result = await runCtr(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ctr github\.com\/containerd\/containerd 1\.6\.20\b/);
  });

  for (const step of NAMESPACE_STEPS) {
    ctrIt(step.title, async () => {
      await check(step);
    });
  }
});

describe("ctr against berthd: containers", () => {
  for (const step of CONTAINER_STEPS) {
    ctrIt(step.title, async () => {
      const result = await check(step);
      if (!recordFile && step.args.includes("info") && result.code === 0) {
        checkInfoTimes(result.stdout, step.title.includes("after labelling"));
      }
    });
  }
});

/**
 * `ctr events` (all namespaces) and `ctr events <filters>` watch the EVENT_STEPS commands.
 *
 * Readiness: ctr prints nothing when it has subscribed, so before the watched commands the test runs
 * `ctr ns label ctrevprobe k=<n>` (n = 1, 2, …) until both subscribers have printed the update event of
 * the last probe; once a subscriber saw one event it sees all later ones. After the watched commands a
 * final probe `k=end` tells that every event has arrived. All lines about the probe namespace are then
 * dropped (how many probes were needed varies), and the rest is compared.
 *
 * Only lines with topics /containers/* and /namespaces/* are compared — the services berthd has. Real
 * containerd would also print events of its other subsystems (snapshots, images, content, tasks); for
 * these `--rootfs` commands it printed none in the recording, but the filter keeps the test about the
 * metadata services if that ever changes.
 */
describe("ctr against berthd: events", () => {
  const berthTopic = /^\S+ \S+ \/(?:containers|namespaces)\//;
  const relevant = (stdout: string): string =>
    stdout
      .split("\n")
      .filter((line) => line !== "" && !line.includes(`{"name":"${PROBE_NS}"`) && berthTopic.test(line))
      .map((line) => `${line}\n`)
      .join("");

  let watchers: { child: ChildProcess; done: Promise<CtrResult>; stdout: () => string }[] = [];
  let ended: CtrResult[] = [];

  const probeSeen = (value: string) => (watcher: { stdout: () => string }) =>
    watcher.stdout().includes(`/namespaces/update {"name":"${PROBE_NS}","labels":{"k":"${value}"}}`);

  async function probe(value: string, waitMs: number): Promise<boolean> {
    const result = await runCtr(["ns", "label", PROBE_NS, `k=${value}`]);
    expect(result.code, `probe ns label: ${result.stderr}`).toBe(0);
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (watchers.every(probeSeen(value))) return true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return watchers.every(probeSeen(value));
  }

  afterAll(async () => {
    for (const watcher of watchers) if (watcher.child.exitCode === null) watcher.child.kill("SIGKILL");
    await Promise.all(watchers.map((watcher) => watcher.done.catch(() => undefined)));
  });

  ctrIt("ctr events subscribes (all namespaces, and with filters)", async () => {
    watchers = [[], EVENTS_FILTERED.filters ?? []].map((filters) => {
      const child = spawnCtr(["events", ...filters]);
      return { child, ...collect(child) };
    });
    let ready = false;
    for (let n = 1; n <= 40 && !ready; n++) ready = await probe(String(n), 250);
    expect(ready, "ctr events never printed the probe events").toBe(true);
  });

  for (const step of EVENT_STEPS) {
    ctrIt(step.title, async () => {
      await check(step);
    });
  }

  ctrIt("ctr events printed the create/update/delete events", async () => {
    const all = await probe("end", 5_000);
    for (const watcher of watchers) watcher.child.kill("SIGTERM");
    ended = await Promise.all(watchers.map((watcher) => watcher.done));
    expect(all, "the final probe event did not reach every subscriber").toBe(true);
    const results = ended.map((result) => ({
      stdout: relevant(normalise(result.stdout)),
      stderr: normalise(result.stderr),
    }));
    if (recordFile) {
      recorded.events = {
        all: results[0],
        filtered: results[1],
        filters: EVENTS_FILTERED.filters,
        raw: ended.map((result) => normalise(result.stdout)),
      };
      return;
    }
    const expected = (e: EventsExpectation) => ({ stdout: e.stdout, stderr: e.stderr });
    expect(results[0], "ctr events").toEqual(expected(EVENTS_ALL));
    expect(results[1], `ctr events ${EVENTS_FILTERED.filters?.join(" ")}`).toEqual(expected(EVENTS_FILTERED));
  });
});

#!/usr/bin/env node
/**
 * `pnpm bench`: the same container-metadata workload against berthd, a real
 * containerd 1.6 and a no-op ceiling (Health/Check on berthd), each server a
 * child process driven from this process over one HTTP/2 connection.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BigStreamResult, runBigStream } from "./big-stream.js";
import {
  CONCURRENT_LISTS,
  type ConcurrentListsResult,
  LIST_CONTAINERS,
  runConcurrentLists,
} from "./concurrent-lists.js";
import { renderGatewayMarkdown, runGatewayBench } from "./gateway.js";
import { renderHistoryMarkdown, runHistoryBench } from "./history.js";
import { CLOCK_TICKS, waitForQuiet } from "./proc.js";
import { loadProfiles, type ProfileSummary, summarise } from "./profile.js";
import {
  type BenchReport,
  checkTargets,
  compare,
  fmtMs,
  fmtRate,
  fmtRatio,
  renderMarkdown,
  renderSvg,
} from "./report.js";
import { renderReadsMarkdown, runReadsBench } from "./scale.js";
import { BERTHD_MAIN, containerdVersion, startBerthd, startContainerd, type Target } from "./targets.js";
import { renderWebMarkdown, runWebBench } from "./web.js";
import {
  combineSlices,
  LISTING_PHASES,
  measureSlice,
  PHASE_LABELS,
  PHASES,
  type PhaseResult,
  type PhaseSpec,
  type SliceMeasurement,
  sliceRanges,
  warmUp,
} from "./workload.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const HELP = `pnpm bench [options]   (node packages/bench/dist/main.js [options])

Runs the same workload against berthd, a real containerd (when installed) and a
no-op ceiling (grpc.health.v1.Health/Check on berthd), one HTTP/2 connection each.

  --count N            containers per concurrency level (default 5000)
  --concurrency LIST   comma-separated concurrency levels (default 1,16,64)
  --listings N         most listings in flight in a List phase (default 20); each of its
                       slices holds max(4, min(concurrency, N)) listings
  --slices N           split every phase into N slices run alternately on berthd and
                       containerd; figures are medians over slices (default 5)
  --quiet-wait S       before each slice, wait up to 1.5 s for other processes on the
                       machine to go quiet, at most S seconds in all (default 30; 0: never)
  --reads N            Get reads every container N times (default 4: a Get slice of
                       1,000 calls lasted 0.1 s, too short to be steady)
  --ceiling N          Health/Check calls per concurrency level (default: as many as Get)
  --big N              ListStream of N containers on berthd only; 0 skips (default 100000)
  --big-concurrency N  concurrency of the big creates (default 64)
  --lists-memory       100 concurrent Lists of an 8.6 MB namespace on each target: RSS
                       before, peak and after (default on; --no-lists-memory skips)
  --quick              smoke run: --count 500 --big 0 --no-lists-memory (explicit options win)
  --berthd FILE        berthd's main.js (default: packages/server/dist/main.js of this
                       checkout), e.g. a build of another revision to compare
  --node-arg=ARG       pass ARG to berthd's node (repeatable),
                       e.g. --node-arg=--max-semi-space-size=64
  --containerd PATH    containerd binary (default /usr/bin/containerd)
  --no-containerd      measure berthd only
  --cpu-prof DIR       run berthd under node --cpu-prof, write profiles to DIR and
                       summarise them per phase in the report
  --gateway            instead: the same calls to one containerd directly and through
                       berthd in front of it (--containerd), alternating slices: Get,
                       List of 2,000, Content.Read of 256 MiB; writes <time>-gateway.{md,json}
  --history            instead: Create at concurrency 64 on a berthd keeping its event
                       history and one without (--event-retention-count 0), alternating
                       slices; then 1,000,000 events stored and replayed through
                       HistoryService.List; writes <time>-history.{md,json}
  --web                instead: the web app's container table in Chromium (Debian's
                       chromium, or CHROMIUM_PATH) with a namespace of each --web-sizes
                       size: first row, all rows, JS heap, DOM size, scroll frame
                       times, sort and quick search; writes <time>-web.{md,json}
  --web-sizes LIST     namespace sizes of --web (default 10000,100000)
  --scale N            instead: berthd and containerd each filled with N containers as ctr
                       writes them (2.4 KB spec, random ids); ListStream, indexed and
                       scanning Lists, id==X, the 16 MiB failure, Namespaces.List of 1,000,
                       restart to first Get, idle RSS, disk; writes <time>-reads.{md,json}
  --out DIR            results directory (default bench/results)
  --keep               keep the temporary directory of the servers
  -h, --help           this text
`;

/** Parsed command line. */
interface BenchOptions {
  readonly count: number;
  readonly concurrency: readonly number[];
  readonly listings: number;
  readonly slices: number;
  readonly quietBudgetMs: number;
  readonly ceiling: number;
  /** Gets per container. */
  readonly reads: number;
  readonly big: number;
  readonly bigConcurrency: number;
  readonly listsMemory: boolean;
  readonly berthdMain: string;
  readonly nodeArgs: readonly string[];
  readonly containerd: string;
  readonly useContainerd: boolean;
  readonly cpuProfileDir: string | undefined;
  readonly out: string;
  readonly keep: boolean;
  readonly gateway: boolean;
  readonly history: boolean;
  readonly web: boolean;
  readonly scale: number;
  readonly webSizes: readonly number[];
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      count: { type: "string" },
      concurrency: { type: "string" },
      listings: { type: "string" },
      slices: { type: "string" },
      "quiet-wait": { type: "string" },
      ceiling: { type: "string" },
      reads: { type: "string" },
      big: { type: "string" },
      "big-concurrency": { type: "string" },
      "lists-memory": { type: "boolean" },
      "no-lists-memory": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      berthd: { type: "string", default: BERTHD_MAIN },
      "node-arg": { type: "string", multiple: true, default: [] },
      containerd: { type: "string", default: "/usr/bin/containerd" },
      "no-containerd": { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      out: { type: "string", default: join(REPO_ROOT, "bench", "results") },
      keep: { type: "boolean", default: false },
      gateway: { type: "boolean", default: false },
      history: { type: "boolean", default: false },
      web: { type: "boolean", default: false },
      scale: { type: "string" },
      "web-sizes": { type: "string", default: "10000,100000" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const integer = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
    return Number(value);
  };
  const count = integer("count", values.count, values.quick ? 500 : 5000, 10);
  const reads = integer("reads", values.reads, 4, 1);
  const concurrency = (values.concurrency ?? "1,16,64").split(",").map((c) => integer("concurrency", c, 1, 1));
  return {
    count,
    concurrency: [...new Set(concurrency)],
    listings: integer("listings", values.listings, 20, 1),
    slices: integer("slices", values.slices, 5, 1),
    quietBudgetMs: integer("quiet-wait", values["quiet-wait"], 30, 0) * 1000,
    reads,
    ceiling: integer("ceiling", values.ceiling, count * reads, 1),
    big: integer("big", values.big, values.quick ? 0 : 100_000, 0),
    bigConcurrency: integer("big-concurrency", values["big-concurrency"], 64, 1),
    listsMemory: values["no-lists-memory"] ? false : (values["lists-memory"] ?? !values.quick),
    berthdMain: resolve(values.berthd),
    nodeArgs: values["node-arg"],
    containerd: values.containerd,
    useContainerd: !values["no-containerd"],
    cpuProfileDir: values["cpu-prof"],
    out: values.out,
    keep: values.keep,
    gateway: values.gateway,
    history: values.history,
    web: values.web,
    scale: values.scale === undefined ? 0 : integer("scale", values.scale, 0, 1000),
    webSizes: values["web-sizes"].split(",").map((size) => integer("web-sizes", size, 0, 1)),
  };
}

const started = performance.now();

/**
 * Listings in one slice of a List phase: enough to keep the concurrency (up to
 * `inFlight`) busy, and at least 4, so that every phase has all its slices and
 * its figures are medians, as for the other phases.
 */
export function listingsPerSlice(concurrency: number, inFlight: number): number {
  return Math.max(4, Math.min(concurrency, inFlight));
}

/** Longest wait for a quiet machine before one slice. */
const QUIET_WAIT_MS = 1500;

function log(message: string): void {
  const at = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${at}s] ${message}\n`);
}

function describeResult(r: PhaseResult): string {
  const errors = r.errors > 0 ? `  ERRORS ${r.errors}: ${r.firstError}` : "";
  return (
    `${r.target.padEnd(10)} ${PHASE_LABELS[r.phase].padEnd(24)} c=${String(r.concurrency).padEnd(3)} ` +
    `${fmtRate(r.reqPerSec).padStart(7)} req/s  p50 ${fmtMs(r.p50Ms).padStart(6)} ms  p99 ${fmtMs(r.p99Ms).padStart(6)} ms  ` +
    `server CPU ${r.serverCpuSeconds.toFixed(2)} s  peak RSS ${(r.serverPeakRssBytes / 2 ** 20).toFixed(0)} MiB${errors}`
  );
}

/** Revision of the checkout that holds `file` (berthd's main.js). */
function gitRevision(file: string): string | undefined {
  try {
    return execFileSync("git", ["-C", dirname(file), "describe", "--always", "--dirty"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

function commandLine(): string {
  const args = process.argv.slice(2).join(" ");
  if (process.env.npm_lifecycle_event === "bench") return `pnpm bench${args === "" ? "" : ` ${args}`}`;
  return `node packages/bench/dist/main.js${args === "" ? "" : ` ${args}`}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.gateway) return gatewayMain(options);
  if (options.history) return historyMain(options);
  if (options.web) return webMain(options);
  if (options.scale > 0) return scaleMain(options);
  const startedAt = new Date();
  const loadBefore = os.loadavg()[0] ?? 0;
  const work = await mkdtemp(join(os.tmpdir(), "berth-bench-"));
  // Interrupted runs leave no databases behind either (the servers are killed by then or just after).
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  if (!options.keep) process.once("exit", removeWork);
  const berthdRoot = join(work, "berthd", "data");
  const berthdSocket = join(work, "berthd", "berth.sock");
  if (options.cpuProfileDir !== undefined) await mkdir(options.cpuProfileDir, { recursive: true });
  const startOurBerthd = () =>
    startBerthd({
      main: options.berthdMain,
      root: berthdRoot,
      socket: berthdSocket,
      cpuProfileDir: options.cpuProfileDir,
      nodeArgs: options.nodeArgs,
    });

  const version = containerdVersion(options.containerd);
  let containerdNote: string;
  if (!options.useContainerd) containerdNote = "skipped (--no-containerd)";
  else if (version === undefined) containerdNote = `${options.containerd} is not installed`;
  else containerdNote = version;

  const results: PhaseResult[] = [];
  let big: BigStreamResult | undefined;
  const concurrentLists: ConcurrentListsResult[] = [];
  let quietWaitedMs = 0;
  let berthd: Target | undefined;
  let containerd: Target | undefined;
  try {
    berthd = await startOurBerthd();
    log(`berthd pid ${berthd.pid} on ${berthdSocket}`);
    if (options.useContainerd && version !== undefined) {
      containerd = await startContainerd({ binary: options.containerd, dir: join(work, "containerd") });
      log(`containerd pid ${containerd.pid} on ${containerd.socket} (${version})`);
    } else {
      log(`containerd not measured: ${containerdNote}`);
    }
    const targets = containerd === undefined ? [berthd] : [berthd, containerd];
    let quietBudgetMs = options.quietBudgetMs;
    for (const target of targets) await warmUp(target, 200);
    log("warmed up");

    for (const [levelIndex, concurrency] of options.concurrency.entries()) {
      const namespace = `bench-c${concurrency}`;
      for (const [phaseIndex, phase] of PHASES.entries()) {
        const listing = LISTING_PHASES.has(phase);
        const spec: PhaseSpec = {
          phase,
          concurrency,
          namespace,
          requests:
            phase === "health"
              ? options.ceiling
              : listing
                ? options.slices * listingsPerSlice(concurrency, options.listings)
                : phase === "get"
                  ? options.count * options.reads
                  : options.count,
          present: phase === "create" ? 0 : options.count,
        };
        const measured = new Map<Target, SliceMeasurement[]>(targets.map((target) => [target, []]));
        for (const [sliceIndex, [from, to]] of sliceRanges(spec.requests, options.slices).entries()) {
          if (quietBudgetMs > 0) {
            const waited = await waitForQuiet(
              targets.map((target) => target.pid),
              Math.min(QUIET_WAIT_MS, quietBudgetMs),
            );
            quietBudgetMs -= waited;
            quietWaitedMs += waited;
          }
          // Alternate which server goes first, so that drift and bursts on the machine hit both alike.
          const first = (levelIndex + phaseIndex + sliceIndex) % 2 === 0;
          for (const target of first ? targets : [...targets].reverse()) {
            measured.get(target)?.push(await measureSlice(target, spec, from, to));
          }
        }
        for (const target of targets) {
          const result = combineSlices(target.name, spec, measured.get(target) ?? []);
          results.push(result);
          log(describeResult(result));
        }
      }
    }

    if (options.listsMemory) {
      for (const target of targets) {
        log(`${CONCURRENT_LISTS} concurrent Lists of ${LIST_CONTAINERS} containers on ${target.name}`);
        const result = await runConcurrentLists(target);
        concurrentLists.push(result);
        log(
          `${target.name}: ${result.lists} Lists of ${(result.answerBytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(1)} s, ${result.failures} failed; RSS ${(result.rssBeforeBytes / 2 ** 20).toFixed(0)} → peak ${(result.peakRssBytes / 2 ** 20).toFixed(0)} → after ${(result.rssAfterBytes / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }

    if (options.big > 0) {
      log(`ListStream of ${options.big} on berthd: creating them at concurrency ${options.bigConcurrency}`);
      const outcome = await runBigStream(berthd, options.big, options.bigConcurrency, async () => {
        await berthd?.stop();
        berthd = await startOurBerthd();
        log(`berthd restarted, pid ${berthd.pid}`);
        return berthd;
      });
      big = outcome.result;
      results.push(big.create);
      log(describeResult(big.create));
      for (const [label, s] of [
        ["creating process", big.inPlace],
        ["restarted process", big.fresh],
      ] as const) {
        log(
          `ListStream ${big.containers} (${label}): ${s.seconds.toFixed(2)} s, RSS ${(s.rssBeforeBytes / 2 ** 20).toFixed(1)} → peak ${(s.peakRssBytes / 2 ** 20).toFixed(1)} MiB, growth ${(s.growthBytes / 2 ** 20).toFixed(1)} MiB`,
        );
      }
    }
  } finally {
    await Promise.all([berthd?.stop(), containerd?.stop()]);
    if (options.keep) log(`kept ${work}`);
    else {
      await rm(work, { recursive: true, force: true });
      process.off("exit", removeWork);
    }
  }

  const profiles: { title: string; summary: ProfileSummary }[] = [];
  if (options.cpuProfileDir !== undefined) {
    const loaded = loadProfiles(options.cpuProfileDir);
    const top = Math.max(...options.concurrency);
    const windows = results.filter(
      (r) =>
        r.target === "berthd" &&
        !r.namespace.startsWith("bench-big") &&
        (r.concurrency === top || (r.phase === "create" && r.concurrency === Math.min(...options.concurrency))),
    );
    for (const r of windows) {
      profiles.push({
        title: `${PHASE_LABELS[r.phase]} at concurrency ${r.concurrency}`,
        summary: summarise(
          loaded,
          r.slices.map((slice) => [slice.monotonicStartUs, slice.monotonicEndUs] as const),
        ),
      });
    }
    if (big !== undefined) {
      profiles.push({
        title: `ListStream of ${big.containers} (restarted process)`,
        summary: summarise(loaded, [[big.fresh.monotonicStartUs, big.fresh.monotonicEndUs]]),
      });
    }
  }

  const comparisons = compare(results, options.concurrency);
  const report: BenchReport = {
    meta: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: commandLine(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memoryGiB: os.totalmem() / 2 ** 30,
      loadAverage: [loadBefore, os.loadavg()[0] ?? 0],
      clockTicks: CLOCK_TICKS,
      berthdMain: options.berthdMain,
      berthdNodeArgs: options.nodeArgs,
      gitRevision: gitRevision(options.berthdMain),
      containerd: containerdNote,
      containerdMeasured: containerd !== undefined,
      count: options.count,
      concurrency: options.concurrency,
      listings: options.listings,
      slices: options.slices,
      quietWaitSeconds: quietWaitedMs / 1000,
      ceilingRequests: options.ceiling,
      reads: options.reads,
      big: options.big,
    },
    results,
    comparisons,
    big,
    concurrentLists,
    targets: checkTargets(comparisons, big, options.count),
    profiles,
  };
  const markdown = renderMarkdown(report);
  const svg = renderSvg(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  await mkdir(options.out, { recursive: true });
  await Promise.all([
    writeFile(join(options.out, `${stamp}.json`), json),
    writeFile(join(options.out, `${stamp}.md`), markdown),
    writeFile(join(options.out, "latest.json"), json),
    writeFile(join(options.out, "latest.md"), markdown),
    writeFile(join(options.out, "latest.svg"), svg),
  ]);
  process.stdout.write(`${markdown}\n`);
  log(
    `wrote ${join(options.out, `${stamp}.{json,md}`)}, latest.{json,md,svg}; ` +
      `targets met: ${report.targets.filter((t) => t.met === true).length}/${report.targets.length}` +
      (containerd === undefined
        ? ""
        : `; Create c=64 ratio ${fmtRatio(comparisons.find((c) => c.phase === "create" && c.concurrency === 64)?.reqPerSecRatio)}`),
  );
  const failed = results.some((r) => r.errors > 0);
  process.exit(failed ? 1 : 0);
}

/** `--gateway`: forwarding's cost, measured against containerd in one run. */
async function gatewayMain(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const work = await mkdtemp(join(os.tmpdir(), "berth-bench-gateway-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once("exit", removeWork);
  const result = await runGatewayBench({
    containerd: options.containerd,
    berthdMain: options.berthdMain,
    work,
    slices: options.slices,
    containers: GATEWAY_LIST_CONTAINERS,
    gets: 4000,
    lists: 8,
    contentMiB: 256,
    log,
  });
  const markdown = renderGatewayMarkdown(result, { command: commandLine(), startedAt: startedAt.toISOString() });
  await writeReport(options.out, startedAt, "gateway", result, markdown);
}

/** `--history`: the event history's cost on Create, and its replay speed. */
async function historyMain(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const work = await mkdtemp(join(os.tmpdir(), "berth-bench-history-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once("exit", removeWork);
  const result = await runHistoryBench({
    berthdMain: options.berthdMain,
    work,
    slices: options.slices,
    creates: options.count,
    replayEvents: 1_000_000,
    log,
  });
  await writeReport(
    options.out,
    startedAt,
    "history",
    result,
    renderHistoryMarkdown(result, { command: commandLine(), startedAt: startedAt.toISOString() }),
  );
}

/** `--web`: the web app's table with a big namespace, in Chromium. */
async function webMain(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const work = await mkdtemp(join(os.tmpdir(), "berth-bench-web-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once("exit", removeWork);
  const result = await runWebBench({
    berthdMain: options.berthdMain,
    work,
    sizes: [...options.webSizes].sort((a, b) => a - b),
    loads: 3,
    port: 18_000 + (process.pid % 1000),
    chromium: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    log,
  });
  const markdown = renderWebMarkdown(result, { command: commandLine(), startedAt: startedAt.toISOString() });
  await writeReport(options.out, startedAt, "web", result, markdown);
  removeWork();
}

/** `--scale N`: the reads of a big namespace, berthd against containerd at N containers. */
async function scaleMain(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const work = await mkdtemp(join(os.tmpdir(), "berth-bench-reads-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.once("exit", removeWork);
  const result = await runReadsBench({
    berthdMain: options.berthdMain,
    containerd: options.containerd,
    work,
    containers: options.scale,
    repeats: 5,
    cpuProfileDir: options.cpuProfileDir,
    log,
  });
  const markdown = renderReadsMarkdown(result, { command: commandLine(), startedAt: startedAt.toISOString() });
  await writeReport(options.out, startedAt, `scale-${options.scale}`, result, markdown);
  removeWork();
}

/** Writes `<time>-<name>.{json,md}` and prints the Markdown. */
async function writeReport(out: string, startedAt: Date, name: string, result: unknown, markdown: string) {
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
  await mkdir(out, { recursive: true });
  await Promise.all([
    writeFile(join(out, `${stamp}-${name}.json`), `${JSON.stringify(result, null, 2)}\n`),
    writeFile(join(out, `${stamp}-${name}.md`), markdown),
  ]);
  process.stdout.write(`${markdown}\n`);
  log(`wrote ${join(out, `${stamp}-${name}.{json,md}`)}`);
}

/** Containers listed by the gateway bench's List. */
const GATEWAY_LIST_CONTAINERS = 2000;

process.once("SIGINT", () => process.exit(130));
process.once("SIGTERM", () => process.exit(143));

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * `pnpm bench --gateway`: what forwarding through berthd costs. The same calls
 * go to one real containerd directly and through berthd in front of it
 * (`--containerd`), in alternating slices of one run: unary Get, List of
 * 2,000 containers, and Content.Read of a 256 MiB blob. Figures are medians
 * over slices; ratios are forwarded ÷ direct.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { ReadContentRequestSchema } from "@berth/gen/containerd/services/content/v1/content_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { rssBytes, sampleRss } from "./proc.js";
import { startBerthd, startContainerd, type Target } from "./targets.js";
import { measureSlice, median, type PhaseName, type PhaseSpec, warmUp } from "./workload.js";

/** Options of {@link runGatewayBench}. */
export interface GatewayBenchOptions {
  readonly containerd: string;
  readonly berthdMain: string;
  /** Empty directory for both servers and the blob. */
  readonly work: string;
  readonly slices: number;
  /** Containers in the listed namespace (and the Gets' working set). */
  readonly containers: number;
  /** Gets per slice. */
  readonly gets: number;
  /** Lists per slice. */
  readonly lists: number;
  readonly contentMiB: number;
  readonly log: (message: string) => void;
}

/** One call measured both ways. */
export interface GatewayRow {
  readonly call: string;
  readonly unit: string;
  /** Median over slices. */
  readonly direct: number;
  readonly forwarded: number;
  /** forwarded ÷ direct. */
  readonly ratio: number;
  /** The lowest acceptable ratio. */
  readonly goal: number;
  readonly directP50Ms?: number;
  readonly forwardedP50Ms?: number;
  /** berthd's RSS before the forwarded slices and the most seen during them. */
  readonly berthdRssBeforeMiB: number;
  readonly berthdPeakRssMiB: number;
}

/** The whole gateway run. */
export interface GatewayBenchResult {
  readonly containerd: string;
  readonly rows: readonly GatewayRow[];
}

const NAMESPACE = "bench-gateway";
const CONTENT_READ = "/containerd.services.content.v1.Content/Read";
const MIB = 2 ** 20;

/** Runs the comparison; both servers are stopped before it returns. */
export async function runGatewayBench(options: GatewayBenchOptions): Promise<GatewayBenchResult> {
  const { log } = options;
  const containerd = await startContainerd({ binary: options.containerd, dir: join(options.work, "containerd") });
  let berthd: Target | undefined;
  try {
    berthd = await startBerthd({
      main: options.berthdMain,
      root: join(options.work, "berthd"),
      socket: join(options.work, "berthd.sock"),
      extraArgs: ["--containerd", containerd.socket],
    });
    const forwarded = berthd;
    const direct = containerd;
    log(`containerd pid ${direct.pid}; berthd pid ${forwarded.pid} in front of it`);
    await warmUp(direct, 200);
    const created = await measureSlice(
      direct,
      { phase: "create", concurrency: 16, namespace: NAMESPACE, requests: options.containers, present: 0 },
      0,
      options.containers,
    );
    if (created.slice.errors > 0) throw new Error(`creating the containers: ${created.firstError}`);
    log(`${options.containers} containers in ${NAMESPACE}`);
    // Unmeasured: both paths run warm code before the first slice.
    for (const target of [direct, forwarded]) {
      const warm = { namespace: NAMESPACE, present: options.containers, requests: 0 };
      await measureSlice(target, { ...warm, phase: "get", concurrency: 16 }, 0, 2000);
      await measureSlice(target, { ...warm, phase: "list", concurrency: 2 }, 0, 4);
    }

    const rows: GatewayRow[] = [];
    const phase = async (call: string, name: PhaseName, concurrency: number, perSlice: number, goal: number) => {
      const spec: PhaseSpec = {
        phase: name,
        concurrency,
        namespace: NAMESPACE,
        requests: perSlice * options.slices,
        present: options.containers,
      };
      const rates = { direct: [] as number[], forwarded: [] as number[] };
      const p50 = { direct: [] as number[], forwarded: [] as number[] };
      const rssBefore = rssBytes(forwarded.pid);
      let peak = rssBefore;
      for (let slice = 0; slice < options.slices; slice++) {
        const order = slice % 2 === 0 ? (["direct", "forwarded"] as const) : (["forwarded", "direct"] as const);
        for (const side of order) {
          const target = side === "direct" ? direct : forwarded;
          const measured = await measureSlice(target, spec, slice * perSlice, (slice + 1) * perSlice);
          if (measured.slice.errors > 0) throw new Error(`${call} ${side}: ${measured.firstError}`);
          rates[side].push(measured.slice.reqPerSec);
          p50[side].push(measured.slice.p50Ms);
          if (side === "forwarded") peak = Math.max(peak, measured.slice.serverPeakRssBytes);
        }
      }
      const row: GatewayRow = {
        call,
        unit: "calls/s",
        direct: median(rates.direct),
        forwarded: median(rates.forwarded),
        ratio: median(rates.forwarded) / median(rates.direct),
        goal,
        directP50Ms: median(p50.direct),
        forwardedP50Ms: median(p50.forwarded),
        berthdRssBeforeMiB: rssBefore / MIB,
        berthdPeakRssMiB: peak / MIB,
      };
      rows.push(row);
      log(describe(row));
    };
    await phase("Containers.Get (concurrency 1)", "get", 1, options.gets / 4, 0.8);
    await phase("Containers.Get (concurrency 16)", "get", 16, options.gets, 0.8);
    await phase(`Containers.List of ${options.containers} (concurrency 4)`, "list", 4, options.lists, 0.8);

    const digest = await ingestBlob(containerd.socket, options.work, options.contentMiB);
    const read = toBinary(ReadContentRequestSchema, create(ReadContentRequestSchema, { digest }));
    const rates = { direct: [] as number[], forwarded: [] as number[] };
    const rssBefore = rssBytes(forwarded.pid);
    let peak = rssBefore;
    for (let slice = 0; slice < options.slices; slice++) {
      const order = slice % 2 === 0 ? (["direct", "forwarded"] as const) : (["forwarded", "direct"] as const);
      for (const side of order) {
        const target = side === "direct" ? direct : forwarded;
        const sampler = sampleRss(forwarded.pid, 25);
        const started = performance.now();
        let bytes = 0;
        await target.wire.stream(CONTENT_READ, NAMESPACE, read, (message) => {
          bytes += message.length;
        });
        const seconds = (performance.now() - started) / 1000;
        const sampled = sampler.stop();
        if (side === "forwarded") peak = Math.max(peak, sampled);
        if (bytes < options.contentMiB * MIB) throw new Error(`Content.Read ${side}: only ${bytes} bytes`);
        rates[side].push(bytes / MIB / seconds);
      }
    }
    const row: GatewayRow = {
      call: `Content.Read of ${options.contentMiB} MiB`,
      unit: "MiB/s",
      direct: median(rates.direct),
      forwarded: median(rates.forwarded),
      ratio: median(rates.forwarded) / median(rates.direct),
      goal: 0.9,
      berthdRssBeforeMiB: rssBefore / MIB,
      berthdPeakRssMiB: peak / MIB,
    };
    rows.push(row);
    log(describe(row));
    return { containerd: execFileSync(options.containerd, ["--version"], { encoding: "utf8" }).trim(), rows };
  } finally {
    await Promise.all([berthd?.stop(), containerd.stop()]);
  }
}

/** Writes a blob of `mib` MiB and ingests it into containerd with ctr; its digest. */
async function ingestBlob(socket: string, work: string, mib: number): Promise<string> {
  const path = join(work, "blob");
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(MIB);
  for (let i = 0; i < mib; i++) {
    chunk.fill(i % 251);
    chunk.writeUInt32BE(i, 0);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  const digest = `sha256:${hash.digest("hex")}`;
  execFileSync(
    "sh",
    [
      "-c",
      `ctr --address "$1" -n ${NAMESPACE} content ingest --expected-size ${mib * MIB} --expected-digest ${digest} blob < "$2"`,
      "sh",
      socket,
      path,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return digest;
}

function describe(row: GatewayRow): string {
  const latency =
    row.directP50Ms === undefined ? "" : `  p50 ${row.directP50Ms.toFixed(2)} → ${row.forwardedP50Ms?.toFixed(2)} ms`;
  return (
    `${row.call}: direct ${row.direct.toFixed(0)} ${row.unit}, through berthd ${row.forwarded.toFixed(0)} ${row.unit}, ` +
    `ratio ${row.ratio.toFixed(2)} (goal ≥ ${row.goal})${latency}; berthd RSS ${row.berthdRssBeforeMiB.toFixed(0)} → peak ${row.berthdPeakRssMiB.toFixed(0)} MiB`
  );
}

/** The result as a Markdown report. */
export function renderGatewayMarkdown(
  result: GatewayBenchResult,
  meta: { command: string; startedAt: string },
): string {
  const lines = [
    "# Gateway bench: containerd direct vs through berthd",
    "",
    `${meta.startedAt} · \`${meta.command}\` · ${result.containerd}`,
    "",
    "Medians over alternating slices in one run; ratio = through berthd ÷ direct.",
    "",
    "| call | direct | through berthd | ratio | goal | p50 direct → berthd | berthd RSS before → peak |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of result.rows) {
    const latency =
      row.directP50Ms === undefined ? "" : `${row.directP50Ms.toFixed(2)} → ${row.forwardedP50Ms?.toFixed(2)} ms`;
    lines.push(
      `| ${row.call} | ${row.direct.toFixed(0)} ${row.unit} | ${row.forwarded.toFixed(0)} ${row.unit} | ${row.ratio.toFixed(2)} ${row.ratio >= row.goal ? "✓" : "✗"} | ≥ ${row.goal} | ${latency} | ${row.berthdRssBeforeMiB.toFixed(0)} → ${row.berthdPeakRssMiB.toFixed(0)} MiB |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

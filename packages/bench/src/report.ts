/**
 * Turns measurements into the report: comparisons, the issue's targets, a
 * Markdown page and an SVG bar chart.
 */
import type { BigStreamResult } from "./big-stream.js";
import type { ConcurrentListsResult } from "./concurrent-lists.js";
import { type ProfileSummary, renderProfileSummary } from "./profile.js";
import type { TargetName } from "./targets.js";
import { LISTING_PHASES, PHASE_LABELS, PHASES, type PhaseName, type PhaseResult } from "./workload.js";

/** How the run was made. */
export interface RunMeta {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  /** 1-minute load average before and after the run. */
  readonly loadAverage: readonly [number, number];
  readonly clockTicks: number;
  /** The berthd that was measured, and the revision of its checkout. */
  readonly berthdMain: string;
  /** Extra options of berthd's node. */
  readonly berthdNodeArgs: readonly string[];
  readonly gitRevision: string | undefined;
  /** `containerd --version`, or why containerd was not measured. */
  readonly containerd: string;
  readonly containerdMeasured: boolean;
  readonly count: number;
  readonly concurrency: readonly number[];
  readonly listings: number;
  readonly slices: number;
  /** Time spent waiting for the machine to go quiet before slices. */
  readonly quietWaitSeconds: number;
  readonly ceilingRequests: number;
  /** Gets per container. */
  readonly reads: number;
  readonly big: number;
}

/** One phase at one concurrency, both targets side by side. */
export interface Comparison {
  readonly phase: PhaseName;
  readonly concurrency: number;
  readonly berthd: PhaseResult | undefined;
  readonly containerd: PhaseResult | undefined;
  /** berthd's Health/Check req/s at this concurrency. */
  readonly ceilingReqPerSec: number | undefined;
  /** berthd / containerd. */
  readonly reqPerSecRatio: number | undefined;
  readonly p50Ratio: number | undefined;
  readonly p99Ratio: number | undefined;
}

/** One of the issue's performance targets, evaluated on this run. */
export interface TargetCheck {
  readonly goal: string;
  readonly measured: string;
  /** The ratio (or MiB for memory) the goal is about. */
  readonly value: number | undefined;
  readonly threshold: string;
  /** undefined: could not be evaluated (e.g. no containerd). */
  readonly met: boolean | undefined;
}

/** Everything written to `bench/results`. */
export interface BenchReport {
  readonly meta: RunMeta;
  readonly results: readonly PhaseResult[];
  readonly comparisons: readonly Comparison[];
  readonly big: BigStreamResult | undefined;
  /** 100 concurrent Lists of 8.6 MB per target, when run. */
  readonly concurrentLists: readonly ConcurrentListsResult[];
  readonly targets: readonly TargetCheck[];
  /** berthd CPU profile per phase, when run with `--cpu-prof`. */
  readonly profiles: readonly { readonly title: string; readonly summary: ProfileSummary }[];
}

const MIB = 1024 * 1024;

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? undefined : a / b;

/** Pairs the results of both targets per phase and concurrency. */
export function compare(results: readonly PhaseResult[], concurrency: readonly number[]): Comparison[] {
  const find = (phase: PhaseName, target: TargetName, c: number) =>
    results.find(
      (r) => r.phase === phase && r.target === target && r.concurrency === c && !r.namespace.startsWith("bench-big"),
    );
  const comparisons: Comparison[] = [];
  for (const c of concurrency) {
    const ceiling = find("health", "berthd", c)?.reqPerSec;
    for (const phase of PHASES) {
      const berthd = find(phase, "berthd", c);
      const containerd = find(phase, "containerd", c);
      if (berthd === undefined && containerd === undefined) continue;
      comparisons.push({
        phase,
        concurrency: c,
        berthd,
        containerd,
        ceilingReqPerSec: ceiling,
        reqPerSecRatio: ratio(berthd?.reqPerSec, containerd?.reqPerSec),
        p50Ratio: ratio(berthd?.p50Ms, containerd?.p50Ms),
        p99Ratio: ratio(berthd?.p99Ms, containerd?.p99Ms),
      });
    }
  }
  return comparisons;
}

/** The issue's targets, as ratios of this run. */
export function checkTargets(
  comparisons: readonly Comparison[],
  big: BigStreamResult | undefined,
  count: number,
): TargetCheck[] {
  const at = (phase: PhaseName, c: number) => comparisons.find((x) => x.phase === phase && x.concurrency === c);
  const checks: TargetCheck[] = [];
  const create64 = at("create", 64);
  checks.push({
    goal: "Create at concurrency 64: req/s ≥ 1.5 × containerd",
    measured: describe(create64?.berthd?.reqPerSec, create64?.containerd?.reqPerSec, "req/s"),
    value: create64?.reqPerSecRatio,
    threshold: "≥ 1.50×",
    met: create64?.reqPerSecRatio === undefined ? undefined : create64.reqPerSecRatio >= 1.5,
  });
  checks.push({
    goal: "Create at concurrency 64: p99 ≤ containerd's",
    measured: describe(create64?.berthd?.p99Ms, create64?.containerd?.p99Ms, "ms"),
    value: create64?.p99Ratio,
    threshold: "≤ 1.00×",
    met: create64?.p99Ratio === undefined ? undefined : create64.p99Ratio <= 1,
  });
  const create1 = at("create", 1);
  checks.push({
    goal: "Create at concurrency 1: p50 ≤ containerd's",
    measured: describe(create1?.berthd?.p50Ms, create1?.containerd?.p50Ms, "ms"),
    value: create1?.p50Ratio,
    threshold: "≤ 1.00×",
    met: create1?.p50Ratio === undefined ? undefined : create1.p50Ratio <= 1,
  });
  for (const phase of ["get", "list", "list-stream"] as const) {
    for (const c of [...new Set(comparisons.map((x) => x.concurrency))]) {
      const row = at(phase, c);
      if (row === undefined) continue;
      checks.push({
        goal: `${PHASE_LABELS[phase]}${phase === "get" ? "" : ` of ${count.toLocaleString("en-US")}`} at concurrency ${c}: req/s ≥ containerd's`,
        measured: describe(row.berthd?.reqPerSec, row.containerd?.reqPerSec, "req/s"),
        value: row.reqPerSecRatio,
        threshold: "≥ 1.00×",
        met: row.reqPerSecRatio === undefined ? undefined : row.reqPerSecRatio >= 1,
      });
    }
  }
  if (big !== undefined) {
    const growth = Math.max(big.inPlace.growthBytes, big.fresh.growthBytes) / MIB;
    checks.push({
      goal: `ListStream of ${big.containers.toLocaleString("en-US")}: berthd RSS growth < 64 MiB`,
      measured: `${fmtMiB(big.inPlace.growthBytes)} MiB in the creating process, ${fmtMiB(big.fresh.growthBytes)} MiB after a restart (the larger counts)`,
      value: growth,
      threshold: "< 64 MiB",
      met: growth < 64,
    });
  }
  return checks;
}

function describe(berthd: number | undefined, containerd: number | undefined, unit: string): string {
  const value = (v: number | undefined) => (v === undefined ? "–" : unit === "ms" ? fmtMs(v) : fmtRate(v));
  return `berthd ${value(berthd)} ${unit}, containerd ${value(containerd)} ${unit}`;
}

/** Requests per second: thousands separators above 100, one decimal below. */
export function fmtRate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

/** Milliseconds with precision that suits their size. */
export function fmtMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A ratio as `1.23×`. */
export function fmtRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;
}

function fmtMiB(bytes: number | undefined): string {
  return bytes === undefined ? "–" : (bytes / MIB).toFixed(1);
}

function fmtPercent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? "–" : `${Math.round(value * 100)}%`;
}

/** Share of a core that other processes used during a phase, above which it is flagged as noisy. */
const NOISY_CORES = 0.25;

function otherCpu(r: PhaseResult | undefined): string {
  if (r === undefined) return "–";
  return `${r.otherCpuSeconds.toFixed(2)}${r.otherCpuSeconds / r.seconds > NOISY_CORES ? " ⚠" : ""}`;
}

function concurrencyLabel(x: Comparison): string {
  const inFlight = x.berthd?.inFlight ?? x.containerd?.inFlight ?? x.concurrency;
  return inFlight < x.concurrency ? `${x.concurrency} (≤${inFlight})` : String(x.concurrency);
}

function pair(a: string, b: string): string {
  return `${a} / ${b}`;
}

/** The Markdown page of a run. */
export function renderMarkdown(report: BenchReport): string {
  const { meta } = report;
  const lines: string[] = [];
  const table = (header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 2) => {
    lines.push(`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i < leftColumns ? "---" : "---:")).join("|")}|`);
    for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
    lines.push("");
  };
  lines.push(`# berthd vs containerd — ${meta.startedAt}`, "");
  lines.push(`- command: \`${meta.command}\``);
  lines.push(
    `- machine: ${meta.cpus} × ${meta.cpuModel}, ${meta.memoryGiB.toFixed(1)} GiB; Node ${meta.node}; load average ${meta.loadAverage[0].toFixed(2)} before, ${meta.loadAverage[1].toFixed(2)} after`,
  );
  lines.push(
    `- berthd: \`${meta.berthdNodeArgs.length === 0 ? "" : `node ${meta.berthdNodeArgs.join(" ")} `}${meta.berthdMain}\` at revision ${meta.gitRevision ?? "unknown"}; containerd: ${meta.containerd}`,
  );
  lines.push(
    `- workload: ${meta.count.toLocaleString("en-US")} containers per concurrency level (namespace \`bench-c<k>\`), concurrency ${meta.concurrency.join(", ")}; Get reads every container ${meta.reads} times; List phases keep at most ${meta.listings} listings in flight (each slice holds max(4, min(concurrency, ${meta.listings})) listings); ceiling = ${meta.ceilingRequests.toLocaleString("en-US")} \`grpc.health.v1.Health/Check\` calls per server and level`,
  );
  lines.push(
    `- every phase runs as ${meta.slices} slices alternating between berthd and containerd (ABBA…); req/s, p50 and p99 are medians over the slices, CPU and time are sums; before each slice the bench waited (${meta.quietWaitSeconds.toFixed(0)} s in all) for other processes on the machine to go quiet`,
  );
  lines.push(
    "- one HTTP/2 connection (gRPC over a unix socket) per server, from a separate load-generator process with a minimal gRPC client on `node:http2` (requests encoded with the generated messages, answers checked on the wire; about 0.05–0.1 ms of CPU per call, so the servers set the pace); latency is send → last byte; for List phases one request is a whole listing, and the bench counts its containers without decoding them",
    "- server CPU from /proc/<pid>/stat; peak RSS = largest VmRSS polled every 50 ms; client CPU = the bench process; other CPU = the rest of the machine during the phase (noise from other processes)",
    "",
  );
  lines.push("");
  if (!meta.containerdMeasured) lines.push(`**containerd was not measured:** ${meta.containerd}.`, "");

  lines.push("## Throughput and latency (berthd / containerd)", "");
  table(
    [
      "phase",
      "conc.",
      "berthd req/s",
      "containerd req/s",
      "req/s ratio",
      "p50 ms",
      "p50 ratio",
      "p99 ms",
      "p99 ratio",
      "% of ceiling",
    ],
    report.comparisons
      .filter((x) => x.phase !== "health")
      .map((x) => [
        PHASE_LABELS[x.phase],
        concurrencyLabel(x),
        fmtRate(x.berthd?.reqPerSec),
        fmtRate(x.containerd?.reqPerSec),
        fmtRatio(x.reqPerSecRatio),
        pair(fmtMs(x.berthd?.p50Ms), fmtMs(x.containerd?.p50Ms)),
        fmtRatio(x.p50Ratio),
        pair(fmtMs(x.berthd?.p99Ms), fmtMs(x.containerd?.p99Ms)),
        fmtRatio(x.p99Ratio),
        pair(
          fmtPercent(ratio(x.berthd?.reqPerSec, x.ceilingReqPerSec)),
          fmtPercent(ratio(x.containerd?.reqPerSec, x.ceilingReqPerSec)),
        ),
      ]),
  );

  lines.push("## Resources (berthd / containerd)", "");
  const perRequest = (r: PhaseResult | undefined, cpu: number | undefined) =>
    r === undefined || cpu === undefined || r.requests === 0 ? undefined : (cpu * 1000) / r.requests;
  table(
    [
      "phase",
      "conc.",
      "seconds",
      "server CPU s",
      "server CPU ms/req",
      "client CPU ms/req",
      "server peak RSS MiB",
      "other CPU s",
      "containers/s (listings)",
      "errors",
    ],
    report.comparisons.map((x) => [
      PHASE_LABELS[x.phase],
      concurrencyLabel(x),
      pair(x.berthd?.seconds.toFixed(1) ?? "–", x.containerd?.seconds.toFixed(1) ?? "–"),
      pair(x.berthd?.serverCpuSeconds.toFixed(2) ?? "–", x.containerd?.serverCpuSeconds.toFixed(2) ?? "–"),
      pair(
        fmtMs(perRequest(x.berthd, x.berthd?.serverCpuSeconds)),
        fmtMs(perRequest(x.containerd, x.containerd?.serverCpuSeconds)),
      ),
      pair(
        fmtMs(perRequest(x.berthd, x.berthd?.clientCpuSeconds)),
        fmtMs(perRequest(x.containerd, x.containerd?.clientCpuSeconds)),
      ),
      pair(fmtMiB(x.berthd?.serverPeakRssBytes), fmtMiB(x.containerd?.serverPeakRssBytes)),
      pair(otherCpu(x.berthd), otherCpu(x.containerd)),
      LISTING_PHASES.has(x.phase) ? pair(fmtRate(x.berthd?.itemsPerSec), fmtRate(x.containerd?.itemsPerSec)) : "",
      pair(String(x.berthd?.errors ?? "–"), String(x.containerd?.errors ?? "–")),
    ]),
  );
  lines.push(
    `Other CPU: CPU time the rest of the machine used during the phase; ⚠ marks more than ${NOISY_CORES} of a core on average (a shared machine; medians over slices damp it). "conc. 64 (≤20)": at most 20 listings in flight.`,
    "",
  );
  const failures = report.results.filter((r) => r.errors > 0);
  for (const r of failures) {
    lines.push(`- ${r.target} ${r.phase} c=${r.concurrency}: ${r.errors} errors, first: ${r.firstError}`);
  }
  if (failures.length > 0) lines.push("");

  if (report.big !== undefined) {
    const { big } = report;
    lines.push(`## ListStream of ${big.containers.toLocaleString("en-US")} containers (berthd only)`, "");
    lines.push(
      `Created at concurrency ${big.create.concurrency}: ${fmtRate(big.create.reqPerSec)} req/s, p50 ${fmtMs(big.create.p50Ms)} ms, p99 ${fmtMs(big.create.p99Ms)} ms, ${big.create.seconds.toFixed(1)} s, peak RSS ${fmtMiB(big.create.serverPeakRssBytes)} MiB.`,
      "",
    );
    table(
      [
        "streamed by the berthd…",
        "seconds",
        "containers/s",
        "server CPU s",
        "RSS before MiB",
        "peak RSS MiB",
        "growth MiB",
      ],
      (
        [
          ["that created them", big.inPlace],
          ["restarted on the same root", big.fresh],
        ] as const
      ).map(([label, s]) => [
        label,
        s.seconds.toFixed(2),
        fmtRate(s.containersPerSec),
        s.serverCpuSeconds.toFixed(2),
        fmtMiB(s.rssBeforeBytes),
        fmtMiB(s.peakRssBytes),
        fmtMiB(s.growthBytes),
      ]),
      1,
    );
  }

  if (report.concurrentLists.length > 0) {
    const [first] = report.concurrentLists;
    lines.push(
      `## ${first?.lists} concurrent Lists of ${((first?.answerBytes ?? 0) / 1e6).toFixed(1)} MB (${first?.containers.toLocaleString("en-US")} containers)`,
      "",
    );
    table(
      ["server", "seconds", "failed", "RSS before MiB", "peak RSS MiB", "RSS 3 s after MiB"],
      report.concurrentLists.map((r) => [
        r.target,
        r.seconds.toFixed(1),
        String(r.failures),
        fmtMiB(r.rssBeforeBytes),
        fmtMiB(r.peakRssBytes),
        fmtMiB(r.rssAfterBytes),
      ]),
      1,
    );
  }

  lines.push("## Targets", "");
  table(
    ["target", "measured", "value", "needed", "met"],
    report.targets.map((t) => [
      t.goal,
      t.measured,
      t.threshold.includes("MiB") ? `${t.value?.toFixed(1) ?? "–"} MiB` : fmtRatio(t.value),
      t.threshold,
      t.met === undefined ? "n/a" : t.met ? "yes" : "**no**",
    ]),
  );
  if (report.profiles.length > 0) {
    lines.push("## berthd CPU profile per phase (`node --cpu-prof`)", "");
    for (const { title, summary } of report.profiles) lines.push(renderProfileSummary(title, summary));
  }
  return lines.join("\n");
}

const COLORS: Record<string, string> = { berthd: "#2f6fb3", containerd: "#e08a1e", ceiling: "#9a9a9a" };

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);
}

/**
 * Grouped bars of req/s per phase at the highest concurrency measured (64 by
 * default): berthd, containerd and berthd's no-op ceiling, on a log scale since
 * listings run at a hundredth of the rate of point calls.
 */
export function renderSvg(report: BenchReport): string {
  const concurrency = Math.max(...report.meta.concurrency);
  const rows = report.comparisons.filter((x) => x.concurrency === concurrency && x.phase !== "health");
  const series = ["berthd", "containerd", "ceiling"] as const;
  const seriesValue = (x: Comparison, s: (typeof series)[number]) =>
    s === "berthd" ? x.berthd?.reqPerSec : s === "containerd" ? x.containerd?.reqPerSec : x.ceilingReqPerSec;
  const values = rows.flatMap((x) => series.map((s) => seriesValue(x, s))).filter((v): v is number => v !== undefined);
  const low = 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1))));
  const high = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
  const width = 960;
  const height = 460;
  const left = 70;
  const right = 20;
  const top = 60;
  const bottom = 90;
  const plotH = height - top - bottom;
  const plotW = width - left - right;
  const y = (v: number) => top + plotH - ((Math.log10(v) - Math.log10(low)) / Math.log10(high / low)) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">req/s per phase at concurrency ${concurrency}, ${report.meta.count.toLocaleString("en-US")} containers (log scale)</text>`,
    `<text x="${left}" y="42" fill="#555">one HTTP/2 connection per server; ceiling = grpc.health.v1.Health/Check on berthd; ${escapeXml(report.meta.startedAt)}</text>`,
  );
  for (let tick = low; tick <= high; tick *= 10) {
    const ty = y(tick).toFixed(1);
    out.push(
      `<line x1="${left}" y1="${ty}" x2="${width - right}" y2="${ty}" stroke="#dddddd"/>`,
      `<text x="${left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${tick >= 1 ? tick.toLocaleString("en-US") : tick}</text>`,
    );
  }
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${width - right}" y2="${top + plotH}" stroke="#333"/>`);
  const group = plotW / Math.max(1, rows.length);
  const bar = Math.min(34, (group * 0.8) / series.length);
  rows.forEach((x, i) => {
    const x0 = left + i * group + (group - bar * series.length) / 2;
    series.forEach((s, j) => {
      const v = seriesValue(x, s);
      if (v === undefined || v <= 0) return;
      const by = y(Math.max(v, low));
      const bx = x0 + j * bar;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(top + plotH - by).toFixed(1)}" fill="${COLORS[s]}"><title>${s} ${escapeXml(PHASE_LABELS[x.phase])}: ${fmtRate(v)} req/s</title></rect>`,
        `<text x="${(bx + bar / 2 - 1).toFixed(1)}" y="${(by - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmtRate(v)}</text>`,
      );
    });
    const label = PHASE_LABELS[x.phase];
    const cx = (left + i * group + group / 2).toFixed(1);
    const [first, ...rest] = label.split(" ");
    out.push(`<text x="${cx}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(first ?? "")}</text>`);
    if (rest.length > 0) {
      out.push(
        `<text x="${cx}" y="${top + plotH + 33}" text-anchor="middle" fill="#555">${escapeXml(rest.join(" "))}</text>`,
      );
    }
    if (x.reqPerSecRatio !== undefined) {
      out.push(
        `<text x="${cx}" y="${top + plotH + 52}" text-anchor="middle" font-weight="bold">${fmtRatio(x.reqPerSecRatio)}</text>`,
      );
    }
  });
  out.push(`<text x="${left}" y="${height - 12}" fill="#555">bold: berthd req/s ÷ containerd req/s</text>`);
  series.forEach((s, j) => {
    const lx = width - right - 330 + j * 110;
    out.push(
      `<rect x="${lx}" y="${height - 24}" width="12" height="12" fill="${COLORS[s]}"/>`,
      `<text x="${lx + 16}" y="${height - 13}">${s}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}

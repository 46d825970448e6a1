/**
 * Summarises V8 CPU profiles (`node --cpu-prof`) of berthd: self and total time
 * per function and self time per package or source file, optionally for one time
 * window. V8 stamps samples with CLOCK_MONOTONIC microseconds, the clock of
 * `process.hrtime`, so windows recorded by the bench process line up with them.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface RawProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A loaded profile: each sample's node and timestamp, and each node's parent. */
export interface LoadedProfile {
  readonly file: string;
  readonly nodes: ReadonlyMap<number, ProfileNode>;
  readonly parents: ReadonlyMap<number, number>;
  /** Sample node ids. */
  readonly samples: Int32Array;
  /** Sample timestamps, µs of CLOCK_MONOTONIC. */
  readonly times: Float64Array;
}

/** One line of a summary. */
export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  /** Share of the non-idle time of the window. */
  readonly percent: number;
}

/** What the server did during a window. */
export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Functions by self time. */
  readonly self: readonly ProfileEntry[];
  /** berthd's own functions (packages/server) by total (inclusive) time. */
  readonly serverTotal: readonly ProfileEntry[];
  /** Self time per package, Node module or berthd source file. */
  readonly groups: readonly ProfileEntry[];
}

/** Loads every `*.cpuprofile` in a directory. */
export function loadProfiles(dir: string): LoadedProfile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".cpuprofile"))
    .sort()
    .map((name) => loadProfile(join(dir, name)));
}

/** Loads one profile. */
export function loadProfile(file: string): LoadedProfile {
  const raw = JSON.parse(readFileSync(file, "utf8")) as RawProfile;
  const nodes = new Map<number, ProfileNode>();
  const parents = new Map<number, number>();
  for (const node of raw.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const samples = Int32Array.from(raw.samples);
  const times = new Float64Array(samples.length);
  let t = raw.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += raw.timeDeltas[i] ?? 0;
    times[i] = t;
  }
  return { file, nodes, parents, samples, times };
}

const META = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/** Where a frame's code lives: a package, a Node module, a berthd source file, or a V8 bucket. */
export function frameGroup(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return META.has(functionName) ? functionName : "(native)";
  if (url.startsWith("node:")) return url.split("/").slice(0, 3).join("/");
  const server = /\/packages\/server\/dist\/(.*)\.js$/.exec(url);
  if (server !== null) return `packages/server/src/${server[1]}.ts`;
  if (url.includes("/gen/dist/")) return "@berth/gen";
  const pkg = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg !== null) return pkg[1] ?? url;
  return url.slice(url.lastIndexOf("/") + 1);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Per generated line: [generated column, original line] pairs, from a source map's VLQ mappings. */
function decodeMappings(mappings: string): [number, number][][] {
  const lines: [number, number][][] = [];
  let sourceLine = 0;
  for (const line of mappings.split(";")) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (segment === "") continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
          continue;
        }
        fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
        value = 0;
        shift = 0;
      }
      column += fields[0] ?? 0;
      if (fields.length >= 4) {
        sourceLine += fields[2] ?? 0;
        segments.push([column, sourceLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

const sourceMaps = new Map<string, [number, number][][] | undefined>();

/** The 1-based line in the TypeScript source of a frame in packages/server/dist, via its source map. */
function sourceLine(frame: CallFrame): number {
  let mapped = sourceMaps.get(frame.url);
  if (!sourceMaps.has(frame.url)) {
    try {
      const file = `${fileURLToPath(frame.url)}.map`;
      mapped = existsSync(file)
        ? decodeMappings((JSON.parse(readFileSync(file, "utf8")) as { mappings: string }).mappings)
        : undefined;
    } catch {
      mapped = undefined;
    }
    sourceMaps.set(frame.url, mapped);
  }
  const segments = mapped?.[frame.lineNumber];
  if (segments === undefined || segments.length === 0) return frame.lineNumber + 1;
  let best = segments[0];
  for (const segment of segments) if (segment[0] <= frame.columnNumber) best = segment;
  return (best?.[1] ?? frame.lineNumber) + 1;
}

function frameName(frame: CallFrame): string {
  const group = frameGroup(frame);
  if (frame.url === "") return group === "(native)" ? `${frame.functionName} (native)` : group;
  const line = group.startsWith("packages/server/") ? sourceLine(frame) : frame.lineNumber + 1;
  return `${frame.functionName || "(anonymous)"} — ${group}:${line}`;
}

/** A time window [from, to), µs of CLOCK_MONOTONIC. */
export type Window = readonly [fromUs: number, toUs: number];

/** Summarises the samples of `profiles` whose timestamps fall in any of `windows` (all samples when none given). */
export function summarise(
  profiles: readonly LoadedProfile[],
  windows: readonly Window[] = [],
  top = 15,
): ProfileSummary {
  const inWindow = (time: number) =>
    windows.length === 0 || windows.some(([fromUs, toUs]) => time >= fromUs && time < toUs);
  const self = new Map<string, number>();
  const groups = new Map<string, number>();
  const serverTotal = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const profile of profiles) {
    const { samples, times, nodes, parents } = profile;
    for (let i = 0; i < samples.length; i++) {
      const time = times[i] ?? 0;
      if (!inWindow(time)) continue;
      // A sample's weight is the gap to the next one (V8's own convention for self time).
      const next = times[i + 1];
      const ms = next === undefined ? 0 : (next - time) / 1000;
      const node = nodes.get(samples[i] ?? -1);
      if (node === undefined) continue;
      if (node.callFrame.functionName === "(idle)") {
        idle += ms;
        continue;
      }
      busy += ms;
      add(self, frameName(node.callFrame), ms);
      add(groups, frameGroup(node.callFrame), ms);
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parents.get(id)) {
        const frame = nodes.get(id)?.callFrame;
        if (frame === undefined || !frameGroup(frame).startsWith("packages/server/")) continue;
        const name = frameName(frame);
        if (seen.has(name)) continue;
        seen.add(name);
        add(serverTotal, name, ms);
      }
    }
  }
  const entries = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, percent: busy === 0 ? 0 : (ms / busy) * 100 }));
  return {
    busyMs: busy,
    idleMs: idle,
    self: entries(self),
    serverTotal: entries(serverTotal),
    groups: entries(groups),
  };
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

/** The summary as Markdown. */
export function renderProfileSummary(title: string, summary: ProfileSummary): string {
  const rows = (entries: readonly ProfileEntry[]) =>
    entries.map((e) => `| ${e.name.replace(/\|/g, "\\|")} | ${e.ms.toFixed(0)} | ${e.percent.toFixed(1)}% |`);
  return [
    `### ${title}`,
    "",
    `busy ${(summary.busyMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(2)} s`,
    "",
    "| self time: package / module / file | ms | % of busy |",
    "|---|---:|---:|",
    ...rows(summary.groups),
    "",
    "| self time: function | ms | % of busy |",
    "|---|---:|---:|",
    ...rows(summary.self),
    "",
    "| total time: berthd function (packages/server) | ms | % of busy |",
    "|---|---:|---:|",
    ...rows(summary.serverTotal),
    "",
  ].join("\n");
}

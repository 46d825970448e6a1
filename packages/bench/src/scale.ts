/**
 * `pnpm bench --scale N`: the reads of issue 20, side by side with containerd.
 * berthd and containerd are each filled with N containers as `ctr` writes them
 * (a 2.4 KB OCI spec, CRI-style random 64-hex ids, a label `grp` with 100
 * values and an image out of 50), then each read is timed on both in
 * alternation: ListStream of all, List with `labels.grp==g7` (1 %), with
 * `image==…` (2 %), with `id==X`, an unfiltered unary List (which must fail at
 * the 16 MiB limit), and Namespaces.List with 1,000 namespaces. Last, each
 * server is restarted: start → first successful Get, idle RSS, disk.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  CreateContainerRequestSchema,
  GetContainerRequestSchema,
  ListContainersRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { CreateNamespaceRequestSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { runLoad } from "./load.js";
import { rssBytes } from "./proc.js";
import { startBerthd, startContainerd, type Target, type TargetName } from "./targets.js";
import { countRepeatedField1, field1, WireError } from "./wire-client.js";
import { median, RUNTIME, SPEC_TYPE_URL } from "./workload.js";

const CONTAINERS = "/containerd.services.containers.v1.Containers";
const NAMESPACE = "reads";
const encoder = new TextEncoder();

/** Options of {@link runReadsBench}. */
export interface ReadsBenchOptions {
  readonly berthdMain: string;
  readonly containerd: string;
  readonly work: string;
  readonly containers: number;
  /** Timed runs of each read on each server. */
  readonly repeats: number;
  /** Write berthd's V8 CPU profiles here (`--cpu-prof DIR`). */
  readonly cpuProfileDir?: string | undefined;
  readonly log: (message: string) => void;
}

/** One read on both servers: median ms, and berthd ÷ containerd. */
export interface ReadResult {
  readonly read: string;
  readonly berthdMs: number;
  readonly containerdMs: number;
  readonly ratio: number;
}

/** The run's figures. */
export interface ReadsBenchResult {
  readonly containers: number;
  readonly fillSeconds: Record<TargetName, number>;
  readonly reads: readonly ReadResult[];
  readonly startToFirstGetMs: Record<TargetName, number>;
  readonly idleRssMiB: Record<TargetName, number>;
  readonly diskMiB: Record<TargetName, number>;
}

/** A seeded 64-hex id, as CRI names containers. */
function criIds(count: number): string[] {
  let state = 0x9e3779b9;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 8 }, () => next().toString(16).padStart(8, "0")).join(""),
  );
}

/** An OCI spec shaped as ctr's default one (about 2.4 KB). */
function specOf(id: string): Uint8Array {
  const caps = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
  ];
  const mount = (destination: string, type: string, options: string[]) => ({
    destination,
    type,
    source: type,
    options,
  });
  return encoder.encode(
    JSON.stringify({
      ociVersion: "1.0.2-dev",
      process: {
        user: { uid: 0, gid: 0 },
        args: ["sh"],
        env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        cwd: "/",
        capabilities: { bounding: caps, effective: caps, permitted: caps },
        rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
        noNewPrivileges: true,
      },
      root: { path: "rootfs" },
      mounts: [
        mount("/proc", "proc", ["nosuid", "noexec", "nodev"]),
        mount("/dev", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        mount("/dev/pts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        mount("/dev/shm", "tmpfs", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        mount("/dev/mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
        mount("/sys", "sysfs", ["nosuid", "noexec", "nodev", "ro"]),
        mount("/run", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
      ],
      linux: {
        resources: { devices: [{ allow: false, access: "rwm" }] },
        cgroupsPath: `/${NAMESPACE}/${id}`,
        namespaces: ["pid", "ipc", "uts", "mount", "network"].map((type) => ({ type })),
        maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list"],
        readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
      },
    }),
  );
}

const listRequest = (filters: string[]) =>
  toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, { filters }));

/** Runs the whole comparison; the servers are stopped before it returns. */
export async function runReadsBench(options: ReadsBenchOptions): Promise<ReadsBenchResult> {
  const { log, containers } = options;
  const ids = criIds(containers);
  const roots = { berthd: join(options.work, "berthd"), containerd: join(options.work, "containerd") };
  const start = (name: TargetName): Promise<Target> =>
    name === "berthd"
      ? startBerthd({
          main: options.berthdMain,
          root: roots.berthd,
          socket: join(options.work, "berthd.sock"),
          cpuProfileDir: options.cpuProfileDir,
          // Its connection idles while containerd is filled (half an hour at 1M): no GOAWAY meanwhile.
          extraArgs: ["--idle-timeout", "24h"],
        })
      : startContainerd({ binary: options.containerd, dir: roots.containerd });
  const targets: Record<TargetName, Target> = { berthd: await start("berthd"), containerd: await start("containerd") };
  try {
    const fillSeconds = { berthd: 0, containerd: 0 };
    for (const name of ["berthd", "containerd"] as const) {
      log(`reads: filling ${name} with ${containers.toLocaleString("en")} containers`);
      const began = performance.now();
      await runLoad(containers, 64, async (index) => {
        const id = ids[index] as string;
        const request = create(CreateContainerRequestSchema, {
          container: {
            id,
            labels: { grp: `g${index % 100}`, "io.cri-containerd.kind": "container" },
            image: `docker.io/library/img-${index % 50}:1`,
            runtime: { name: RUNTIME },
            spec: { typeUrl: SPEC_TYPE_URL, value: specOf(id) },
          },
        });
        await targets[name].wire.unary(
          `${CONTAINERS}/Create`,
          NAMESPACE,
          toBinary(CreateContainerRequestSchema, request),
        );
        return 1;
      });
      fillSeconds[name] = (performance.now() - began) / 1000;
      for (let index = 0; index < 1000; index++) {
        const request = create(CreateNamespaceRequestSchema, {
          namespace: { name: `ns-${index}`, labels: { n: String(index) } },
        });
        await targets[name].wire.unary(
          "/containerd.services.namespaces.v1.Namespaces/Create",
          NAMESPACE,
          toBinary(CreateNamespaceRequestSchema, request),
        );
      }
    }
    const middle = ids[Math.floor(containers / 2)] as string;
    const reads: [string, (target: Target) => Promise<number>, number][] = [
      [
        "ListStream of all",
        async (target) => {
          let count = 0;
          await target.wire.stream(`${CONTAINERS}/ListStream`, NAMESPACE, listRequest([]), (message) => {
            if (field1(message) !== undefined) count++;
          });
          return count;
        },
        containers,
      ],
      [
        "List labels.grp==g7 (1 %)",
        async (target) =>
          countRepeatedField1(
            await target.wire.unary(`${CONTAINERS}/List`, NAMESPACE, listRequest(["labels.grp==g7"])),
          ),
        Math.floor(containers / 100) + (containers % 100 > 7 ? 1 : 0),
      ],
      [
        "List image==… (2 %)",
        async (target) =>
          countRepeatedField1(
            await target.wire.unary(`${CONTAINERS}/List`, NAMESPACE, listRequest(["image==docker.io/library/img-7:1"])),
          ),
        Math.floor(containers / 50) + (containers % 50 > 7 ? 1 : 0),
      ],
      [
        "List id==X",
        async (target) =>
          countRepeatedField1(await target.wire.unary(`${CONTAINERS}/List`, NAMESPACE, listRequest([`id==${middle}`]))),
        1,
      ],
      [
        "unary List of all (fails at 16 MiB)",
        async (target) => {
          try {
            await target.wire.unary(`${CONTAINERS}/List`, NAMESPACE, listRequest([]));
            return 0;
          } catch (error) {
            if (error instanceof WireError && error.code === 8) return -1;
            throw error;
          }
        },
        containers * 2400 > 16 * 1024 * 1024 ? -1 : 0,
      ],
      [
        "Namespaces.List (1,001 namespaces)",
        async (target) =>
          countRepeatedField1(
            await target.wire.unary("/containerd.services.namespaces.v1.Namespaces/List", NAMESPACE, new Uint8Array(0)),
          ),
        1001,
      ],
    ];
    const results: ReadResult[] = [];
    for (const [read, call, expected] of reads) {
      const times: Record<TargetName, number[]> = { berthd: [], containerd: [] };
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        for (const name of repeat % 2 === 0
          ? (["berthd", "containerd"] as const)
          : (["containerd", "berthd"] as const)) {
          const began = performance.now();
          const got = await call(targets[name]);
          times[name].push(performance.now() - began);
          if (expected !== 0 && got !== expected) throw new Error(`${read} on ${name}: ${got}, expected ${expected}`);
        }
      }
      const berthdMs = median(times.berthd);
      const containerdMs = median(times.containerd);
      results.push({ read, berthdMs, containerdMs, ratio: berthdMs / containerdMs });
      log(`reads: ${read}: berthd ${berthdMs.toFixed(1)} ms, containerd ${containerdMs.toFixed(1)} ms`);
    }
    const startToFirstGetMs = { berthd: 0, containerd: 0 };
    const idleRssMiB = { berthd: 0, containerd: 0 };
    for (const name of ["berthd", "containerd"] as const) {
      await targets[name].stop();
      const began = performance.now();
      targets[name] = await start(name);
      await targets[name].wire.unary(
        `${CONTAINERS}/Get`,
        NAMESPACE,
        toBinary(GetContainerRequestSchema, create(GetContainerRequestSchema, { id: middle })),
      );
      startToFirstGetMs[name] = performance.now() - began;
      await new Promise((resolve) => setTimeout(resolve, 2000));
      idleRssMiB[name] = rssBytes(targets[name].pid) / 2 ** 20;
    }
    const du = (path: string) => Number(execFileSync("du", ["-sk", path], { encoding: "utf8" }).split("\t")[0]) / 1024;
    return {
      containers,
      fillSeconds,
      reads: results,
      startToFirstGetMs,
      idleRssMiB,
      diskMiB: { berthd: du(roots.berthd), containerd: du(join(roots.containerd, "root")) },
    };
  } finally {
    await Promise.all([targets.berthd.stop(), targets.containerd.stop()]);
  }
}

/** The report's Markdown. */
export function renderReadsMarkdown(result: ReadsBenchResult, meta: { command: string; startedAt: string }): string {
  const ratio = (value: number) => `${value < 0.1 ? value.toPrecision(2) : value.toFixed(2)}×`;
  const lines = [
    `# Reads at ${result.containers.toLocaleString("en")} containers: berthd vs containerd`,
    "",
    `${meta.startedAt} · \`${meta.command}\` · Node ${process.version}`,
    "",
    "Containers as ctr writes them (2.4 KB OCI spec), CRI-style random ids. Medians of alternating runs;",
    "ratio is berthd's time ÷ containerd's (below 1: berthd is faster).",
    "",
    "| read | berthd | containerd | ratio |",
    "|---|---:|---:|---:|",
    ...result.reads.map(
      (read) =>
        `| ${read.read} | ${read.berthdMs.toFixed(1)} ms | ${read.containerdMs.toFixed(1)} ms | ${ratio(read.ratio)} |`,
    ),
    `| fill (Create at concurrency 64) | ${result.fillSeconds.berthd.toFixed(1)} s | ${result.fillSeconds.containerd.toFixed(1)} s | ${ratio(result.fillSeconds.berthd / result.fillSeconds.containerd)} |`,
    `| start → first Get | ${result.startToFirstGetMs.berthd.toFixed(0)} ms | ${result.startToFirstGetMs.containerd.toFixed(0)} ms | ${ratio(result.startToFirstGetMs.berthd / result.startToFirstGetMs.containerd)} |`,
    `| idle RSS after the restart | ${result.idleRssMiB.berthd.toFixed(0)} MiB | ${result.idleRssMiB.containerd.toFixed(0)} MiB | ${ratio(result.idleRssMiB.berthd / result.idleRssMiB.containerd)} |`,
    `| disk | ${result.diskMiB.berthd.toFixed(0)} MiB | ${result.diskMiB.containerd.toFixed(0)} MiB | ${ratio(result.diskMiB.berthd / result.diskMiB.containerd)} |`,
    "",
  ];
  return lines.join("\n");
}

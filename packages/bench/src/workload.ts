/**
 * The workload: what each phase sends, and how a phase is measured (client
 * latencies and throughput, the server's CPU time and peak RSS).
 */
import {
  CreateContainerRequestSchema,
  DeleteContainerRequestSchema,
  GetContainerRequestSchema,
  ListContainersRequestSchema,
  ListContainersResponseSchema,
  UpdateContainerRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Call, quantile, runLoad } from "./load.js";
import { cpuSeconds, machineBusySeconds, rssBytes, sampleRss } from "./proc.js";
import { HEALTH_CHECK, type Target, type TargetName } from "./targets.js";
import { countRepeatedField1, field1, type WireClient } from "./wire-client.js";

/** The phases, in the order they run at each concurrency. `health` is the no-op ceiling. */
export const PHASES = ["health", "create", "get", "list", "list-stream", "list-filtered", "update", "delete"] as const;

/** A phase of the workload. */
export type PhaseName = (typeof PHASES)[number];

/** How each phase reads in reports. */
export const PHASE_LABELS: Record<PhaseName, string> = {
  health: "Health/Check (ceiling)",
  create: "Create",
  get: "Get",
  list: "List",
  "list-stream": "ListStream",
  "list-filtered": "List labels.group==g7",
  update: "Update labels.stage",
  delete: "Delete",
};

/** Phases whose one request is a whole listing of the namespace. */
export const LISTING_PHASES: ReadonlySet<PhaseName> = new Set(["list", "list-stream", "list-filtered"]);

/** The runtime every bench container names. */
export const RUNTIME = "io.containerd.runc.v2";

/** containerd's type URL for an OCI runtime spec (bare, as the Go client packs it). */
export const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/** The label filter of `list-filtered`: one group in ten. */
export const GROUP_FILTER = "labels.group==g7";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Id of the i-th container: fixed width, so id order is creation order. */
export function containerId(index: number): string {
  return `bench-${String(index).padStart(6, "0")}`;
}

/** A minimal OCI runtime spec of about 200 bytes of JSON. */
export function specJson(index: number): string {
  return JSON.stringify({
    ociVersion: "1.0.2-dev",
    process: { user: { uid: 0, gid: 0 }, args: ["/bin/sh", "-c", "sleep 3600"], cwd: "/" },
    root: { path: "rootfs", readonly: true },
    hostname: containerId(index),
    linux: { namespaces: [{ type: "pid" }, { type: "mount" }] },
  });
}

/** How many of the first `count` containers `GROUP_FILTER` matches. */
export function groupMatches(count: number): number {
  return Math.floor(count / 10) + (count % 10 > 7 ? 1 : 0);
}

const SERVICE = "/containerd.services.containers.v1.Containers";

/**
 * The request of one phase against one namespace holding `present` bench
 * containers, over the target's one connection. Requests are encoded with the
 * generated messages; answers are checked on the wire without decoding whole
 * containers (see wire-client.ts).
 */
export function phaseCall(phase: PhaseName, target: Target, namespace: string, present: number): Call {
  const { wire } = target;
  const unary = (method: string, request: Uint8Array) => wire.unary(`${SERVICE}/${method}`, namespace, request);
  switch (phase) {
    case "health":
      return async () => {
        await wire.unary(HEALTH_CHECK, namespace, new Uint8Array(0));
        return 1;
      };
    case "create":
      return async (index) => {
        await unary("Create", createRequest(index));
        return 1;
      };
    case "get":
      return async (index) => {
        const id = containerId(index % present);
        const container = field1(
          await unary("Get", toBinary(GetContainerRequestSchema, create(GetContainerRequestSchema, { id }))),
        );
        const returned = container === undefined ? undefined : field1(container);
        if (returned === undefined || decoder.decode(returned) !== id)
          throw new Error("Get returned another container");
        return 1;
      };
    case "list":
      return async () => expectCount(present, countRepeatedField1(await unary("List", listRequest([]))));
    case "list-stream":
      return async () => expectCount(present, await streamCount(wire, namespace));
    case "list-filtered":
      return async () =>
        expectCount(groupMatches(present), countRepeatedField1(await unary("List", listRequest([GROUP_FILTER]))));
    case "update":
      return async (index) => {
        await unary("Update", updateRequest(containerId(index % present)));
        return 1;
      };
    case "delete":
      return async (index) => {
        await unary(
          "Delete",
          toBinary(DeleteContainerRequestSchema, create(DeleteContainerRequestSchema, { id: containerId(index) })),
        );
        return 1;
      };
  }
}

/** The Create request of the i-th bench container. */
function createRequest(index: number): Uint8Array {
  return toBinary(
    CreateContainerRequestSchema,
    create(CreateContainerRequestSchema, {
      container: {
        id: containerId(index),
        labels: { group: `g${index % 10}`, app: "bench", index: String(index) },
        image: "docker.io/library/busybox:1.36",
        runtime: { name: RUNTIME },
        spec: { typeUrl: SPEC_TYPE_URL, value: encoder.encode(specJson(index)) },
      },
    }),
  );
}

function updateRequest(id: string): Uint8Array {
  return toBinary(
    UpdateContainerRequestSchema,
    create(UpdateContainerRequestSchema, {
      container: { id, labels: { stage: "updated" } },
      updateMask: { paths: ["labels.stage"] },
    }),
  );
}

function listRequest(filters: string[]): Uint8Array {
  return toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, { filters }));
}

/** ListStream of the namespace: the number of containers received. */
export async function streamCount(wire: WireClient, namespace: string): Promise<number> {
  let received = 0;
  await wire.stream(`${SERVICE}/ListStream`, namespace, listRequest([]), (message) => {
    if (field1(message) !== undefined) received += 1;
  });
  return received;
}

function expectCount(expected: number, received: number): number {
  if (received !== expected) throw new Error(`listing returned ${received} containers, expected ${expected}`);
  return received;
}

/** One slice of a phase: a contiguous range of its requests, measured on its own. */
export interface SliceResult {
  /** Request indices [from, to). */
  readonly from: number;
  readonly to: number;
  readonly errors: number;
  readonly items: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** User + system CPU of the server process during the slice. */
  readonly serverCpuSeconds: number;
  /** CPU of the bench (client) process during the slice. */
  readonly clientCpuSeconds: number;
  /**
   * CPU used on the machine by anything but this server and the bench (the other
   * server idling, other users of a shared machine): a noise indicator.
   */
  readonly otherCpuSeconds: number;
  readonly serverRssBeforeBytes: number;
  /** Largest VmRSS seen while the slice ran (polled every 50 ms). */
  readonly serverPeakRssBytes: number;
  /** When the slice ran, µs of CLOCK_MONOTONIC (the clock of CPU profile samples). */
  readonly monotonicStartUs: number;
  readonly monotonicEndUs: number;
}

/** A measured slice with its raw latencies (kept out of the JSON report). */
export interface SliceMeasurement {
  readonly slice: SliceResult;
  readonly latenciesMs: Float64Array;
  readonly firstError: string | undefined;
}

/**
 * One phase on one target at one concurrency. Rates and latency percentiles are
 * medians over the slices (robust to a burst of noise on a shared machine); the
 * pooled figures are kept too.
 */
export interface PhaseResult {
  readonly phase: PhaseName;
  readonly target: TargetName;
  readonly concurrency: number;
  /** Most requests that could be in flight: the concurrency, or fewer when a slice has fewer requests. */
  readonly inFlight: number;
  readonly namespace: string;
  /** Requests sent (for listings: whole listings). */
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Containers returned (listings) or requests answered. */
  readonly items: number;
  /** Sum of the slices' wall-clock time. */
  readonly seconds: number;
  /** Median over slices of answered requests per second. */
  readonly reqPerSec: number;
  /** All answered requests over all the slices' time. */
  readonly pooledReqPerSec: number;
  readonly itemsPerSec: number;
  /** Median over slices of each slice's p50 / p99. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Percentiles of all latencies together. */
  readonly pooledP50Ms: number;
  readonly pooledP99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
  /** Sums over the slices. */
  readonly serverCpuSeconds: number;
  readonly clientCpuSeconds: number;
  readonly otherCpuSeconds: number;
  readonly serverRssBeforeBytes: number;
  /** Largest VmRSS seen in any slice. */
  readonly serverPeakRssBytes: number;
  readonly slices: readonly SliceResult[];
}

/** What a phase runs. */
export interface PhaseSpec {
  readonly phase: PhaseName;
  readonly concurrency: number;
  readonly namespace: string;
  readonly requests: number;
  /** Bench containers present in the namespace when the phase starts. */
  readonly present: number;
}

/** Runs requests [from, to) of a phase against a target and measures them. */
export async function measureSlice(
  target: Target,
  spec: PhaseSpec,
  from: number,
  to: number,
): Promise<SliceMeasurement> {
  const call = phaseCall(spec.phase, target, spec.namespace, spec.present);
  const rssBefore = rssBytes(target.pid);
  const sampler = sampleRss(target.pid);
  const cpuBefore = cpuSeconds(target.pid);
  const clientBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const monotonicStartUs = monotonicUs();
  const outcome = await runLoad(to - from, spec.concurrency, call, from);
  const monotonicEndUs = monotonicUs();
  const clientUsage = process.cpuUsage(clientBefore);
  const cpuAfter = cpuSeconds(target.pid);
  const machineAfter = machineBusySeconds();
  const peak = sampler.stop();
  const lat = outcome.latenciesMs;
  const server = cpuAfter - cpuBefore;
  const clientCpu = (clientUsage.user + clientUsage.system) / 1e6;
  return {
    slice: {
      from,
      to,
      errors: outcome.errors,
      items: outcome.items,
      seconds: outcome.seconds,
      reqPerSec: lat.length / outcome.seconds,
      p50Ms: quantile(lat, 0.5),
      p99Ms: quantile(lat, 0.99),
      serverCpuSeconds: server,
      clientCpuSeconds: clientCpu,
      otherCpuSeconds: Math.max(0, machineAfter - machineBefore - server - clientCpu),
      serverRssBeforeBytes: rssBefore,
      serverPeakRssBytes: peak,
      monotonicStartUs,
      monotonicEndUs,
    },
    latenciesMs: lat,
    firstError: outcome.firstError,
  };
}

/** The median of some numbers (NaN when there are none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Combines the slices of one phase on one target. */
export function combineSlices(target: TargetName, spec: PhaseSpec, measured: readonly SliceMeasurement[]): PhaseResult {
  const slices = measured.map((m) => m.slice);
  const pooled = new Float64Array(measured.reduce((n, m) => n + m.latenciesMs.length, 0));
  let offset = 0;
  for (const m of measured) {
    pooled.set(m.latenciesMs, offset);
    offset += m.latenciesMs.length;
  }
  pooled.sort();
  const sum = (pick: (s: SliceResult) => number) => slices.reduce((total, s) => total + pick(s), 0);
  const seconds = sum((s) => s.seconds);
  const firstError = measured.find((m) => m.firstError !== undefined)?.firstError;
  return {
    phase: spec.phase,
    target,
    concurrency: spec.concurrency,
    inFlight: Math.min(spec.concurrency, ...slices.map((s) => s.to - s.from)),
    namespace: spec.namespace,
    requests: spec.requests,
    errors: sum((s) => s.errors),
    ...(firstError === undefined ? {} : { firstError }),
    items: sum((s) => s.items),
    seconds,
    reqPerSec: median(slices.map((s) => s.reqPerSec)),
    pooledReqPerSec: pooled.length / seconds,
    itemsPerSec: sum((s) => s.items) / seconds,
    p50Ms: median(slices.map((s) => s.p50Ms)),
    p99Ms: median(slices.map((s) => s.p99Ms)),
    pooledP50Ms: quantile(pooled, 0.5),
    pooledP99Ms: quantile(pooled, 0.99),
    meanMs: pooled.length === 0 ? Number.NaN : pooled.reduce((total, v) => total + v, 0) / pooled.length,
    maxMs: pooled.length === 0 ? Number.NaN : (pooled[pooled.length - 1] ?? Number.NaN),
    serverCpuSeconds: sum((s) => s.serverCpuSeconds),
    clientCpuSeconds: sum((s) => s.clientCpuSeconds),
    otherCpuSeconds: sum((s) => s.otherCpuSeconds),
    serverRssBeforeBytes: slices[0]?.serverRssBeforeBytes ?? 0,
    serverPeakRssBytes: Math.max(0, ...slices.map((s) => s.serverPeakRssBytes)),
    slices,
  };
}

/** Request ranges of `count` requests split into `slices` nearly equal parts. */
export function sliceRanges(count: number, slices: number): [number, number][] {
  const parts = Math.max(1, Math.min(slices, count));
  return Array.from({ length: parts }, (_, i) => [
    Math.floor((count * i) / parts),
    Math.floor((count * (i + 1)) / parts),
  ]);
}

/** Runs a whole phase on one target, slice after slice. */
export async function measurePhase(target: Target, spec: PhaseSpec, slices = 1): Promise<PhaseResult> {
  const measured: SliceMeasurement[] = [];
  for (const [from, to] of sliceRanges(spec.requests, slices)) {
    measured.push(await measureSlice(target, spec, from, to));
  }
  return combineSlices(target.name, spec, measured);
}

/** Now, in µs of CLOCK_MONOTONIC. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Unmeasured traffic of every kind, so both servers and this client run warm code. */
export async function warmUp(target: Target, count: number): Promise<void> {
  const namespace = "bench-warmup";
  const run = (phase: PhaseName, requests: number, concurrency: number) =>
    runLoad(requests, concurrency, phaseCall(phase, target, namespace, count)).then((outcome) => {
      if (outcome.errors > 0) throw new Error(`warm-up ${phase} on ${target.name}: ${outcome.firstError}`);
    });
  await run("health", count, 16);
  await run("create", count, 16);
  await run("get", count, 16);
  await run("list", 5, 2);
  await run("list-stream", 5, 2);
  await run("list-filtered", 5, 2);
  // The listings above count undecoded containers: check once that they decode to what they count.
  const listing = await target.wire.unary(`${SERVICE}/List`, namespace, listRequest([GROUP_FILTER]));
  const { containers } = fromBinary(ListContainersResponseSchema, listing);
  if (
    containers.length !== groupMatches(count) ||
    containers.some((c) => c.labels.group !== "g7" || c.spec === undefined)
  ) {
    throw new Error(`warm-up on ${target.name}: List returned unexpected containers`);
  }
  await run("update", count, 16);
  await run("delete", count, 16);
}

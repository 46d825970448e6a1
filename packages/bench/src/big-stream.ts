/**
 * ListStream of a very large namespace on berthd: does streaming keep memory
 * flat? Measured twice: in the process that just created the containers, and in
 * a freshly restarted process on the same database (no garbage left by the creates).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { cpuSeconds, rssBytes, sampleRss } from "./proc.js";
import type { Target } from "./targets.js";
import { measurePhase, monotonicUs, type PhaseResult, phaseCall, streamCount } from "./workload.js";

/** Namespace of the large listing. */
export const BIG_NAMESPACE = "bench-big";

/** Memory and time of one ListStream of the whole namespace. */
export interface StreamMemory {
  readonly received: number;
  readonly seconds: number;
  readonly containersPerSec: number;
  readonly serverCpuSeconds: number;
  /** VmRSS just before the stream. */
  readonly rssBeforeBytes: number;
  /** Largest VmRSS while streaming (polled every 50 ms). */
  readonly peakRssBytes: number;
  /** Peak minus before. */
  readonly growthBytes: number;
  /** When the stream ran, µs of CLOCK_MONOTONIC. */
  readonly monotonicStartUs: number;
  readonly monotonicEndUs: number;
}

/** The large-listing measurement. */
export interface BigStreamResult {
  readonly containers: number;
  /** Creating them, at the given concurrency. */
  readonly create: PhaseResult;
  /** Streamed by the berthd that created them. */
  readonly inPlace: StreamMemory;
  /** Streamed by a berthd restarted on the same root, after a small warm-up. */
  readonly fresh: StreamMemory;
}

/**
 * Creates `count` containers in {@link BIG_NAMESPACE}, streams them, restarts
 * berthd with `restart` and streams them again. Returns the restarted target too.
 */
export async function runBigStream(
  target: Target,
  count: number,
  concurrency: number,
  restart: () => Promise<Target>,
): Promise<{ result: BigStreamResult; target: Target }> {
  const create = await measurePhase(
    target,
    { phase: "create", concurrency, namespace: BIG_NAMESPACE, requests: count, present: 0 },
    10,
  );
  if (create.errors > 0) throw new Error(`creating ${count} containers failed: ${create.firstError}`);
  await sleep(1000);
  const inPlace = await streamOnce(target, count);
  const restarted = await restart();
  // Warm the code paths with small calls before measuring, so that the baseline is a serving process.
  const get = phaseCall("get", restarted, BIG_NAMESPACE, count);
  for (let i = 0; i < 50; i++) await get(i);
  await streamCount(restarted.wire, "bench-big-empty");
  await sleep(1000);
  const fresh = await streamOnce(restarted, count);
  return { result: { containers: count, create, inPlace, fresh }, target: restarted };
}

async function streamOnce(target: Target, expected: number): Promise<StreamMemory> {
  const rssBefore = rssBytes(target.pid);
  const sampler = sampleRss(target.pid);
  const cpuBefore = cpuSeconds(target.pid);
  const started = performance.now();
  const monotonicStartUs = monotonicUs();
  const received = await streamCount(target.wire, BIG_NAMESPACE);
  const monotonicEndUs = monotonicUs();
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(target.pid) - cpuBefore;
  const peak = sampler.stop();
  if (received !== expected) throw new Error(`ListStream returned ${received} containers, expected ${expected}`);
  return {
    received,
    seconds,
    containersPerSec: received / seconds,
    serverCpuSeconds: cpu,
    rssBeforeBytes: rssBefore,
    peakRssBytes: peak,
    growthBytes: peak - rssBefore,
    monotonicStartUs,
    monotonicEndUs,
  };
}

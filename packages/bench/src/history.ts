/**
 * `pnpm bench --history`: what the durable event history costs and how fast it
 * replays. Two berthds run side by side, one keeping the history (the default)
 * and one with `--event-retention-count 0`; Create at concurrency 64 goes to
 * both in alternating slices of one run. Then one berthd is filled with
 * 1,000,000 events (Events.Publish) and read back whole through
 * `berth.events.v1.HistoryService/List`, 10,000 a page.
 */
import { join } from "node:path";
import { ListRequestSchema, ListResponseSchema } from "@berth/gen/berth/events/v1/history_pb.js";
import { PublishRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { runLoad } from "./load.js";
import { rssBytes } from "./proc.js";
import { startBerthd, type Target } from "./targets.js";
import { measureSlice, median, type PhaseSpec, warmUp } from "./workload.js";

/** Options of {@link runHistoryBench}. */
export interface HistoryBenchOptions {
  readonly berthdMain: string;
  /** Empty directory for the servers' roots. */
  readonly work: string;
  readonly slices: number;
  /** Creates per slice. */
  readonly creates: number;
  /** Events stored and replayed. */
  readonly replayEvents: number;
  readonly log: (message: string) => void;
}

/** The run's figures. */
export interface HistoryBenchResult {
  /** Create at concurrency 64, median req/s over slices. */
  readonly createWithHistory: number;
  readonly createWithoutHistory: number;
  /** with ÷ without: the goal is ≥ 0.95 (at most 5 % slower). */
  readonly ratio: number;
  /** berthd's CPU per Create (median over slices): steadier than throughput on a shared machine. */
  readonly cpuMicrosPerCreate: { readonly withHistory: number; readonly withoutHistory: number };
  readonly replay: {
    readonly events: number;
    readonly publishSeconds: number;
    readonly listSeconds: number;
    readonly eventsPerSecond: number;
    readonly berthdPeakRssMiB: number;
  };
}

const HISTORY_SUBSCRIBE_FREE = "/berth.events.v1.HistoryService/List";
const PUBLISH = "/containerd.services.events.v1.Events/Publish";
const PAGE = 10_000;

/** Runs both measurements; the servers are stopped before it returns. */
export async function runHistoryBench(options: HistoryBenchOptions): Promise<HistoryBenchResult> {
  const { log } = options;
  const start = (name: string, extraArgs: string[] = []) =>
    startBerthd({
      main: options.berthdMain,
      root: join(options.work, name),
      socket: join(options.work, `${name}.sock`),
      extraArgs,
    });
  let withHistory: Target | undefined;
  let withoutHistory: Target | undefined;
  try {
    withHistory = await start("with-history");
    withoutHistory = await start("without-history", ["--event-retention-count", "0"]);
    for (const target of [withHistory, withoutHistory]) await warmUp(target, 2000);
    const spec: PhaseSpec = {
      phase: "create",
      concurrency: 64,
      namespace: "bench-history",
      requests: options.creates * options.slices,
      present: 0,
    };
    const rates = new Map<Target, number[]>([
      [withHistory, []],
      [withoutHistory, []],
    ]);
    const cpu = new Map<Target, number[]>([
      [withHistory, []],
      [withoutHistory, []],
    ]);
    for (let slice = 0; slice < options.slices; slice++) {
      const order = slice % 2 === 0 ? [withHistory, withoutHistory] : [withoutHistory, withHistory];
      for (const target of order) {
        const measured = await measureSlice(target, spec, slice * options.creates, (slice + 1) * options.creates);
        if (measured.slice.errors > 0) throw new Error(`Create: ${measured.firstError}`);
        rates.get(target)?.push(measured.slice.reqPerSec);
        cpu.get(target)?.push((measured.slice.serverCpuSeconds / options.creates) * 1e6);
      }
    }
    const createWithHistory = median(rates.get(withHistory) ?? []);
    const createWithoutHistory = median(rates.get(withoutHistory) ?? []);
    const cpuWithHistory = median(cpu.get(withHistory) ?? []);
    const cpuWithoutHistory = median(cpu.get(withoutHistory) ?? []);
    log(
      `Create c=64: ${createWithHistory.toFixed(0)} req/s with the history, ${createWithoutHistory.toFixed(0)} without (ratio ${(createWithHistory / createWithoutHistory).toFixed(3)}); berthd CPU per create ${cpuWithHistory.toFixed(1)} µs with, ${cpuWithoutHistory.toFixed(1)} µs without`,
    );

    const publish = toBinary(
      PublishRequestSchema,
      create(PublishRequestSchema, {
        topic: "/bench/replay",
        event: { typeUrl: "bench.Replay", value: new Uint8Array(48).fill(7) },
      }),
    );
    const target = withHistory;
    const publishStarted = performance.now();
    const published = await runLoad(options.replayEvents, 256, async () => {
      await target.wire.unary(PUBLISH, "bench-replay", publish);
      return 1;
    });
    if (published.errors > 0) throw new Error(`Publish: ${published.firstError}`);
    const publishSeconds = (performance.now() - publishStarted) / 1000;
    log(`stored ${options.replayEvents} events in ${publishSeconds.toFixed(1)} s`);

    let peak = rssBytes(target.pid);
    const listStarted = performance.now();
    let read = 0;
    let pageToken = "";
    do {
      const request = toBinary(
        ListRequestSchema,
        create(ListRequestSchema, { filters: ["namespace==bench-replay"], limit: PAGE, pageToken }),
      );
      const page = fromBinary(ListResponseSchema, await target.wire.unary(HISTORY_SUBSCRIBE_FREE, "", request));
      read += page.events.length;
      pageToken = page.nextPageToken;
      peak = Math.max(peak, rssBytes(target.pid));
    } while (pageToken !== "");
    const listSeconds = (performance.now() - listStarted) / 1000;
    if (read !== options.replayEvents) throw new Error(`List read ${read} of ${options.replayEvents} events`);
    const eventsPerSecond = read / listSeconds;
    log(`replayed ${read} events in ${listSeconds.toFixed(1)} s (${eventsPerSecond.toFixed(0)} events/s)`);
    return {
      createWithHistory,
      createWithoutHistory,
      ratio: createWithHistory / createWithoutHistory,
      cpuMicrosPerCreate: { withHistory: cpuWithHistory, withoutHistory: cpuWithoutHistory },
      replay: { events: read, publishSeconds, listSeconds, eventsPerSecond, berthdPeakRssMiB: peak / 2 ** 20 },
    };
  } finally {
    await Promise.all([withHistory?.stop(), withoutHistory?.stop()]);
  }
}

/** The result as a Markdown report. */
export function renderHistoryMarkdown(
  result: HistoryBenchResult,
  meta: { command: string; startedAt: string },
): string {
  const { replay } = result;
  return [
    "# History bench: the durable event history's cost and replay speed",
    "",
    `${meta.startedAt} · \`${meta.command}\``,
    "",
    "| measure | value |",
    "|---|---:|",
    `| Create c=64, history kept (median req/s) | ${result.createWithHistory.toFixed(0)} |`,
    `| Create c=64, history off (median req/s) | ${result.createWithoutHistory.toFixed(0)} |`,
    `| ratio (goal ≥ 0.95) | ${result.ratio.toFixed(3)} ${result.ratio >= 0.95 ? "✓" : "✗"} |`,
    `| berthd CPU per Create, history kept / off | ${result.cpuMicrosPerCreate.withHistory.toFixed(1)} / ${result.cpuMicrosPerCreate.withoutHistory.toFixed(1)} µs |`,
    `| events stored with Events.Publish | ${replay.events} in ${replay.publishSeconds.toFixed(1)} s |`,
    `| replayed through HistoryService.List | ${replay.listSeconds.toFixed(1)} s, ${replay.eventsPerSecond.toFixed(0)} events/s |`,
    `| berthd peak RSS during the replay | ${replay.berthdPeakRssMiB.toFixed(0)} MiB |`,
    "",
  ].join("\n");
}

import { CreateContainerRequestSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { CreateRequestSchema as CreateLeaseRequestSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVED_SERVICES, servedMethods } from "../../src/services/routes.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { FUZZ_NAMESPACE, type FuzzCase, genericCases } from "../support/fuzz-cases.js";
import { probeLiveness, residentMiB } from "../support/fuzz-liveness.js";
import { GRPC, PROTOCOLS } from "../support/fuzz-protocols.js";
import { createRandom, fuzzSeed } from "../support/fuzz-random.js";
import { createTally, type FuzzClients, runAll } from "../support/fuzz-runner.js";
import {
  filterListCases,
  HUGE_LABEL_COUNT,
  LABEL_MAP_COUNT,
  labelMapCases,
  oversizeCase,
  REGEX_LABEL,
  regexCases,
} from "../support/fuzz-special-cases.js";
import { createRawClient } from "../support/fuzz-transport.js";
import { rawGrpcCall } from "../support/grpc-raw.js";

// Every method of every served service, over gRPC (HTTP/2, unix socket), gRPC-Web, Connect+proto and
// Connect+JSON (HTTP/1.1, TCP), gets random, mutated, truncated, oversized, mislabelled and otherwise
// hostile requests; every answer must be a proper status, and berthd must keep serving in bounded memory.
// Replay a run with BERTH_FUZZ_SEED=<seed printed below>.

const CONCURRENCY = 8;
/**
 * Growth of berthd's resident memory over the whole suite that still counts as bounded. The
 * 16 MiB and 100,000-label bodies leave V8's heap 136-330 MiB above the start (18 CI runs on
 * 2026-12-06; it does not give pages back without pressure, and how much it keeps depends on
 * what else the machine runs); a leak per call would pass this within the first batches.
 */
const RSS_GROWTH_LIMIT_MIB = 448;
/** A pathological regex over a 1 MB value must not hold a call (or the event loop) longer than this. */
const REGEX_CALL_LIMIT_MS = 5_000;

let berthd: BerthdProcess;
let clients: FuzzClients;

beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
  clients = {
    h2: createRawClient({ kind: "h2", socket: berthd.socket }),
    h1: createRawClient({ kind: "h1", url: berthd.tcpUrl as string }),
  };
  // Long values for the regex cases: lease labels have no size limit, container labels stop at 4 KiB.
  const lease = create(CreateLeaseRequestSchema, { id: "long-label", labels: { [REGEX_LABEL]: "a".repeat(1 << 20) } });
  const container = create(CreateContainerRequestSchema, {
    container: {
      id: "long-label",
      runtime: { name: "io.containerd.runc.v2" },
      spec: { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec", value: new Uint8Array([123, 125]) },
      labels: { [REGEX_LABEL]: "a".repeat(4000) },
    },
  });
  const headers = { "containerd-namespace": FUZZ_NAMESPACE };
  const created = await Promise.all([
    rawGrpcCall(
      berthd.socket,
      "/containerd.services.leases.v1.Leases/Create",
      toBinary(CreateLeaseRequestSchema, lease),
      headers,
    ),
    rawGrpcCall(
      berthd.socket,
      "/containerd.services.containers.v1.Containers/Create",
      toBinary(CreateContainerRequestSchema, container),
      headers,
    ),
  ]);
  expect(created.map((result) => result.status)).toEqual(["0", "0"]);
});

afterAll(async () => {
  clients?.h2.close();
  clients?.h1.close();
  await berthd?.dispose();
});

describe("hostile input", () => {
  it("gets a proper status on every method over every protocol, and berthd keeps serving in bounded memory", async () => {
    const seed = fuzzSeed();
    const random = createRandom(seed);
    const tally = createTally();
    const pid = berthd.child.pid as number;
    const started = performance.now();
    const rssBefore = await residentMiB(pid);
    const livenessFailures: string[] = [];
    const batch = async (label: string, cases: readonly FuzzCase[], concurrency = CONCURRENCY) => {
      const t0 = performance.now();
      const known = tally.problems.length;
      await runAll(cases, clients, tally, concurrency);
      if (process.env.BERTH_FUZZ_DEBUG) {
        const rss = await residentMiB(pid);
        process.stderr.write(
          `${label}: ${cases.length} cases ${(performance.now() - t0).toFixed(0)} ms, rss ${rss.toFixed(0)}\n`,
        );
        for (const problem of tally.problems.slice(known)) process.stderr.write(`PROBLEM ${JSON.stringify(problem)}\n`);
      }
      const failures = await probeLiveness(berthd.socket, berthd.tcpUrl as string);
      livenessFailures.push(...failures.map((failure) => `after ${label}: ${failure}`));
    };

    for (const protocol of PROTOCOLS) {
      for (const service of SERVED_SERVICES) {
        for (const method of servedMethods(service)) {
          await batch(
            `${protocol.name} ${method.parent.typeName}.${method.name}`,
            genericCases(protocol, method, random),
          );
        }
      }
      await batch(`${protocol.name} filter lists`, filterListCases(protocol));
      await batch(`${protocol.name} regexes`, regexCases(protocol));
    }
    // The large bodies last (what they store would slow every later listing), one or two at a time:
    // their cost is memory, which is what is measured.
    for (const protocol of PROTOCOLS) {
      await batch(`${protocol.name} label maps`, labelMapCases(protocol, protocol.name, LABEL_MAP_COUNT), 2);
      await batch(`${protocol.name} oversize`, [oversizeCase(protocol)], 1);
    }
    // 100,000 labels cost seconds of protobuf encoding and decoding, so one call carries them, not all.
    await batch("huge label map", labelMapCases(GRPC, "huge", HUGE_LABEL_COUNT).slice(0, 1), 1);

    const rssAfter = await residentMiB(pid);
    const seconds = (performance.now() - started) / 1000;
    const total = Object.values(tally.calls).reduce((sum, n) => sum + n, 0);
    console.log(
      [
        `hostile input: seed ${seed} (replay with BERTH_FUZZ_SEED=${seed})`,
        `calls: ${total} in ${seconds.toFixed(1)} s — ${JSON.stringify(tally.calls)}`,
        `codes per protocol: ${JSON.stringify(tally.codes)}`,
        `slowest call: ${tally.slowest.ms.toFixed(0)} ms (${tally.slowest.label.slice(0, 160)})`,
        `slowest per input class (ms): ${JSON.stringify(Object.fromEntries(Object.entries(tally.slowestByClass).map(([k, v]) => [k, Math.round(v)])))}`,
        `berthd RSS: ${rssBefore.toFixed(0)} MiB before, ${rssAfter.toFixed(0)} MiB after`,
      ].join("\n"),
    );
    expect(tally.problems.slice(0, 25)).toEqual([]);
    expect(livenessFailures).toEqual([]);
    expect(tally.slowestByClass.regex ?? 0).toBeLessThan(REGEX_CALL_LIMIT_MS);
    expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT_MIB);
    expect(berthd.child.exitCode).toBeNull();
  }, 120_000);
});

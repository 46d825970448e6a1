import { FUZZ_NAMESPACE, type FuzzCase } from "./fuzz-cases.js";
import { judge } from "./fuzz-oracle.js";
import { type ProtocolName, responseStatus } from "./fuzz-protocols.js";
import type { RawClient } from "./fuzz-transport.js";

/** Deadline given to every streaming call, whose valid requests would otherwise stream forever. */
export const STREAM_DEADLINE_MS = 300;

/** A call with no complete response after this long counts as hung. */
export const CALL_TIMEOUT_MS = 15_000;

/** One unacceptable response. */
export interface Problem {
  readonly protocol: ProtocolName;
  readonly method: string;
  readonly inputClass: string;
  readonly label: string;
  readonly problem: string;
}

/** Counts and problems of a run, kept per protocol. */
export interface FuzzTally {
  readonly calls: Record<string, number>;
  /** `protocol → code → count`; `http-415` for bare HTTP answers. */
  readonly codes: Record<string, Record<string, number>>;
  readonly problems: Problem[];
  /** The slowest call, for the report. */
  slowest: { readonly label: string; readonly ms: number };
  /** The slowest call of each input class, in milliseconds. */
  readonly slowestByClass: Record<string, number>;
}

/** An empty tally. */
export function createTally(): FuzzTally {
  return { calls: {}, codes: {}, problems: [], slowest: { label: "", ms: 0 }, slowestByClass: {} };
}

/** The clients of a run, by transport. */
export interface FuzzClients {
  readonly h2: RawClient;
  readonly h1: RawClient;
}

/** Sends one case, judges the response and records the outcome in `tally`. */
export async function runCase(fuzzCase: FuzzCase, clients: FuzzClients, tally: FuzzTally): Promise<void> {
  const { protocol, method } = fuzzCase;
  const deadline = method.methodKind === "unary" ? undefined : STREAM_DEADLINE_MS;
  const headers = {
    "content-type": protocol.contentType(method),
    "containerd-namespace": FUZZ_NAMESPACE,
    ...protocol.headers(method, deadline),
    ...fuzzCase.headers,
  };
  const path = `/${method.parent.typeName}/${method.name}`;
  const started = performance.now();
  const response = await clients[protocol.transport].send({
    path,
    headers,
    body: fuzzCase.body,
    timeoutMs: CALL_TIMEOUT_MS,
  });
  const ms = performance.now() - started;
  const status = responseStatus(response, method, protocol);
  const problem = judge(fuzzCase, response, status, deadline !== undefined);
  tally.calls[protocol.name] = (tally.calls[protocol.name] ?? 0) + 1;
  const codes = tally.codes[protocol.name] ?? {};
  tally.codes[protocol.name] = codes;
  const key = status === undefined ? `http-${response.httpStatus}` : String(status.code);
  codes[key] = (codes[key] ?? 0) + 1;
  tally.slowestByClass[fuzzCase.inputClass] = Math.max(tally.slowestByClass[fuzzCase.inputClass] ?? 0, ms);
  if (ms > tally.slowest.ms) tally.slowest = { label: `${protocol.name} ${path} ${fuzzCase.label}`, ms };
  if (problem !== undefined) {
    tally.problems.push({
      protocol: protocol.name,
      method: path,
      inputClass: fuzzCase.inputClass,
      label: fuzzCase.label,
      problem,
    });
  }
}

/** Runs `cases` with at most `concurrency` calls in flight. */
export async function runAll(
  cases: readonly FuzzCase[],
  clients: FuzzClients,
  tally: FuzzTally,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const fuzzCase = cases[next++] as FuzzCase;
      await runCase(fuzzCase, clients, tally);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterAll, describe, expect, it } from "vitest";
import { startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

/** What a container should look like after a crash: `undefined` means absent. */
type State = string | undefined;

interface Worker {
  /** Acknowledged state of each id this worker touched (the label `v`, or absent). */
  readonly acknowledged: Map<string, State>;
  /** The write in flight when the daemon died, which may or may not have landed. */
  inFlight: { id: string; state: State } | undefined;
}

const ROUNDS = 3;
const WORKERS = 16;
const LOAD_MS = 700;

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/**
 * Each worker owns its ids and writes them one at a time (create v=1, update v=2,
 * delete every third), so after a crash every id has exactly one acknowledged
 * state, plus at most one unacknowledged write that may have landed.
 */
async function drive(socket: string, round: number, workers: Worker[], signal: AbortSignal): Promise<void> {
  const client = createBerthClient(createNodeTransport({ address: socket }), { namespace: "crash" });
  await Promise.all(
    workers.map(async (worker, w) => {
      for (let n = 0; !signal.aborted; n++) {
        const id = `r${round}-w${w}-${n}`;
        const steps: [State, () => Promise<unknown>][] = [
          ["1", () => client.containers.create({ container: newContainer({ id, labels: { v: "1" } }) })],
          [
            "2",
            () =>
              client.containers.update({ container: { id, labels: { v: "2" } }, updateMask: { paths: ["labels.v"] } }),
          ],
        ];
        if (n % 3 === 0) steps.push([undefined, () => client.containers.delete({ id })]);
        for (const [state, write] of steps) {
          if (signal.aborted) return;
          worker.inFlight = { id, state };
          try {
            await write();
          } catch {
            return; // the daemon died under this call
          }
          worker.acknowledged.set(id, state);
          worker.inFlight = undefined;
        }
      }
    }),
  );
}

describe("crash safety", () => {
  it("keeps every acknowledged write, whole, across repeated kill -9 under load", async () => {
    const root = await mkdtemp(join(tmpdir(), "berthd-crash-"));
    roots.push(root);
    const workers: Worker[] = Array.from({ length: WORKERS }, () => ({ acknowledged: new Map(), inFlight: undefined }));
    let killedMidLoad = 0;
    /** Writes in flight at a kill: each may or may not have landed. */
    const unacknowledged = new Map<string, State>();
    for (let round = 0; round < ROUNDS; round++) {
      const daemon = await startBerthdProcess({ root });
      const stop = new AbortController();
      const load = drive(daemon.socket, round, workers, stop.signal);
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
      await daemon.kill();
      const inFlight = workers.flatMap((worker) => (worker.inFlight === undefined ? [] : [worker.inFlight]));
      for (const write of inFlight) unacknowledged.set(write.id, write.state);
      if (inFlight.length > 0) killedMidLoad += 1;
      stop.abort();
      await load;
      for (const worker of workers) worker.inFlight = undefined;
    }

    const daemon = await startBerthdProcess({ root });
    const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "crash" });
    const stored = new Map<string, State>();
    for await (const message of client.containers.listStream({})) {
      const container = message.container;
      expect(container?.runtime?.name).toBe("io.containerd.runc.v2");
      expect(container?.spec).toBeDefined();
      stored.set(container?.id ?? "", container?.labels.v);
    }
    let acknowledged = 0;
    for (const worker of workers) {
      for (const [id, state] of worker.acknowledged) {
        acknowledged += 1;
        const found = stored.get(id);
        const landedInFlight = unacknowledged.has(id) && unacknowledged.get(id) === found;
        if (!landedInFlight) expect({ id, state: found }).toEqual({ id, state });
      }
    }
    expect(await daemon.stop()).toBe(0);
    console.log(
      `crash safety: ${ROUNDS} kill -9 (${killedMidLoad} with writes in flight), ${acknowledged} acknowledged writes checked, ${stored.size} containers stored`,
    );
    expect(killedMidLoad).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(100);
  }, 60_000);
});

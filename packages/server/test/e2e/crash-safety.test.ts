import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { ContainerDeleteSchema } from "@berth/gen/containerd/events/container_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

/** What a container should look like after a crash: `undefined` means absent. */
type State = string | undefined;

interface Worker {
  /** Acknowledged state of each id this worker touched (the label `v`, or absent). */
  readonly acknowledged: Map<string, State>;
  /** The event topics of each id's acknowledged writes, in order. */
  readonly topics: Map<string, string[]>;
  /** The write in flight when the daemon died, which may or may not have landed. */
  inFlight: { id: string; state: State; topic: string } | undefined;
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
        const steps: [State, string, () => Promise<unknown>][] = [
          [
            "1",
            "/containers/create",
            () => client.containers.create({ container: newContainer({ id, labels: { v: "1" } }) }),
          ],
          [
            "2",
            "/containers/update",
            () =>
              client.containers.update({ container: { id, labels: { v: "2" } }, updateMask: { paths: ["labels.v"] } }),
          ],
        ];
        if (n % 3 === 0) steps.push([undefined, "/containers/delete", () => client.containers.delete({ id })]);
        for (const [state, topic, write] of steps) {
          if (signal.aborted) return;
          worker.inFlight = { id, state, topic };
          try {
            await write();
          } catch {
            return; // the daemon died under this call
          }
          worker.acknowledged.set(id, state);
          worker.topics.set(id, [...(worker.topics.get(id) ?? []), topic]);
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
    const workers: Worker[] = Array.from({ length: WORKERS }, () => ({
      acknowledged: new Map(),
      topics: new Map(),
      inFlight: undefined,
    }));
    let killedMidLoad = 0;
    /** Writes in flight at a kill: each may or may not have landed. */
    const unacknowledged = new Map<string, { state: State; topic: string }>();
    for (let round = 0; round < ROUNDS; round++) {
      const daemon = await startBerthdProcess({ root });
      const stop = new AbortController();
      const load = drive(daemon.socket, round, workers, stop.signal);
      await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
      await daemon.kill();
      const inFlight = workers.flatMap((worker) => (worker.inFlight === undefined ? [] : [worker.inFlight]));
      for (const write of inFlight) unacknowledged.set(write.id, { state: write.state, topic: write.topic });
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
    // The event history: each id's events, in sequence order, and every sequence once.
    const history = new Map<string, string[]>();
    let previous = 0n;
    let pageToken = "";
    do {
      const page = await client.history.list({ filters: ["namespace==crash"], limit: 10_000, pageToken });
      for (const event of page.events) {
        expect(event.sequence).toBeGreaterThan(previous);
        previous = event.sequence;
        const id = fromBinary(ContainerDeleteSchema, event.event?.value ?? new Uint8Array()).id;
        history.set(id, [...(history.get(id) ?? []), event.topic]);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    let acknowledged = 0;
    let events = 0;
    for (const worker of workers) {
      for (const [id, state] of worker.acknowledged) {
        acknowledged += 1;
        const found = stored.get(id);
        const pending = unacknowledged.get(id);
        const landedInFlight = pending !== undefined && pending.state === found && found !== state;
        if (!landedInFlight) expect({ id, state: found }).toEqual({ id, state });
        // Exactly the acknowledged writes' events, plus the in-flight one if (and only if) it landed.
        const expected = [...(worker.topics.get(id) ?? []), ...(landedInFlight ? [pending.topic] : [])];
        expect({ id, events: history.get(id) ?? [] }).toEqual({ id, events: expected });
        events += expected.length;
      }
    }
    expect(await daemon.stop()).toBe(0);
    console.log(
      `crash safety: ${ROUNDS} kill -9 (${killedMidLoad} with writes in flight), ${acknowledged} acknowledged writes checked, ${stored.size} containers stored, ${events} events in the history as acknowledged`,
    );
    expect(killedMidLoad).toBeGreaterThan(0);
    expect(acknowledged).toBeGreaterThan(100);
  }, 60_000);
});

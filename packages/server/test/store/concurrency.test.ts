import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { LeaseSchema, ResourceSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { openStore } from "../../src/store/open.js";
import type { NamespaceDeleteResult, Store } from "../../src/store/types.js";
import {
  type ContainerOps,
  createRandom,
  OutcomeTally,
  planRound,
  type RoundResult,
  runRound,
  startStaggered,
} from "../support/concurrent-rounds.js";
import { type ContainerState, linearize, type Operation, type Outcome } from "../support/container-history.js";
import { censusOf } from "../support/level-invariants.js";
import {
  type NamespaceRaceOps,
  RACE_VARIANTS,
  type RaceRound,
  raceNamespaceDelete,
  raceViolations,
  summarise,
} from "../support/namespace-race.js";

/**
 * The store's concurrency guarantees against a real LevelDB (classic-level,
 * synced writes, group commit): many rounds in well under a second each, so
 * this tier explores far more interleavings than the end-to-end suite can.
 */

const SPEC = create(AnySchema, { typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec" });

function container(id: string, init: { image?: string; labels?: Record<string, string> } = {}): Container {
  return create(ContainerSchema, { id, runtime: { name: "io.containerd.runc.v2" }, spec: SPEC, ...init });
}

const observe = (stored: Container): ContainerState => ({ create: stored.image, updates: Object.keys(stored.labels) });

/** The store's container methods in the oracle's terms. */
function storeOps(store: Store, namespace: string): ContainerOps {
  return {
    async create(id, tag) {
      try {
        await store.containers.create(namespace, container(id, { image: tag }));
        return "ok";
      } catch (error) {
        if (error instanceof BerthError && error.errorClass === "already exists") return "already-exists";
        throw error;
      }
    },
    async update(id, tag) {
      const updated = await store.containers.update(namespace, id, (current) => {
        current.labels[tag] = "1";
        return current;
      });
      return updated === undefined ? { outcome: "not-found" } : { outcome: "ok", observed: observe(updated) };
    },
    async delete(id) {
      return (await store.containers.delete(namespace, id)) ? "ok" : "not-found";
    },
    async get(id) {
      const stored = await store.containers.get(namespace, id);
      return stored === undefined ? { outcome: "not-found" } : { outcome: "ok", observed: observe(stored.container) };
    },
  };
}

/** The store's namespace and container methods in the namespace race's terms. */
function storeRaceOps(store: Store): NamespaceRaceOps {
  return {
    createNamespace: (namespace) => store.namespaces.create({ name: namespace, labels: {} }),
    createContainer: (namespace, id) => store.containers.create(namespace, container(id)),
    async deleteContainer(namespace, id) {
      if (!(await store.containers.delete(namespace, id))) throw new Error(`${namespace}/${id} was not there`);
    },
    async deleteNamespace(namespace) {
      const result = await store.namespaces.delete(namespace);
      return result.deleted ? "deleted" : result.reason;
    },
    namespaceExists: async (namespace) => (await store.namespaces.get(namespace)) !== undefined,
    listContainers: (namespace) => listIds(store, namespace),
    containerExists: async (namespace, id) => (await store.containers.get(namespace, id)) !== undefined,
  };
}

async function listIds(store: Store, namespace: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const stored of store.containers.list(namespace)) ids.push(stored.container.id);
  return ids;
}

const describeResult = (result: RoundResult) =>
  JSON.stringify({
    initial: result.initial,
    final: result.final,
    operations: [...result.operations]
      .sort((a, b) => a.invokedAt - b.invokedAt)
      .map((o) => [o.kind, o.tag, o.outcome, o.observed, +o.invokedAt.toFixed(2), +o.settledAt.toFixed(2)]),
  });

let root: string;
let store: Store;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-concurrency-"));
  store = await openStore(root);
});
afterAll(async () => {
  await store.close().catch(() => {});
  await rm(root, { recursive: true, force: true });
});

describe("the one-id oracle", () => {
  const op = (kind: Operation["kind"], outcome: Outcome, invokedAt: number, settledAt: number, extra = {}) =>
    ({ kind, tag: kind === "create" ? "c0" : "u0", invokedAt, settledAt, outcome, ...extra }) as Operation;
  const present = (updates: string[] = []): ContainerState => ({ create: "c0", updates });

  it("accepts an overlapping Create and Delete in either order", () => {
    const history = [op("create", "ok", 0, 10), op("delete", "ok", 1, 9)];
    expect(linearize(undefined, history, undefined)).toBeDefined();
    expect(linearize(undefined, [op("create", "ok", 0, 10), op("delete", "not-found", 1, 9)], present())).toBeDefined();
  });

  it("rejects two acknowledged Creates with no Delete between", () => {
    expect(linearize(undefined, [op("create", "ok", 0, 5), op("create", "ok", 1, 6)], present())).toBeUndefined();
  });

  it("rejects AlreadyExists after an acknowledged Delete with nothing in between", () => {
    const history = [op("delete", "ok", 0, 1), op("create", "already-exists", 2, 3)];
    expect(linearize(present(), history, undefined)).toBeUndefined();
  });

  it("rejects a lost update and a resurrection", () => {
    const lost = [
      op("update", "ok", 0, 1, { observed: present(["u0"]) }),
      op("get", "ok", 2, 3, { observed: present() }),
    ];
    expect(linearize(present(), lost, present())).toBeUndefined();
    expect(linearize(present(), [op("delete", "ok", 0, 1)], present())).toBeUndefined();
  });
});

describe("store concurrency (classic-level)", () => {
  it("keeps concurrent Create/Update/Delete/Get of one id linearizable, round after round", async () => {
    const random = createRandom(0x5eed);
    const tally = new OutcomeTally();
    const BATCHES = 40;
    const IDS_PER_BATCH = 8;
    const shape = { creates: 3, updates: 4, deletes: 2, gets: 2, lanes: 1 };
    const lanes = [storeOps(store, "one-id")];
    const started = performance.now();
    for (let batch = 0; batch < BATCHES; batch++) {
      const results = await Promise.all(
        Array.from({ length: IDS_PER_BATCH }, (_, i) => runRound(lanes, `b${batch}-${i}`, planRound(random, shape))),
      );
      for (const result of results) {
        if (linearize(result.initial, result.operations, result.final) === undefined) {
          expect.fail(`no linearization explains ${describeResult(result)}`);
        }
        tally.add(result);
      }
    }
    const rounds = BATCHES * IDS_PER_BATCH;
    console.log(
      `store one-id rounds: ${rounds} rounds, ${rounds * 11} ops in ${(performance.now() - started).toFixed(0)} ms; ${tally}`,
    );
    // The rounds must actually race: every kind of result shows up.
    for (const name of ["create:ok", "create:already-exists", "update:ok", "update:not-found", "delete:ok"]) {
      expect(tally.count(name)).toBeGreaterThan(0);
    }
  });

  it("never lets a Delete racing Updates resurrect the container", async () => {
    const ROUNDS = 40;
    const UPDATES = 16;
    const ops = storeOps(store, "resurrect");
    let lostRace = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const id = `r${round}`;
      await ops.create(id, "init");
      const updates = Array.from({ length: UPDATES }, (_, i) => () => ops.update(id, `u${i}`));
      // The Delete starts at a different place among the Updates each round.
      const at = round % (UPDATES + 1);
      const started = [...updates.slice(0, at), () => ops.delete(id), ...updates.slice(at)].map((start) => start());
      const results = await Promise.all(started);
      expect(results[at]).toBe("ok");
      expect(await ops.get(id)).toEqual({ outcome: "not-found" });
      expect(await listIds(store, "resurrect")).not.toContain(id);
      lostRace += results.filter((r) => typeof r === "object" && r.outcome === "not-found").length;
    }
    console.log(
      `store resurrect: ${ROUNDS} rounds of 1 Delete + ${UPDATES} Updates; ${lostRace} Updates came after the Delete (NotFound)`,
    );
    expect(lostRace).toBeGreaterThan(0);
  });

  it("keeps the same ids in different namespaces apart", async () => {
    const random = createRandom(0xa11);
    const NAMESPACES = 8;
    const IDS = 4;
    const STEPS = 14;
    const kinds = ["create", "update", "delete", "get"] as const;
    const chains = Array.from({ length: NAMESPACES * IDS }, (_, n) => ({
      namespace: `apart-${Math.floor(n / IDS)}`,
      id: `same-${n % IDS}`,
      steps: Array.from({ length: STEPS }, (_, s) => ({
        kind: kinds[Math.floor(random() * kinds.length)] ?? "get",
        tag: `s${s}`,
      })),
    }));
    const results = await Promise.all(
      chains.map(async ({ namespace, id, steps }) => {
        const ops = storeOps(store, namespace);
        const operations = [];
        for (const step of steps) {
          const invokedAt = performance.now();
          const result =
            step.kind === "create" || step.kind === "delete"
              ? { outcome: await ops[step.kind](id, step.tag) }
              : await ops[step.kind](id, step.tag);
          operations.push({ ...step, ...result, invokedAt, settledAt: performance.now() });
        }
        const after = await ops.get(id);
        return { namespace, id, initial: undefined, operations, final: after.observed };
      }),
    );
    for (const result of results) {
      if (linearize(result.initial, result.operations, result.final) === undefined) {
        expect.fail(`${result.namespace}/${result.id}: ${describeResult(result)}`);
      }
    }
    for (let n = 0; n < NAMESPACES; n++) {
      const namespace = `apart-${n}`;
      const present = results.filter((r) => r.namespace === namespace && r.final !== undefined).map((r) => r.id);
      expect(await listIds(store, namespace)).toEqual(present.sort());
    }
    console.log(
      `store namespaces apart: ${NAMESPACES} namespaces x ${IDS} shared ids x ${STEPS} ops, all chains at once`,
    );
  });

  it("loses none of 32 concurrent label updates, nor of concurrent updates to different fields", async () => {
    const K = 32;
    const ROUNDS = 10;
    for (let round = 0; round < ROUNDS; round++) {
      const id = `labels-${round}`;
      await store.containers.create("no-lost", container(id));
      await Promise.all(
        Array.from({ length: K }, (_, i) =>
          store.containers.update("no-lost", id, (current) => {
            current.labels[`k${i}`] = `${i}`;
            return current;
          }),
        ),
      );
      const labels = (await store.containers.get("no-lost", id))?.container.labels;
      expect(labels).toEqual(Object.fromEntries(Array.from({ length: K }, (_, i) => [`k${i}`, `${i}`])));
    }
    const id = "fields";
    await store.containers.create("no-lost", container(id));
    await Promise.all([
      store.containers.update("no-lost", id, (c) => Object.assign(c, { labels: { ...c.labels, a: "1" } })),
      store.containers.update("no-lost", id, (c) => Object.assign(c, { image: "redis" })),
      store.containers.update("no-lost", id, (c) =>
        Object.assign(c, { extensions: { ...c.extensions, e: create(AnySchema, { typeUrl: "x" }) } }),
      ),
      store.containers.update("no-lost", id, (c) => Object.assign(c, { snapshotter: "overlayfs", snapshotKey: "k" })),
    ]);
    const stored = (await store.containers.get("no-lost", id))?.container;
    expect(stored?.labels).toEqual({ a: "1" });
    expect(stored?.image).toBe("redis");
    expect(Object.keys(stored?.extensions ?? {})).toEqual(["e"]);
    expect(stored?.snapshotKey).toBe("k");
    console.log(`store no lost update: ${ROUNDS} rounds of ${K} concurrent label updates, 1 round of 4 field updates`);
  });

  it("never leaves a container in a deleted namespace when Delete races Creates and Deletes", async () => {
    const random = createRandom(0xde1);
    const ROUNDS = 120;
    const ops = storeRaceOps(store);
    const rounds: RaceRound[] = [];
    const started = performance.now();
    for (let n = 0; n < ROUNDS; n++) {
      const round = await raceNamespaceDelete(
        ops,
        random,
        `race-${n}`,
        RACE_VARIANTS[n % RACE_VARIANTS.length] ?? "unknown",
      );
      expect(raceViolations(round)).toEqual([]);
      rounds.push(round);
    }
    console.log(
      `store namespace Delete vs container writes: ${ROUNDS} rounds in ${(performance.now() - started).toFixed(0)} ms; ${summarise(rounds)}`,
    );
    expect(rounds.some((r) => r.variant === "empty" && r.outcome === "deleted")).toBe(true);
    expect(rounds.some((r) => r.variant !== "emptied" && r.outcome === "not empty")).toBe(true);
  });

  it("never leaves a lease or a lease resource behind a deleted namespace", async () => {
    const random = createRandom(0x1ea5e);
    const ROUNDS = 60;
    const resource = (i: number) => create(ResourceSchema, { id: `snap-${i}`, type: "snapshots/overlayfs" });
    const outcomes = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const namespace = `lease-race-${round}`;
      await store.leases.create(namespace, create(LeaseSchema, { id: "held" }));
      await store.leases.addResource(namespace, "held", resource(0));
      const writes: (() => Promise<unknown>)[] = [
        ...Array.from({ length: 4 }, (_, i) => () => store.leases.addResource(namespace, "held", resource(i + 1))),
        () => store.leases.deleteResource(namespace, "held", resource(0)),
        ...Array.from(
          { length: round % 3 },
          (_, i) => () => store.leases.create(namespace, create(LeaseSchema, { id: `l${i}` })),
        ),
      ];
      let result: NamespaceDeleteResult | undefined;
      writes.splice(Math.floor(random() * (writes.length + 1)), 0, async () => {
        result = await store.namespaces.delete(namespace);
      });
      const settled = await startStaggered(random, writes);
      expect(settled.filter((s) => s.status === "rejected")).toEqual([]);
      const outcome = result?.deleted ? "deleted" : "kept";
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (result?.deleted) {
        expect(await store.leases.get(namespace, "held")).toBeUndefined();
        expect(await store.leases.listResources(namespace, "held")).toBeUndefined();
      }
      // A lease of the same name made afterwards starts empty: nothing of the deleted one survives.
      await store.leases.create(namespace, create(LeaseSchema, { id: "held" }));
      expect(await store.leases.listResources(namespace, "held")).toEqual([]);
    }
    await store.close();
    const census = await censusOf(join(root, "db"));
    store = await openStore(root);
    console.log(
      `store namespace delete vs lease writes: ${ROUNDS} rounds; ${[...outcomes].map(([k, v]) => `${k}=${v}`).join(" ")}; census ${census.keys} keys, ${census.orphans.length} orphans`,
    );
    expect(census.orphans).toEqual([]);
  });
  it("runs every kind of write at once in a few namespaces without deadlock or stranded records", async () => {
    const random = createRandom(0xc4a05);
    const OPERATIONS = 1500;
    const IN_FLIGHT = 48;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const namespaces = ["mix-a", "mix-b", "mix-c"];
    const ids = ["x", "y", "z"];
    const resource = () => create(ResourceSchema, { id: pick(ids), type: "snapshots/overlayfs" });
    const writes: ((namespace: string, id: string) => Promise<unknown>)[] = [
      (ns, id) => store.containers.create(ns, container(id)),
      (ns, id) =>
        store.containers.update(ns, id, (c) => Object.assign(c, { labels: { ...c.labels, [pick(ids)]: "1" } })),
      (ns, id) => store.containers.delete(ns, id),
      (ns, id) => store.leases.create(ns, create(LeaseSchema, { id })),
      (ns, id) => store.leases.delete(ns, id),
      (ns, id) => store.leases.addResource(ns, id, resource()),
      (ns, id) => store.leases.deleteResource(ns, id, resource()),
      (ns) => store.namespaces.delete(ns),
      (ns) => store.namespaces.update(ns, (labels) => ({ ...labels, [pick(ids)]: "1" })),
      (ns) => store.namespaces.create({ name: ns, labels: {} }),
    ];
    const counts = { done: 0, refused: 0 };
    let next = 0;
    const worker = async () => {
      while (next < OPERATIONS) {
        next += 1;
        try {
          await pick(writes)(pick(namespaces), pick(ids));
          counts.done += 1;
        } catch (error) {
          if (!(error instanceof BerthError && error.errorClass === "already exists")) throw error;
          counts.refused += 1;
        }
      }
    };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stalled after ${counts.done + counts.refused} operations`)), 15_000);
    });
    await Promise.race([Promise.all(Array.from({ length: IN_FLIGHT }, worker)), deadline]).finally(() =>
      clearTimeout(timer),
    );
    const listed: Record<string, string[]> = {};
    for (const namespace of namespaces) listed[namespace] = await listIds(store, namespace);
    await store.close();
    const census = await censusOf(join(root, "db"));
    store = await openStore(root);
    console.log(
      `store mixed writes: ${OPERATIONS} operations of 10 kinds, ${IN_FLIGHT} in flight, in ${(performance.now() - started).toFixed(0)} ms (${counts.refused} AlreadyExists); census ${census.keys} keys, ${census.orphans.length} stranded`,
    );
    expect(census.orphans).toEqual([]);
    for (const namespace of namespaces)
      expect([...(census.containers.get(namespace) ?? [])].sort()).toEqual(listed[namespace]);
  });
});

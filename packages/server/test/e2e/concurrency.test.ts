import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type BerthClient, Code, ConnectError, createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import {
  type ContainerOps,
  createRandom,
  OutcomeTally,
  planRound,
  type RoundResult,
  runRound,
  startStaggered,
} from "../support/concurrent-rounds.js";
import { type ContainerState, linearize, type Operation } from "../support/container-history.js";
import { newContainer } from "../support/containers.js";
import { EventLedger } from "../support/event-ledger.js";
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
 * Concurrency guarantees of a real berthd, through real clients on several
 * connections (gRPC and Connect, unix socket and TCP): every history of one id
 * is linearizable, namespaces never interfere, no update is lost, a namespace
 * Delete never strands a record, and every acknowledged write publishes exactly
 * one event. Plans come from fixed seeds; interleavings vary from run to run,
 * but every invariant must hold for all of them.
 */

let berthd: BerthdProcess;
let ledger: EventLedger;
/** Clients on separate HTTP/2 connections, so requests race inside berthd rather than queue on one socket. */
let lanes: BerthClient[];
/** What the namespace race left, to compare after a restart and in the raw database. */
const raceRounds: RaceRound[] = [];

const isCode = (error: unknown, code: Code) => error instanceof ConnectError && error.code === code;

beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
  const tcp = berthd.tcpUrl ?? "";
  lanes = [
    createNodeTransport({ address: berthd.socket }),
    createNodeTransport({ address: berthd.socket }),
    createNodeTransport({ address: berthd.socket, protocol: "connect" }),
    createNodeTransport({ address: tcp }),
  ].map((transport) => createBerthClient(transport));
  ledger = await EventLedger.open(createBerthClient(createNodeTransport({ address: berthd.socket })));
});
afterAll(async () => {
  // The restarted daemon was given the root, so dispose() leaves it: remove it here.
  await berthd.dispose();
  await rm(berthd.root, { recursive: true, force: true });
});

const observe = (container: Container | undefined): ContainerState => ({
  create: container?.image ?? "",
  updates: Object.keys(container?.labels ?? {}),
});

/** One client's container calls in the oracle's terms; acknowledged writes are expected in the event ledger. */
function clientOps(client: BerthClient): ContainerOps {
  const namespace = client.namespace;
  return {
    async create(id, tag) {
      try {
        await client.containers.create({ container: newContainer({ id, image: tag }) });
      } catch (error) {
        if (isCode(error, Code.AlreadyExists)) return "already-exists";
        throw error;
      }
      ledger.expect(namespace, "/containers/create", id);
      return "ok";
    },
    async update(id, tag) {
      try {
        const { container } = await client.containers.update({
          container: { id, labels: { [tag]: "1" } },
          updateMask: { paths: [`labels.${tag}`] },
        });
        ledger.expect(namespace, "/containers/update", id);
        return { outcome: "ok", observed: observe(container) };
      } catch (error) {
        if (isCode(error, Code.NotFound)) return { outcome: "not-found" };
        throw error;
      }
    },
    async delete(id) {
      try {
        await client.containers.delete({ id });
      } catch (error) {
        if (isCode(error, Code.NotFound)) return "not-found";
        throw error;
      }
      ledger.expect(namespace, "/containers/delete", id);
      return "ok";
    },
    async get(id) {
      try {
        return { outcome: "ok", observed: observe((await client.containers.get({ id })).container) };
      } catch (error) {
        if (isCode(error, Code.NotFound)) return { outcome: "not-found" };
        throw error;
      }
    },
  };
}

const opsIn = (namespace: string) => lanes.map((lane) => clientOps(lane.withNamespace(namespace)));

async function listIds(client: BerthClient): Promise<string[]> {
  const { containers } = await client.containers.list({});
  return containers.map((container) => container.id).sort();
}

async function namespaceNames(client: BerthClient): Promise<string[]> {
  return (await client.namespaces.list({})).namespaces.map((namespace) => namespace.name).sort();
}

const describeResult = (result: RoundResult) =>
  JSON.stringify({
    initial: result.initial,
    final: result.final,
    operations: [...result.operations]
      .sort((a, b) => a.invokedAt - b.invokedAt)
      .map((o) => [o.kind, o.tag, o.outcome, o.observed, +o.invokedAt.toFixed(2), +o.settledAt.toFixed(2)]),
  });

const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;

describe("concurrency against a berthd process", () => {
  it("keeps concurrent Create/Update/Delete/Get of one id linearizable, round after round", async () => {
    const random = createRandom(0xe2e1);
    const tally = new OutcomeTally();
    const BATCHES = 10;
    const IDS_PER_BATCH = 8;
    const shape = { creates: 3, updates: 4, deletes: 2, gets: 2, lanes: lanes.length };
    const ops = opsIn("one-id");
    const started = performance.now();
    for (let batch = 0; batch < BATCHES; batch++) {
      const results = await Promise.all(
        Array.from({ length: IDS_PER_BATCH }, (_, i) => runRound(ops, `b${batch}-${i}`, planRound(random, shape))),
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
      `e2e one-id: ${rounds} rounds, ${rounds * 11} ops on ${lanes.length} connections in ${elapsed(started)}; ${tally}`,
    );
    for (const name of ["create:ok", "create:already-exists", "update:ok", "update:not-found", "delete:ok"]) {
      expect(tally.count(name)).toBeGreaterThan(0);
    }
  });

  it("never lets a Delete racing Updates resurrect the container", async () => {
    const ROUNDS = 16;
    const UPDATES = 16;
    const ops = opsIn("resurrect");
    let lostRace = 0;
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const id = `r${round}`;
      await ops[0]?.create(id, "init");
      const updates = Array.from({ length: UPDATES }, (_, i) => () => ops[i % ops.length]?.update(id, `u${i}`));
      const at = round % (UPDATES + 1);
      const calls = [...updates.slice(0, at), () => ops[round % ops.length]?.delete(id), ...updates.slice(at)];
      const results = await Promise.all(calls.map((call) => call()));
      expect(results[at]).toBe("ok");
      expect(await ops[0]?.get(id)).toEqual({ outcome: "not-found" });
      lostRace += results.filter((r) => typeof r === "object" && r.outcome === "not-found").length;
    }
    expect(await listIds(lanes[0]?.withNamespace("resurrect") as BerthClient)).toEqual([]);
    console.log(
      `e2e resurrect: ${ROUNDS} rounds of 1 Delete + ${UPDATES} Updates in ${elapsed(started)}; ${lostRace} Updates came after the Delete`,
    );
  });

  it("keeps the same ids in different namespaces apart", async () => {
    const random = createRandom(0xa11e);
    const NAMESPACES = 6;
    const IDS = 4;
    const STEPS = 12;
    const kinds = ["create", "update", "delete", "get"] as const;
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: NAMESPACES * IDS }, async (_, n) => {
        const namespace = `apart-${Math.floor(n / IDS)}`;
        const id = `same-${n % IDS}`;
        const ops = opsIn(namespace)[n % lanes.length] as ContainerOps;
        const steps = Array.from({ length: STEPS }, (_, s) => ({
          kind: kinds[Math.floor(random() * 4)] ?? "get",
          tag: `s${s}`,
        }));
        const operations: Operation[] = [];
        for (const step of steps) {
          const invokedAt = performance.now();
          const result =
            step.kind === "create" || step.kind === "delete"
              ? { outcome: await ops[step.kind](id, step.tag) }
              : await ops[step.kind](id, step.tag);
          operations.push({ ...step, ...result, invokedAt, settledAt: performance.now() });
        }
        return { namespace, id, initial: undefined, operations, final: (await ops.get(id)).observed };
      }),
    );
    for (const result of results) {
      if (linearize(result.initial, result.operations, result.final) === undefined) {
        expect.fail(`${result.namespace}/${result.id}: ${describeResult(result)}`);
      }
    }
    const names = await namespaceNames(lanes[0] as BerthClient);
    for (let n = 0; n < NAMESPACES; n++) {
      const namespace = `apart-${n}`;
      const present = results.filter((r) => r.namespace === namespace && r.final !== undefined).map((r) => r.id);
      expect(await listIds(lanes[n % lanes.length]?.withNamespace(namespace) as BerthClient)).toEqual(present.sort());
      expect(names).toContain(namespace);
    }
    console.log(
      `e2e namespaces apart: ${NAMESPACES} namespaces x ${IDS} shared ids x ${STEPS} sequential ops, ${NAMESPACES * IDS} chains at once, in ${elapsed(started)}`,
    );
  });

  it("loses none of 32 concurrent label updates, nor of concurrent updates to different fields", async () => {
    const K = 32;
    const ROUNDS = 5;
    const clients = lanes.map((lane) => lane.withNamespace("no-lost"));
    const on = (i: number) => clients[i % clients.length] as BerthClient;
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const id = `labels-${round}`;
      await createContainer(on(0), newContainer({ id }));
      await Promise.all(
        Array.from({ length: K }, (_, i) =>
          updateContainer(on(i), {
            container: { id, labels: { [`k${i}`]: `${i}` } },
            updateMask: { paths: [`labels.k${i}`] },
          }),
        ),
      );
      const { container } = await on(0).containers.get({ id });
      expect(container?.labels).toEqual(Object.fromEntries(Array.from({ length: K }, (_, i) => [`k${i}`, `${i}`])));
    }
    const id = "fields";
    await createContainer(on(0), newContainer({ id, snapshotter: "overlayfs" }));
    const patches = [
      { container: { id, labels: { a: "1" } }, updateMask: { paths: ["labels.a"] } },
      { container: { id, image: "redis" }, updateMask: { paths: ["image"] } },
      {
        container: { id, extensions: { e: create(AnySchema, { typeUrl: "x" }) } },
        updateMask: { paths: ["extensions.e"] },
      },
      { container: { id, snapshotKey: "key" }, updateMask: { paths: ["snapshotkey"] } },
    ];
    await Promise.all(patches.map((patch, i) => updateContainer(on(i), patch)));
    const { container } = await on(0).containers.get({ id });
    expect(container?.labels).toEqual({ a: "1" });
    expect(container?.image).toBe("redis");
    expect(Object.keys(container?.extensions ?? {})).toEqual(["e"]);
    expect(container?.snapshotKey).toBe("key");
    // Namespace labels too: each Update rewrites the namespace record, so they must not overwrite each other.
    const namespace = "no-lost-labels";
    await Promise.all(
      Array.from({ length: K }, async (_, i) => {
        await on(i)
          .withNamespace(namespace)
          .namespaces.update({
            namespace: { name: namespace, labels: { [`k${i}`]: "v" } },
            updateMask: { paths: [`labels.k${i}`] },
          });
        ledger.expect(namespace, "/namespaces/update", namespace);
      }),
    );
    const labels = (await on(0).namespaces.get({ name: namespace })).namespace?.labels;
    expect(Object.keys(labels ?? {}).sort()).toEqual(Array.from({ length: K }, (_, i) => `k${i}`).sort());
    console.log(
      `e2e no lost update: ${ROUNDS} rounds of ${K} concurrent label updates + 1 round of ${patches.length} field updates + ${K} concurrent namespace label updates in ${elapsed(started)}`,
    );
  });

  it("never leaves a container in a deleted namespace when Delete races Creates and Deletes", async () => {
    const random = createRandom(0xde1e);
    const ROUNDS = 40;
    const started = performance.now();
    for (let n = 0; n < ROUNDS; n++) {
      const ops = raceOps(lanes[n % lanes.length] as BerthClient);
      const variant = RACE_VARIANTS[n % RACE_VARIANTS.length] ?? "unknown";
      const round = await raceNamespaceDelete(ops, random, `race-${n}`, variant);
      expect(raceViolations(round)).toEqual([]);
      raceRounds.push(round);
    }
    console.log(
      `e2e namespace Delete vs container writes: ${ROUNDS} rounds in ${elapsed(started)}; ${summarise(raceRounds)}`,
    );
    expect(raceRounds.some((r) => r.variant === "empty" && r.outcome === "deleted")).toBe(true);
    expect(raceRounds.some((r) => r.variant !== "emptied" && r.outcome === "not empty")).toBe(true);
  });

  it("never leaves a lease or its resources behind a deleted namespace", async () => {
    const random = createRandom(0x1ea5);
    const ROUNDS = 16;
    const resource = (i: number) => ({ id: `snap-${i}`, type: "snapshots/overlayfs" });
    const started = performance.now();
    let refused = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const namespace = `lease-race-${round}`;
      const clients = lanes.map((lane) => lane.withNamespace(namespace));
      const on = (i: number) => clients[i % clients.length] as BerthClient;
      await on(0).leases.create({ id: "held" });
      await on(0).leases.addResource({ id: "held", resource: resource(0) });
      const tasks: (() => Promise<unknown>)[] = [
        ...Array.from(
          { length: 4 },
          (_, i) => () => on(i).leases.addResource({ id: "held", resource: resource(i + 1) }),
        ),
        () => on(1).leases.deleteResource({ id: "held", resource: resource(0) }),
        ...Array.from({ length: round % 3 }, (_, i) => () => on(i).leases.create({ id: `l${i}` })),
      ];
      tasks.splice(Math.floor(random() * (tasks.length + 1)), 0, async () => {
        await on(2).namespaces.delete({ name: namespace });
        ledger.expect(namespace, "/namespaces/delete", namespace);
      });
      for (const result of await startStaggered(random, tasks)) {
        // A resource call that comes after the namespace Delete finds no lease: the only allowed failure.
        if (result.status === "rejected" && !isCode(result.reason, Code.NotFound)) throw result.reason;
        if (result.status === "rejected") refused += 1;
      }
      const { leases } = await on(0).leases.list({});
      expect(leases.map((lease) => lease.id)).not.toContain("held");
      const names = await namespaceNames(on(0));
      expect(names.includes(namespace)).toBe(leases.length > 0);
      // A lease of the same name made afterwards starts empty: nothing of the deleted one survives.
      await on(3).leases.create({ id: "held" });
      expect((await on(3).leases.listResources({ id: "held" })).resources).toEqual([]);
    }
    console.log(
      `e2e namespace Delete vs lease writes: ${ROUNDS} rounds in ${elapsed(started)}; ${refused} resource calls came after the Delete (NotFound)`,
    );
  });

  it("published exactly one event for every acknowledged write, in an order the store could have committed", async () => {
    const { expected, published, histories } = await ledger.close();
    const differences = [...new Set([...expected.keys(), ...published.keys()])]
      .filter((key) => expected.get(key) !== published.get(key))
      .map((key) => `${key}: expected ${expected.get(key) ?? 0}, published ${published.get(key) ?? 0}`);
    expect(differences).toEqual([]);
    // Per container: Create, its Updates, Delete, and again; the last event says whether it exists now.
    const namespaces = new Set([...histories.keys()].map((key) => key.slice(0, key.indexOf("/"))));
    const listed = new Set<string>();
    for (const namespace of namespaces) {
      for (const id of await listIds(lanes[0]?.withNamespace(namespace) as BerthClient))
        listed.add(`${namespace}/${id}`);
    }
    const disorders = [...histories].flatMap(([key, topics]) => {
      const serial = /^(create( update)* delete ?)*(create( update)*)?$/.test(topics.join(" "));
      const exists = topics.length > 0 && topics.at(-1) !== "delete";
      return serial && exists === listed.has(key) ? [] : [`${key}: ${topics.join(" ")}; listed ${listed.has(key)}`];
    });
    expect(disorders).toEqual([]);
    const total = [...expected.values()].reduce((sum, n) => sum + n, 0);
    console.log(
      `e2e events: ${total} acknowledged writes, ${published.size} distinct (namespace, topic, id), each published once per write; ${histories.size} containers' event sequences in a serial order`,
    );
    expect(total).toBeGreaterThan(500);
  });
});

describe("after a restart on the same root", () => {
  it("shows the same namespaces and containers, and the raw database has no stranded record", async () => {
    const before = await snapshot(lanes[0] as BerthClient);
    expect(await berthd.stop()).toBe(0);
    berthd = await startBerthdProcess({ root: berthd.root, tcp: true });
    const client = createBerthClient(createNodeTransport({ address: berthd.socket }));
    const after = await snapshot(client);
    expect(after).toEqual(before);
    for (const round of raceRounds) {
      expect(after.namespaces.includes(round.namespace)).toBe(round.exists);
      expect(after.containers[round.namespace] ?? []).toEqual(round.listed);
    }
    expect(await berthd.stop()).toBe(0);

    const census = await censusOf(join(berthd.root, "data", "db"));
    expect(census.orphans).toEqual([]);
    expect([...census.namespaces].sort()).toEqual(before.namespaces);
    const stored = Object.fromEntries([...census.containers].map(([namespace, ids]) => [namespace, [...ids].sort()]));
    expect(stored).toEqual(before.containers);
    console.log(
      `e2e restart: ${before.namespaces.length} namespaces, ${Object.values(before.containers).flat().length} containers identical after restart; raw census of ${census.keys} keys: ${census.orphans.length} stranded`,
    );
  });
});

/** Every namespace and the containers listed in each. */
async function snapshot(client: BerthClient): Promise<{ namespaces: string[]; containers: Record<string, string[]> }> {
  const namespaces = await namespaceNames(client);
  const containers: Record<string, string[]> = {};
  for (const namespace of namespaces) {
    const ids = await listIds(client.withNamespace(namespace));
    if (ids.length > 0) containers[namespace] = ids;
  }
  return { namespaces, containers };
}

async function createContainer(client: BerthClient, container: Container): Promise<void> {
  await client.containers.create({ container });
  ledger.expect(client.namespace, "/containers/create", container.id);
}

async function updateContainer(
  client: BerthClient,
  request: Parameters<BerthClient["containers"]["update"]>[0],
): Promise<void> {
  await client.containers.update(request);
  ledger.expect(client.namespace, "/containers/update", request.container?.id ?? "");
}

/** One client's namespace and container calls in the namespace race's terms. */
function raceOps(client: BerthClient): NamespaceRaceOps {
  return {
    async createNamespace(namespace) {
      await client.withNamespace(namespace).namespaces.create({ namespace: { name: namespace } });
      ledger.expect(namespace, "/namespaces/create", namespace);
    },
    createContainer: (namespace, id) => createContainer(client.withNamespace(namespace), newContainer({ id })),
    async deleteContainer(namespace, id) {
      await client.withNamespace(namespace).containers.delete({ id });
      ledger.expect(namespace, "/containers/delete", id);
    },
    async deleteNamespace(namespace) {
      try {
        await client.namespaces.delete({ name: namespace });
      } catch (error) {
        if (isCode(error, Code.FailedPrecondition)) return "not empty";
        if (isCode(error, Code.NotFound)) return "not found";
        throw error;
      }
      ledger.expect(namespace, "/namespaces/delete", namespace);
      return "deleted";
    },
    namespaceExists: async (namespace) => (await namespaceNames(client)).includes(namespace),
    listContainers: (namespace) => listIds(client.withNamespace(namespace)),
    async containerExists(namespace, id) {
      try {
        await client.withNamespace(namespace).containers.get({ id });
        return true;
      } catch (error) {
        if (isCode(error, Code.NotFound)) return false;
        throw error;
      }
    },
  };
}

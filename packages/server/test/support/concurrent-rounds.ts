import type { ContainerState, Operation, Outcome } from "./container-history.js";

/** One container id's operations, as a store or a client performs them; other errors propagate. */
export interface ContainerOps {
  /** Creates the id with `image = tag`, no labels. */
  create(id: string, tag: string): Promise<Outcome>;
  /** Sets the label `tag=1` alone (mask `labels.<tag>`); returns the container as written. */
  update(id: string, tag: string): Promise<{ outcome: Outcome; observed?: ContainerState }>;
  delete(id: string): Promise<Outcome>;
  get(id: string): Promise<{ outcome: Outcome; observed?: ContainerState }>;
}

/** A deterministic pseudo-random source (mulberry32), so a failing plan can be replayed from its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One planned operation: what to do, through which lane, after how many event-loop turns. */
export interface PlannedOperation {
  readonly kind: Operation["kind"];
  readonly tag: string;
  readonly lane: number;
  readonly delayTurns: number;
}

/** A round on one id: whether it exists first (created with tag `init`), then the operations. */
export interface RoundPlan {
  readonly startsPresent: boolean;
  readonly operations: readonly PlannedOperation[];
}

/** How many operations of each kind a round issues. */
export interface RoundShape {
  readonly creates: number;
  readonly updates: number;
  readonly deletes: number;
  readonly gets: number;
  readonly lanes: number;
}

/** Plans a round: the operations in a random order, each on a random lane and with a small random delay. */
export function planRound(random: () => number, shape: RoundShape): RoundPlan {
  const kinds: [Operation["kind"], number][] = [
    ["create", shape.creates],
    ["update", shape.updates],
    ["delete", shape.deletes],
    ["get", shape.gets],
  ];
  const operations = kinds.flatMap(([kind, count]) =>
    Array.from({ length: count }, (_, i) => ({
      kind,
      tag: kind === "create" ? `c${i}` : `u${i}`,
      lane: Math.floor(random() * shape.lanes),
      delayTurns: Math.floor(random() * 3),
    })),
  );
  for (let i = operations.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [operations[i], operations[j]] = [operations[j] as PlannedOperation, operations[i] as PlannedOperation];
  }
  return { startsPresent: random() < 0.5, operations };
}

/** What a round did: the history, the state before and the state a read saw after it. */
export interface RoundResult {
  readonly initial: ContainerState;
  readonly operations: readonly Operation[];
  readonly final: ContainerState;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs a planned round on `id` (which must not exist yet), all operations at once. */
export async function runRound(lanes: readonly ContainerOps[], id: string, plan: RoundPlan): Promise<RoundResult> {
  const first = lanes[0];
  if (first === undefined) throw new Error("no lanes");
  let initial: ContainerState;
  if (plan.startsPresent) {
    if ((await first.create(id, "init")) !== "ok") throw new Error(`could not set up ${id}`);
    initial = { create: "init", updates: [] };
  }
  const operations = await Promise.all(
    plan.operations.map(async (planned): Promise<Operation> => {
      for (let n = 0; n < planned.delayTurns; n++) await turn();
      const ops = lanes[planned.lane % lanes.length] ?? first;
      const invokedAt = performance.now();
      const result = await perform(ops, id, planned);
      const settledAt = performance.now();
      return { kind: planned.kind, tag: planned.tag, invokedAt, settledAt, ...result };
    }),
  );
  const after = await first.get(id);
  return { initial, operations, final: after.outcome === "ok" ? after.observed : undefined };
}

async function perform(
  ops: ContainerOps,
  id: string,
  planned: PlannedOperation,
): Promise<{ outcome: Outcome; observed?: ContainerState }> {
  switch (planned.kind) {
    case "create":
      return { outcome: await ops.create(id, planned.tag) };
    case "update":
      return ops.update(id, planned.tag);
    case "delete":
      return { outcome: await ops.delete(id) };
    case "get":
      return ops.get(id);
  }
}

/**
 * Starts `tasks` in order, each after a random pause of a few event-loop turns
 * or a few milliseconds (about one synced commit), so that a task sometimes overtakes the one started before
 * it and sometimes lets it finish; settles with every result in task order.
 */
export function startStaggered<T>(
  random: () => number,
  tasks: readonly (() => Promise<T>)[],
): Promise<PromiseSettledResult<T>[]> {
  let previous: Promise<void> = Promise.resolve();
  const started = tasks.map((task) => {
    const pause = random();
    const begin = previous.then(async () => {
      if (pause < 0.2) await new Promise((resolve) => setTimeout(resolve, 1 + pause * 20));
      else for (let n = 0; n < Math.floor(pause * 4); n++) await turn();
    });
    previous = begin;
    return begin.then(task);
  });
  return Promise.allSettled(started);
}

/** Counts of results per kind (`create:ok`, `delete:not-found`, …) and of final states, for the CI log. */
export class OutcomeTally {
  private readonly counts = new Map<string, number>();

  /** Adds a round's results. */
  add(result: RoundResult): void {
    for (const operation of result.operations) this.bump(`${operation.kind}:${operation.outcome}`);
    this.bump(result.final === undefined ? "final:absent" : "final:present");
  }

  /** How often `name` was counted. */
  count(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  /** `name=count` pairs in name order. */
  toString(): string {
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `${name}=${count}`)
      .join(" ");
  }

  private bump(name: string): void {
    this.counts.set(name, this.count(name) + 1);
  }
}

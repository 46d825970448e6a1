import { startStaggered } from "./concurrent-rounds.js";

/** What a namespace Delete answered. */
export type NamespaceDeleteOutcome = "deleted" | "not found" | "not empty";

/** The operations a namespace race needs, through a store or a client; unexpected errors propagate. */
export interface NamespaceRaceOps {
  createNamespace(namespace: string): Promise<void>;
  createContainer(namespace: string, id: string): Promise<void>;
  deleteContainer(namespace: string, id: string): Promise<void>;
  deleteNamespace(namespace: string): Promise<NamespaceDeleteOutcome>;
  namespaceExists(namespace: string): Promise<boolean>;
  /** Container ids listed in the namespace, in any order. */
  listContainers(namespace: string): Promise<string[]>;
  /** Whether a Get of the container finds it. */
  containerExists(namespace: string, id: string): Promise<boolean>;
}

/**
 * How a round begins. `unknown`: no namespace, Creates race the Delete.
 * `empty`: an empty namespace, Creates race the Delete. `holding`: a namespace
 * with containers; their Deletes and new Creates race the Delete. `emptied`: a
 * namespace with containers whose Deletes race a namespace Delete that is
 * retried until it succeeds.
 */
export type RaceVariant = "unknown" | "empty" | "holding" | "emptied";

/** Every variant, in the order rounds cycle through them. */
export const RACE_VARIANTS: readonly RaceVariant[] = ["unknown", "empty", "holding", "emptied"];

/** What a round did and what was there afterwards. */
export interface RaceRound {
  readonly namespace: string;
  readonly variant: RaceVariant;
  /** The last namespace Delete's answer. */
  readonly outcome: NamespaceDeleteOutcome;
  /** Namespace Deletes sent (more than one only in `emptied`). */
  readonly attempts: number;
  /** Ids of the acknowledged Creates: every one must be listed afterwards, and nothing else. */
  readonly created: readonly string[];
  readonly listed: readonly string[];
  /** Ids of the round (old and new) that a Get finds afterwards. */
  readonly gettable: readonly string[];
  readonly exists: boolean;
}

const MAX_ATTEMPTS = 10_000;

/** Runs one round of a namespace Delete racing container writes in `namespace` (unused before). */
export async function raceNamespaceDelete(
  ops: NamespaceRaceOps,
  random: () => number,
  namespace: string,
  variant: RaceVariant,
): Promise<RaceRound> {
  const old = variant === "holding" || variant === "emptied" ? 1 + Math.floor(random() * 4) : 0;
  const fresh = variant === "emptied" ? 0 : 1 + Math.floor(random() * 6);
  if (variant === "empty") await ops.createNamespace(namespace);
  for (let i = 0; i < old; i++) await ops.createContainer(namespace, `old-${i}`);
  const created = Array.from({ length: fresh }, (_, i) => `new-${i}`);
  const tasks: (() => Promise<unknown>)[] = [
    ...Array.from({ length: old }, (_, i) => () => ops.deleteContainer(namespace, `old-${i}`)),
    ...created.map((id) => () => ops.createContainer(namespace, id)),
  ];
  let outcome: NamespaceDeleteOutcome | undefined;
  let attempts = 0;
  tasks.splice(Math.floor(random() * (tasks.length + 1)), 0, async () => {
    for (;;) {
      attempts += 1;
      outcome = await ops.deleteNamespace(namespace);
      if (variant !== "emptied" || outcome !== "not empty" || attempts >= MAX_ATTEMPTS) break;
      // Retry about once per synced commit, not in a tight loop that starves the Deletes it waits for.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  });
  const settled = await startStaggered(random, tasks);
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  if (outcome === undefined) throw new Error(`${namespace}: the namespace Delete did not settle`);
  const [listed, exists] = await Promise.all([ops.listContainers(namespace), ops.namespaceExists(namespace)]);
  const ids = [...Array.from({ length: old }, (_, i) => `old-${i}`), ...created];
  const found = await Promise.all(ids.map((id) => ops.containerExists(namespace, id)));
  const gettable = ids.filter((_, i) => found[i]).sort();
  return { namespace, variant, outcome, attempts, created, listed: [...listed].sort(), gettable, exists };
}

/**
 * The round's broken invariants, empty when it is sound: exactly the
 * acknowledged Creates are listed and found by Get; the namespace record exists exactly when
 * containers are in it or the Delete was refused for them; a Delete succeeds
 * only on a namespace that existed and was empty at that moment.
 */
export function raceViolations(round: RaceRound): string[] {
  const problems: string[] = [];
  const expected = [...round.created].sort();
  if (JSON.stringify(round.listed) !== JSON.stringify(expected)) {
    problems.push(`listed ${JSON.stringify(round.listed)}, acknowledged ${JSON.stringify(expected)}`);
  }
  if (JSON.stringify(round.gettable) !== JSON.stringify(expected)) {
    problems.push(`Get finds ${JSON.stringify(round.gettable)}, acknowledged ${JSON.stringify(expected)}`);
  }
  if (!round.exists && round.listed.length > 0) problems.push("containers listed in a namespace with no record");
  const shouldExist = round.outcome === "not empty" || round.created.length > 0;
  if (round.exists !== shouldExist) {
    problems.push(`namespace ${round.exists ? "exists" : "is gone"} after Delete answered ${round.outcome}`);
  }
  if (round.variant === "unknown" && round.outcome === "deleted") problems.push("deleted a namespace never created");
  if (round.variant === "emptied" && round.outcome !== "deleted") problems.push("retried Delete never succeeded");
  return problems.map((problem) => `${round.namespace} (${round.variant}): ${problem}`);
}

/** Counts `variant:outcome` pairs for the CI log. */
export function summarise(rounds: readonly RaceRound[]): string {
  const counts = new Map<string, number>();
  for (const round of rounds) {
    const key = `${round.variant}:${round.outcome.replace(" ", "-")}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const attempts = rounds.filter((r) => r.variant === "emptied").reduce((sum, r) => sum + r.attempts, 0);
  return `${[...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}; ${attempts} Deletes sent in emptied rounds`;
}

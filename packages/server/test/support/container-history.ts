/**
 * A linearizability oracle for one container id: given every operation on the
 * id with its invocation and settle times and what it returned, finds an order
 * of the operations that (a) respects real time (an operation that settled
 * before another was invoked comes first), (b) gives every operation exactly the
 * result it got, and (c) ends in the state a final read saw. No such order means
 * the store lost, resurrected or invented a write.
 *
 * Each write leaves a fingerprint, so the state names its history: a Create
 * stores `image = <its tag>` and no labels, an Update sets only the label
 * `<its tag>=1` (mask `labels.<tag>`). The state is then "which Create made the
 * container, and which Updates it carries since".
 */

/** A container as observed; `undefined` means absent. */
export type ContainerState = { readonly create: string; readonly updates: readonly string[] } | undefined;

/** What an operation returned. */
export type Outcome = "ok" | "already-exists" | "not-found";

/** One completed operation on the id. */
export interface Operation {
  readonly kind: "create" | "update" | "delete" | "get";
  /** The Create's image or the Update's label key; unused for Delete and Get. */
  readonly tag: string;
  readonly invokedAt: number;
  readonly settledAt: number;
  readonly outcome: Outcome;
  /** For an acknowledged Update, the container it returned; for a Get that found it, what it read. */
  readonly observed?: ContainerState;
}

/** Limit of {@link linearize}: histories are searched with a bitmask of done operations. */
export const MAX_OPERATIONS = 30;

const key = (state: ContainerState) =>
  state === undefined ? "-" : `${state.create}|${[...state.updates].sort().join(",")}`;

/** The state after `operation` from `state` and the result it must have had, per containerd's rules. */
function step(state: ContainerState, operation: Operation): { next: ContainerState; outcome: Outcome } {
  switch (operation.kind) {
    case "create":
      return state === undefined
        ? { next: { create: operation.tag, updates: [] }, outcome: "ok" }
        : { next: state, outcome: "already-exists" };
    case "update":
      return state === undefined
        ? { next: state, outcome: "not-found" }
        : {
            next: { create: state.create, updates: [...new Set([...state.updates, operation.tag])] },
            outcome: "ok",
          };
    case "delete":
      return state === undefined ? { next: state, outcome: "not-found" } : { next: undefined, outcome: "ok" };
    case "get":
      return { next: state, outcome: state === undefined ? "not-found" : "ok" };
  }
}

/** Whether `operation`, applied to `state`, returns what it was seen to return. */
function fits(state: ContainerState, operation: Operation): ContainerState | false {
  const { next, outcome } = step(state, operation);
  if (outcome !== operation.outcome) return false;
  const observable = operation.kind === "get" || operation.kind === "update";
  if (observable && outcome === "ok" && key(next) !== key(operation.observed)) return false;
  return next;
}

/**
 * A real-time-respecting order of `operations` that explains every result and
 * ends in `final`, or `undefined` when none exists (a consistency violation).
 */
export function linearize(
  initial: ContainerState,
  operations: readonly Operation[],
  final: ContainerState,
): Operation[] | undefined {
  if (operations.length > MAX_OPERATIONS) throw new Error(`at most ${MAX_OPERATIONS} operations per history`);
  const all = 2 ** operations.length - 1;
  // predecessors[j]: operations that settled before j was invoked, so must precede it.
  const predecessors = operations.map((later) =>
    operations.reduce((mask, earlier, i) => (earlier.settledAt < later.invokedAt ? mask | (1 << i) : mask), 0),
  );
  const dead = new Set<string>();
  const order: Operation[] = [];

  const search = (done: number, state: ContainerState): boolean => {
    if (done === all) return key(state) === key(final);
    const memo = `${done}/${key(state)}`;
    if (dead.has(memo)) return false;
    for (let i = 0; i < operations.length; i++) {
      const bit = 1 << i;
      const operation = operations[i];
      if (operation === undefined || (done & bit) !== 0 || (predecessors[i] & ~done) !== 0) continue;
      const next = fits(state, operation);
      if (next === false) continue;
      order.push(operation);
      if (search(done | bit, next)) return true;
      order.pop();
    }
    dead.add(memo);
    return false;
  };
  return search(0, initial) ? order : undefined;
}

/** A seeded pseudo-random source, so a fuzz run can be repeated exactly from its printed seed. */
export interface Random {
  /** The seed this source started from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
}

/**
 * The seed of a fuzz run: `BERTH_FUZZ_SEED` when set (to replay a failure), else a fixed default so
 * that CI runs the same inputs every time.
 */
export function fuzzSeed(): number {
  const configured = process.env.BERTH_FUZZ_SEED;
  return configured === undefined || configured === "" ? 0x5eed_b347 : Number(configured) >>> 0;
}

/** A mulberry32 generator: small, fast and good enough to pick test inputs. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)] as (typeof items)[number],
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = int(256);
      return out;
    },
  };
}

import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { TurnPacer } from "../../src/rpc/turn-pacer.js";

describe("TurnPacer", () => {
  it("starts a lone task at once", () => {
    const pacer = new TurnPacer(4);
    let ran = false;
    pacer.run(() => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("starts at most perTurn tasks per turn, the rest in later turns in arrival order", async () => {
    const pacer = new TurnPacer(4);
    const started: number[] = [];
    for (let i = 0; i < 10; i++) pacer.run(() => started.push(i));
    expect(started).toEqual([0, 1, 2, 3]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await nextTurn();
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("queues a task that arrives while others wait, even in a new turn", async () => {
    const pacer = new TurnPacer(2);
    const started: string[] = [];
    for (const name of ["a", "b", "c", "d", "e"]) pacer.run(() => started.push(name));
    await nextTurn();
    // The turn after: c and d have started, e still waits, so f goes behind it.
    pacer.run(() => started.push("f"));
    expect(started).toEqual(["a", "b", "c", "d"]);
    await nextTurn();
    expect(started).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  it("gives every turn a fresh allowance", async () => {
    const pacer = new TurnPacer(1);
    const started: number[] = [];
    pacer.run(() => started.push(1));
    await nextTurn();
    pacer.run(() => started.push(2));
    expect(started).toEqual([1, 2]);
  });
});

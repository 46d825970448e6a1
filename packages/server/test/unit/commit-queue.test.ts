/**
 * The commit queue's hand-over between flushes: a commit made in the very
 * turn the previous one resolves (before the flush that wrote it has wound
 * down) must start a flush of its own, not wait for one that has ended.
 */
import { MemoryLevel } from "memory-level";
import { describe, expect, it } from "vitest";
import { createCommitQueue } from "../../src/store/commit-queue.js";
import type { Database } from "../../src/store/layout.js";

describe("the commit queue", () => {
  it("writes a commit made as soon as the previous one resolves", async () => {
    const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    const queue = createCommitQueue(db as unknown as Database);
    const value = new Uint8Array([1]);
    for (let i = 0; i < 100; i++) {
      // Each commit is made in the continuation of the previous one, with no other turn in between.
      await queue.commit((batch) => batch.put(`k${i}`, value));
    }
    const chained = await new Promise<string>((resolve, reject) => {
      queue
        .commit((batch) => batch.put("a", value))
        .then(() => queue.commit((batch) => batch.put("b", value)))
        .then(() => resolve("done"), reject);
      setTimeout(() => resolve("stuck"), 2000);
    });
    expect(chained).toBe("done");
    expect(await db.keys().all()).toHaveLength(102);
    await queue.drain();
  });
});

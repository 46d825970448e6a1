/**
 * berth.containers.v1.PagesService: pages in id order that writes between
 * pages do not shift, tokens bound to their filters, totals, indexed filters.
 */
import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { newContainer } from "../support/containers.js";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
const id = (index: number) => `c-${String(index).padStart(3, "0")}`;

beforeEach(async () => {
  berth = await createInMemoryBerth();
  for (let index = 0; index < 250; index++) {
    await berth.client.containers.create({
      container: newContainer({ id: id(index * 2), labels: { group: `g${index % 5}` } }),
    });
  }
});

describe("PagesService.ListPage", () => {
  it("walks every container once, in id order, while others are created and deleted between pages", async () => {
    const pages = berth.client.pages;
    const seen: string[] = [];
    let pageToken = "";
    let round = 0;
    do {
      const page = await pages.listPage({ pageSize: 100, pageToken, includeTotal: round === 0 });
      if (round === 0) expect(page.total).toBe(250n);
      else expect(page.total).toBeUndefined();
      seen.push(...page.containers.map((container) => container.id));
      pageToken = page.nextPageToken;
      if (pageToken !== "") {
        // Between pages: one created before the position (not seen), one after (seen), one ahead deleted (not seen).
        const last = Number(seen.at(-1)?.slice(2));
        await berth.client.containers.create({ container: newContainer({ id: id(last - 1) }) });
        await berth.client.containers.create({ container: newContainer({ id: id(last + 1) }) });
        await berth.client.containers.delete({ id: id(last + 4) });
      }
      round++;
    } while (pageToken !== "");
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    const now = (await berth.client.containers.list({})).containers.map((container) => container.id);
    // What exists now and was not seen is exactly what was created behind a page's position.
    const behind = now.filter((existing) => !seen.includes(existing));
    expect(behind).toEqual([id(197), id(397)]);
    // Nothing deleted ahead of the position was sent.
    expect(seen.filter((sent) => !now.includes(sent))).toEqual([]);
  });

  it("applies filters (through the index), counts them, and refuses a token made for other filters", async () => {
    const pages = berth.client.pages;
    const first = await pages.listPage({ filters: ["labels.group==g3"], pageSize: 20, includeTotal: true });
    expect(first.total).toBe(50n);
    expect(first.containers.map((container) => container.labels.group)).toEqual(Array(20).fill("g3"));
    const second = await pages.listPage({
      filters: ["labels.group==g3"],
      pageSize: 40,
      pageToken: first.nextPageToken,
    });
    expect(second.containers).toHaveLength(30);
    expect(second.nextPageToken).toBe("");
    await expectStatus(
      pages.listPage({ filters: ["labels.group==g4"], pageToken: first.nextPageToken }),
      Code.InvalidArgument,
      `page_token "${first.nextPageToken}" was made for other filters: invalid argument`,
    );
    await expectStatus(
      pages.listPage({ pageToken: "bm9wZQ" }),
      Code.InvalidArgument,
      'page_token "bm9wZQ" is not a page token: invalid argument',
    );
    await expectStatus(
      pages.listPage({ pageSize: 10_001 }),
      Code.InvalidArgument,
      "page_size 10001 is above the largest page, 10000: invalid argument",
    );
  });

  it("starts after an id, and gives 100 by default", async () => {
    const page = await berth.client.pages.listPage({ startAfter: id(399) });
    expect(page.containers.map((container) => container.id)).toEqual(
      Array.from({ length: 50 }, (_, index) => id(400 + index * 2)),
    );
    expect(page.nextPageToken).toBe("");
    expect((await berth.client.pages.listPage({})).containers).toHaveLength(100);
  });
});

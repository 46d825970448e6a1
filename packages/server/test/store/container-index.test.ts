/**
 * The container index against the scanning matcher: random creates, updates
 * and deletes, then random filter lists (some pinned by an indexed field, some
 * not) listed through the service must give exactly what matching every
 * record with containerd's filter rules gives. `berthd check`'s verifier must
 * find the index whole after each round, and a database that lost its index
 * must get it back when it is opened again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { afterEach, describe, expect, it } from "vitest";
import { verifyStore } from "../../src/check/verify-store.js";
import { createExchange } from "../../src/events/exchange.js";
import { containerFields } from "../../src/local/container-fields.js";
import { parseFilters } from "../../src/local/filters/index.js";
import { createLocal } from "../../src/local/index.js";
import { resolveNamespace } from "../../src/local/namespace.js";
import { INDEX_COMPLETE_KEY } from "../../src/store/container-index.js";
import { type Database, Layout } from "../../src/store/layout.js";
import { openStore } from "../../src/store/open.js";
import { createInMemoryBerth } from "../support/in-memory.js";

/** A small seeded PRNG (mulberry32): every run draws the same cases. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["env", "tier", "a.b", "com.example/team"];
const VALUES = ["prod", "dev", "x y", "日本"];
const IMAGES = ["", "docker.io/library/redis:7", "docker.io/library/nginx:1"];
const RUNTIMES = ["io.containerd.runc.v2", "io.containerd.kata.v2"];
const SPEC = create(AnySchema, {
  typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec",
  value: new TextEncoder().encode('{"ociVersion":"1.0.2"}'),
});

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

function randomLabels(next: () => number): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of KEYS) if (next() < 0.5) labels[key] = pick(next, VALUES);
  return labels;
}

/** A selector in containerd's syntax, pinning an indexed field or not. */
function randomSelector(next: () => number, ids: readonly string[]): string {
  const quote = (value: string) => JSON.stringify(value);
  const key = pick(next, KEYS);
  const labelPath = /^[A-Za-z0-9_]+$/.test(key) ? `labels.${key}` : `labels.${quote(key)}`;
  switch (Math.floor(next() * 8)) {
    case 0:
      return `id==${quote(pick(next, ids))}`;
    case 1:
    case 2:
      return `${labelPath}==${quote(pick(next, VALUES))}`;
    case 3:
      return `image==${quote(pick(next, IMAGES))}`;
    case 4:
      return `runtime.name==${quote(pick(next, RUNTIMES))}`;
    case 5:
      return `${labelPath}!=${quote(pick(next, VALUES))}`;
    case 6:
      return labelPath;
    default:
      return `image~=${quote("nginx")}`;
  }
}

function randomFilters(next: () => number, ids: readonly string[]): string[] {
  return Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
    Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomSelector(next, ids)).join(","),
  );
}

/** What containerd's matcher keeps of `all`, in id order. */
function scanned(all: readonly Container[], filters: readonly string[]): string[] {
  const filter = parseFilters(filters);
  return all
    .filter((container) => filter.match(containerFields(toBinary(ContainerSchema, container))))
    .map((container) => container.id);
}

describe("the container index", () => {
  it("lists exactly what the scanning matcher matches, through creates, updates and deletes", async () => {
    const berth = await createInMemoryBerth();
    const client = berth.client.withNamespace("prop");
    const next = random(20261206);
    const ids = Array.from({ length: 60 }, (_, index) => `c${index}`);
    const live = new Set<string>();
    for (let round = 0; round < 8; round++) {
      for (let step = 0; step < 40; step++) {
        const id = pick(next, ids);
        if (!live.has(id)) {
          await client.containers.create({
            container: {
              id,
              image: pick(next, IMAGES),
              labels: randomLabels(next),
              runtime: { name: pick(next, RUNTIMES) },
              spec: SPEC,
            },
          });
          live.add(id);
        } else if (next() < 0.7) {
          const paths = next() < 0.5 ? ["labels"] : ["image", `labels.${pick(next, KEYS)}`];
          await client.containers.update({
            container: { id, image: pick(next, IMAGES), labels: randomLabels(next) },
            updateMask: { paths },
          });
        } else {
          await client.containers.delete({ id });
          live.delete(id);
        }
      }
      const all = (await client.containers.list({})).containers;
      expect(all.map((container) => container.id).sort()).toEqual([...live].sort());
      for (let query = 0; query < 60; query++) {
        const filters = randomFilters(next, ids);
        const listed = (await client.containers.list({ filters })).containers.map((container) => container.id);
        expect({ filters, listed }).toEqual({ filters, listed: scanned(all, filters) });
      }
      const report = await verifyStore(berth.db as unknown as Database);
      expect(report.problems).toEqual([]);
    }
  });

  it("is rebuilt when a database without it is opened, and berthd check finds it whole", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-index-"));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const write = await openStore(root);
    const local = createLocal(write, createExchange());
    const namespace = resolveNamespace("old");
    for (let index = 0; index < 50; index++) {
      await local.containers.create(
        namespace,
        create(ContainerSchema, {
          id: `c${index}`,
          labels: { group: `g${index % 5}` },
          runtime: { name: "io.containerd.runc.v2" },
          spec: SPEC,
        }),
      );
    }
    await write.close();

    // As a database from before the index: no marker, no entries.
    const { Level } = await import("level");
    const raw = new Level<string, Uint8Array>(join(root, "db"), { keyEncoding: "utf8", valueEncoding: "view" });
    const layout = new Layout(raw as unknown as Database);
    await layout.meta.del(INDEX_COMPLETE_KEY);
    const entries = await layout.of("old").index.keys().all();
    expect(entries.length).toBe(100);
    await layout.of("old").index.batch(entries.map((key) => ({ type: "del" as const, key })));
    const before = await verifyStore(raw as unknown as Database);
    expect(before.problems.map((problem) => problem.problem)).toEqual([
      expect.stringMatching(/^missing index entry of container /),
      ...Array(99).fill(expect.stringMatching(/^missing index entry of container /)),
      expect.stringMatching(/^missing: the container index was never completed/),
    ]);
    await raw.close();

    const reopened = await openStore(root);
    const listed = createLocal(reopened, createExchange()).containers.list(namespace, ["labels.group==g3"]);
    const ids: string[] = [];
    for await (const stored of listed) ids.push(stored.container.id);
    expect(ids).toEqual(["c13", "c18", "c23", "c28", "c3", "c33", "c38", "c43", "c48", "c8"]);
    await reopened.close();
    const after = new Level<string, Uint8Array>(join(root, "db"), { keyEncoding: "utf8", valueEncoding: "view" });
    expect((await verifyStore(after as unknown as Database)).problems).toEqual([]);
    await after.close();
  });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { LeaseSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create, equals, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { AbstractValueIterator } from "abstract-level";
import { Level } from "level";
import { MemoryLevel } from "memory-level";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import type { Database } from "../../src/store/layout.js";
import { createLevelStore } from "../../src/store/level-store.js";
import { openStore, StoreLockedError } from "../../src/store/open.js";
import type { ContainerStore, Store } from "../../src/store/types.js";

/** The plain-object form of a container init (spreading the message form would not type-check). */
type ContainerInit = Exclude<MessageInitShape<typeof ContainerSchema>, Container>;

const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
const bytes = (text: string) => new TextEncoder().encode(text);

/** A small valid container, with overrides. */
function container(id: string, init: ContainerInit = {}): Container {
  return create(ContainerSchema, {
    id,
    runtime: { name: "io.containerd.runc.v2" },
    spec: create(AnySchema, { typeUrl: SPEC_TYPE_URL, value: bytes('{"ociVersion":"1.0.2"}') }),
    ...init,
  });
}

/** A container using every field, with awkward bytes in the Any values. */
function richContainer(id: string): Container {
  const binary = new Uint8Array(256).map((_, i) => i);
  return create(ContainerSchema, {
    id,
    labels: {
      "containerd.io/gc.ref.snapshot.overlayfs": "snap-1",
      "a.b/c": "dotted/slashed",
      unicode: "日本語 ✓ 😀",
      big: "v".repeat(4093),
    },
    image: "docker.io/library/busybox:latest",
    runtime: {
      name: "io.containerd.runc.v2",
      options: create(AnySchema, { typeUrl: "containerd.runc.v1.Options", value: bytes("\x0a\x04runc\x10\x01") }),
    },
    spec: create(AnySchema, {
      typeUrl: SPEC_TYPE_URL,
      value: bytes(`{"ociVersion":"1.0.2","x":"${"y".repeat(65536)}"}`),
    }),
    snapshotter: "overlayfs",
    snapshotKey: `${id}-snapshot`,
    createdAt: { seconds: 1_700_000_000n, nanos: 123_456_789 },
    updatedAt: { seconds: 1_700_000_001n, nanos: 1 },
    extensions: {
      "ext.binary": create(AnySchema, { typeUrl: "example.com/Binary", value: binary }),
      "ext.empty": create(AnySchema),
      "io.x/y": create(AnySchema, { typeUrl: "example.com/Text", value: bytes("hello") }),
    },
  });
}

/** The store with reads decoded, as most of these tests compare whole containers. */
function decoding(store: ContainerStore) {
  return {
    ...store,
    get: async (namespace: string, id: string) => (await store.get(namespace, id))?.container,
    async *list(namespace: string, options?: { signal?: AbortSignal }) {
      for await (const stored of store.list(namespace, options)) yield stored.container;
    },
  };
}

/** Collects a listing's ids. */
async function listIds(store: ReturnType<typeof decoding>, namespace: string, signal?: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for await (const c of store.list(namespace, signal === undefined ? {} : { signal })) ids.push(c.id);
  return ids;
}

/** The rejection of a promise, or fails the test. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

const byteOrder = (ids: readonly string[]) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

interface Harness {
  /** Opens a fresh, empty store. */
  open(): Promise<Store>;
  /** Closes what `open` left open and removes its files. */
  cleanup(): Promise<void>;
}

interface Variant {
  readonly name: string;
  readonly onDisk: boolean;
  readonly harness: () => Harness;
}

const variants: Variant[] = [
  {
    name: "memory-level",
    onDisk: false,
    harness() {
      const stores: Store[] = [];
      return {
        async open() {
          const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
          const store = await createLevelStore(db as unknown as Database);
          stores.push(store);
          return store;
        },
        async cleanup() {
          for (const store of stores) await store.close().catch(() => {});
        },
      };
    },
  },
  {
    name: "classic-level",
    onDisk: true,
    harness() {
      const stores: Store[] = [];
      const dirs: string[] = [];
      return {
        async open() {
          const dir = await mkdtemp(join(tmpdir(), "berth-store-"));
          dirs.push(dir);
          const store = await openStore(dir);
          stores.push(store);
          return store;
        },
        async cleanup() {
          for (const store of stores) await store.close().catch(() => {});
          for (const dir of dirs) await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

describe.each(variants)("ContainerStore compliance: $name", ({ harness }) => {
  let h: Harness;
  let store: Store;
  let containers: ReturnType<typeof decoding>;

  beforeEach(async () => {
    h = harness();
    store = await h.open();
    containers = decoding(store.containers);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await h.cleanup();
  });

  describe("create and get", () => {
    it("round-trips a full record byte for byte", async () => {
      const original = richContainer("c1");
      const expectedBytes = toBinary(ContainerSchema, original);
      await containers.create("default", original);
      const got = await containers.get("default", "c1");
      expect(got).toBeDefined();
      if (got === undefined) return;
      expect(Buffer.from(toBinary(ContainerSchema, got)).equals(Buffer.from(expectedBytes))).toBe(true);
      expect(equals(ContainerSchema, got, original)).toBe(true);
      expect(got.createdAt).toMatchObject({ seconds: 1_700_000_000n, nanos: 123_456_789 });
      expect(got.updatedAt).toMatchObject({ seconds: 1_700_000_001n, nanos: 1 });
      expect(Array.from(got.extensions["ext.binary"]?.value ?? [])).toEqual(Array.from({ length: 256 }, (_, i) => i));
      expect(got.extensions["ext.empty"]?.typeUrl).toBe("");
      expect(got.runtime?.options?.typeUrl).toBe("containerd.runc.v1.Options");
      expect(Buffer.from(got.runtime?.options?.value ?? []).toString("latin1")).toBe("\x0a\x04runc\x10\x01");
      expect(got.labels).toEqual(original.labels);
      expect(got.spec?.value.length).toBe(original.spec?.value.length);
    });

    it("round-trips a minimal record (no labels, extensions or timestamps)", async () => {
      const original = create(ContainerSchema, { id: "bare" });
      await containers.create("default", original);
      const got = await containers.get("default", "bare");
      expect(got && equals(ContainerSchema, got, original)).toBe(true);
      expect(got?.labels).toEqual({});
      expect(got?.extensions).toEqual({});
      expect(got?.runtime).toBeUndefined();
      expect(got?.spec).toBeUndefined();
    });

    // protobuf-es decodes maps into plain objects: keys that name Object.prototype's members must stay
    // own data, neither polluting the prototype nor hiding other keys.
    it("keeps __proto__ and constructor label keys as plain data", async () => {
      const labels: Record<string, string> = {};
      Object.defineProperty(labels, "__proto__", { value: "p", enumerable: true, writable: true, configurable: true });
      Object.defineProperty(labels, "constructor", {
        value: "c",
        enumerable: true,
        writable: true,
        configurable: true,
      });
      const original = container("c1");
      original.labels = labels;
      await containers.create("default", original);
      const got = await containers.get("default", "c1");
      expect(Object.getPrototypeOf(got?.labels)).toBe(Object.prototype);
      expect(Object.keys(got?.labels ?? {}).sort()).toEqual(["__proto__", "constructor"]);
      expect(Object.getOwnPropertyDescriptor(got?.labels, "__proto__")?.value).toBe("p");
      expect(Object.getOwnPropertyDescriptor(got?.labels, "constructor")?.value).toBe("c");
    });

    it("returns a fresh object each time (no shared state with the caller)", async () => {
      const original = container("c1", { labels: { a: "1" } });
      await containers.create("default", original);
      original.labels.a = "changed";
      const first = await containers.get("default", "c1");
      expect(first?.labels).toEqual({ a: "1" });
      if (first) first.labels.a = "mutated";
      expect((await containers.get("default", "c1"))?.labels).toEqual({ a: "1" });
    });

    it("gets undefined for an unknown id or namespace", async () => {
      await containers.create("default", container("c1"));
      expect(await containers.get("default", "c2")).toBeUndefined();
      expect(await containers.get("default", "")).toBeUndefined();
      expect(await containers.get("other", "c1")).toBeUndefined();
      expect(await containers.get("never-used", "c1")).toBeUndefined();
    });

    it("rejects a duplicate id with already exists and keeps the first record", async () => {
      await containers.create("default", container("c1", { image: "first" }));
      const error = await rejectionOf(containers.create("default", container("c1", { image: "second" })));
      expect(error).toBeInstanceOf(BerthError);
      expect((error as BerthError).errorClass).toBe("already exists");
      expect((error as BerthError).message).toBe('container "c1": already exists');
      expect((await containers.get("default", "c1"))?.image).toBe("first");
    });

    it("keeps the same id in two namespaces independent", async () => {
      await containers.create("ns1", container("c1", { image: "one" }));
      await containers.create("ns2", container("c1", { image: "two" }));
      expect((await containers.get("ns1", "c1"))?.image).toBe("one");
      expect((await containers.get("ns2", "c1"))?.image).toBe("two");
      await containers.update("ns1", "c1", (c) => ({ ...c, image: "one-updated" }));
      expect((await containers.get("ns2", "c1"))?.image).toBe("two");
      expect(await containers.delete("ns1", "c1")).toBe(true);
      expect(await containers.get("ns1", "c1")).toBeUndefined();
      expect((await containers.get("ns2", "c1"))?.image).toBe("two");
    });
  });

  describe("list", () => {
    it("lists in byte order of id", async () => {
      const ids = ["b", "a_1", "B", "a1", "a.1", "a", "a-1"];
      for (const id of ids) await containers.create("default", container(id));
      const listed = await listIds(containers, "default");
      expect(listed).toEqual(["B", "a", "a-1", "a.1", "a1", "a_1", "b"]);
      expect(listed).toEqual(byteOrder(ids));
    });

    it("lists in UTF-8 byte order, not UTF-16 order", async () => {
      // U+FF61 is EF BD A1 in UTF-8, U+1F600 is F0 9F 98 80; in UTF-16 the surrogate D83D sorts first.
      for (const id of ["\u{1f600}", "\uff61", "z"]) await containers.create("default", container(id));
      expect(await listIds(containers, "default")).toEqual(["z", "\uff61", "\u{1f600}"]);
    });

    it("returns full records", async () => {
      const original = richContainer("c1");
      await containers.create("default", original);
      const listed: Container[] = [];
      for await (const c of containers.list("default")) listed.push(c);
      expect(listed).toHaveLength(1);
      expect(listed[0] && equals(ContainerSchema, listed[0], original)).toBe(true);
    });

    it("lists nothing for an unknown namespace", async () => {
      await containers.create("default", container("c1"));
      expect(await listIds(containers, "unknown")).toEqual([]);
      expect(await listIds(containers, "")).toEqual([]);
    });

    it("keeps namespaces apart even when one name is a prefix of another", async () => {
      await containers.create("a", container("in-a"));
      await containers.create("ab", container("in-ab"));
      await containers.create("a.b", container("in-a.b"));
      await containers.create("a-", container("in-a-"));
      await containers.create("b", container("in-b"));
      expect(await listIds(containers, "a")).toEqual(["in-a"]);
      expect(await listIds(containers, "ab")).toEqual(["in-ab"]);
      expect(await listIds(containers, "a.b")).toEqual(["in-a.b"]);
      expect(await listIds(containers, "b")).toEqual(["in-b"]);
    });

    it("does not see a namespace's containers from a namespace that is its prefix", async () => {
      await containers.create("ab", container("c1"));
      expect(await listIds(containers, "a")).toEqual([]);
      expect(await containers.bucket("a")).toBe("none");
      expect(await containers.get("a", "c1")).toBeUndefined();
    });

    it("stops when the signal aborts mid-iteration", async () => {
      for (const id of ["c1", "c2", "c3", "c4", "c5"]) await containers.create("default", container(id));
      const controller = new AbortController();
      const seen: string[] = [];
      for await (const c of containers.list("default", { signal: controller.signal })) {
        seen.push(c.id);
        if (seen.length === 2) controller.abort();
      }
      expect(seen).toEqual(["c1", "c2"]);
    });

    it("yields nothing when the signal is already aborted", async () => {
      await containers.create("default", container("c1"));
      expect(await listIds(containers, "default", AbortSignal.abort())).toEqual([]);
    });

    it("reads lazily and closes its iterator when the caller breaks", async () => {
      for (let i = 0; i < 50; i++) await containers.create("default", container(`c${String(i).padStart(2, "0")}`));
      const close = vi.spyOn(AbstractValueIterator.prototype, "close");
      const seen: string[] = [];
      for await (const c of containers.list("default")) {
        seen.push(c.id);
        // An eager listing would have read to the end and closed its iterator before yielding anything.
        expect(close).not.toHaveBeenCalled();
        break;
      }
      expect(seen).toEqual(["c00"]);
      expect(close).toHaveBeenCalled();
      // The store is still usable and the listing starts afresh.
      expect(await listIds(containers, "default")).toHaveLength(50);
    });

    it("can be left mid-way through its async iterator protocol", async () => {
      for (const id of ["c1", "c2", "c3"]) await containers.create("default", container(id));
      const iterator = containers.list("default")[Symbol.asyncIterator]();
      expect((await iterator.next()).value?.id).toBe("c1");
      await iterator.return?.();
      expect((await iterator.next()).done).toBe(true);
    });
  });

  describe("bucket", () => {
    it("is made by the first container and outlives the last, as containerd's bbolt bucket", async () => {
      expect(await containers.bucket("default")).toBe("none");
      await containers.create("default", container("c1"));
      await containers.create("default", container("c2"));
      expect(await containers.bucket("default")).toBe("holding");
      expect(await containers.bucket("other")).toBe("none");
      await containers.delete("default", "c1");
      expect(await containers.bucket("default")).toBe("holding");
      await containers.delete("default", "c2");
      expect(await containers.bucket("default")).toBe("empty");
    });

    it("goes with its namespace, like every bucket of it", async () => {
      await containers.create("gone", container("c1"));
      await containers.delete("gone", "c1");
      expect((await store.namespaces.delete("gone")).deleted).toBe(true);
      expect(await containers.bucket("gone")).toBe("none");
      await containers.create("gone", container("c2"));
      expect(await containers.bucket("gone")).toBe("holding");
    });

    it("is kept for leases the same way", async () => {
      expect(await store.leases.bucket("default")).toBe("none");
      await store.leases.create("default", create(LeaseSchema, { id: "l1" }));
      expect(await store.leases.bucket("default")).toBe("holding");
      await store.leases.delete("default", "l1");
      expect(await store.leases.bucket("default")).toBe("empty");
      expect(await containers.bucket("default")).toBe("none");
    });
  });

  describe("update", () => {
    it("returns undefined for a missing id without calling change", async () => {
      await containers.create("default", container("c1"));
      const change = vi.fn((c: Container) => c);
      expect(await containers.update("default", "c2", change)).toBeUndefined();
      expect(await containers.update("unknown", "c1", change)).toBeUndefined();
      expect(change).not.toHaveBeenCalled();
      expect(await containers.get("default", "c2")).toBeUndefined();
    });

    it("applies the change to the stored record and returns the stored result", async () => {
      await containers.create("default", container("c1", { image: "old", labels: { a: "1" } }));
      const change = vi.fn((c: Container) => ({ ...c, image: "new", labels: { ...c.labels, b: "2" } }));
      const result = await containers.update("default", "c1", change);
      expect(change).toHaveBeenCalledTimes(1);
      expect(change.mock.calls[0]?.[0].image).toBe("old");
      expect(change.mock.calls[0]?.[0].labels).toEqual({ a: "1" });
      expect(result?.image).toBe("new");
      expect(result?.labels).toEqual({ a: "1", b: "2" });
      const got = await containers.get("default", "c1");
      expect(got?.image).toBe("new");
      expect(got?.labels).toEqual({ a: "1", b: "2" });
      expect(got && result && equals(ContainerSchema, got, result)).toBe(true);
    });

    it("leaves the record untouched when change throws", async () => {
      const original = richContainer("c1");
      await containers.create("default", original);
      const boom = new Error("boom");
      const error = await rejectionOf(
        containers.update("default", "c1", (c) => {
          c.image = "mutated in place";
          c.labels.x = "y";
          throw boom;
        }),
      );
      expect(error).toBe(boom);
      const got = await containers.get("default", "c1");
      expect(got && equals(ContainerSchema, got, original)).toBe(true);
      // The key is not left locked.
      expect((await containers.update("default", "c1", (c) => ({ ...c, image: "after" })))?.image).toBe("after");
    });

    it("passes a BerthError from change through unchanged", async () => {
      await containers.create("default", container("c1"));
      const invalid = new BerthError("invalid argument", "nope: invalid argument");
      expect(
        await rejectionOf(
          containers.update("default", "c1", () => {
            throw invalid;
          }),
        ),
      ).toBe(invalid);
    });
  });

  describe("delete", () => {
    it("deletes an existing container and reports false afterwards", async () => {
      await containers.create("default", container("c1"));
      await containers.create("default", container("c2"));
      expect(await containers.delete("default", "c1")).toBe(true);
      expect(await containers.get("default", "c1")).toBeUndefined();
      expect(await listIds(containers, "default")).toEqual(["c2"]);
      expect(await containers.delete("default", "c1")).toBe(false);
      expect(await containers.delete("default", "never")).toBe(false);
      expect(await containers.delete("unknown", "c2")).toBe(false);
      expect(await listIds(containers, "default")).toEqual(["c2"]);
    });

    it("frees the id for a new create", async () => {
      await containers.create("default", container("c1", { image: "first" }));
      await containers.delete("default", "c1");
      await containers.create("default", container("c1", { image: "second" }));
      expect((await containers.get("default", "c1"))?.image).toBe("second");
    });
  });

  describe("concurrency", () => {
    it("lets exactly one of 64 concurrent creates of one id win", async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 64 }, (_, i) => containers.create("default", container("c1", { image: `img-${i}` }))),
      );
      const fulfilled = results.filter((r) => r.status === "fulfilled");
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(63);
      for (const r of rejected) {
        expect(r.reason).toBeInstanceOf(BerthError);
        expect((r.reason as BerthError).errorClass).toBe("already exists");
        expect((r.reason as BerthError).message).toBe('container "c1": already exists');
      }
      const winner = results.findIndex((r) => r.status === "fulfilled");
      expect((await containers.get("default", "c1"))?.image).toBe(`img-${winner}`);
      expect(await listIds(containers, "default")).toEqual(["c1"]);
    });

    it("loses no update when 32 concurrent updates each add a label", async () => {
      await containers.create("default", container("c1", { labels: { base: "1" } }));
      const keys = Array.from({ length: 32 }, (_, i) => `k${i}`);
      const results = await Promise.all(
        keys.map((k) => containers.update("default", "c1", (c) => ({ ...c, labels: { ...c.labels, [k]: "v" } }))),
      );
      expect(results.every((r) => r !== undefined)).toBe(true);
      const labels = (await containers.get("default", "c1"))?.labels ?? {};
      expect(Object.keys(labels).sort()).toEqual(["base", ...keys].sort());
      // Each update saw every earlier one: the label counts are 2, 3, …, 33 in some order.
      expect(results.map((r) => Object.keys(r?.labels ?? {}).length).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 32 }, (_, i) => i + 2),
      );
    });

    it("lands every one of 64 concurrent creates of different ids", async () => {
      const ids = Array.from({ length: 64 }, (_, i) => `c-${i}`);
      await Promise.all(ids.map((id) => containers.create("default", container(id))));
      expect(await listIds(containers, "default")).toEqual(byteOrder(ids));
    });
  });
});

describe("ContainerStore: memory-level specifics", () => {
  it("refuses a database whose schema version is not 1", async () => {
    const db = new MemoryLevel<string, string>({ keyEncoding: "utf8", valueEncoding: "utf8" });
    await db.put("!meta!schema", "99");
    const error = await rejectionOf(createLevelStore(db as unknown as Database));
    expect((error as Error).message).toBe("database layout version 99 is not supported (this berthd reads version 1)");
    await db.close();
  });

  it("writes schema version 1 into a fresh database", async () => {
    const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: "utf8", valueEncoding: "view" });
    const store = await createLevelStore(db as unknown as Database);
    expect(await db.get("!meta!schema", { valueEncoding: "utf8" })).toBe("1");
    await store.close();
  });
});

describe("ContainerStore: classic-level on disk", () => {
  let dir: string;
  const open: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-store-"));
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  async function openTracked(): Promise<Store> {
    const store = await openStore(dir);
    open.push(store);
    return store;
  }

  it("keeps everything across close and reopen", async () => {
    const first = await openTracked();
    const rich = richContainer("c1");
    await first.containers.create("default", rich);
    await first.containers.create("default", container("c2", { labels: { a: "1" } }));
    await first.containers.create("other", container("c1", { image: "other" }));
    await first.containers.update("default", "c2", (c) => ({ ...c, image: "updated" }));
    await first.containers.create("default", container("gone"));
    await first.containers.delete("default", "gone");
    await first.close();
    open.splice(0);

    const second = await openTracked();
    const got = await decoding(second.containers).get("default", "c1");
    expect(
      got && Buffer.from(toBinary(ContainerSchema, got)).equals(Buffer.from(toBinary(ContainerSchema, rich))),
    ).toBe(true);
    expect((await decoding(second.containers).get("default", "c2"))?.image).toBe("updated");
    expect((await decoding(second.containers).get("other", "c1"))?.image).toBe("other");
    expect(await decoding(second.containers).get("default", "gone")).toBeUndefined();
    expect(await listIds(decoding(second.containers), "default")).toEqual(["c1", "c2"]);
    expect(await second.containers.bucket("other")).toBe("holding");
    // The bucket of a namespace whose last container went is still there after a restart.
    await second.containers.delete("other", "c1");
    await second.close();
    open.splice(0);
    expect(await (await openTracked()).containers.bucket("other")).toBe("empty");
  });

  it("rejects a second open of the same directory with StoreLockedError", async () => {
    const first = await openTracked();
    await first.containers.create("default", container("c1"));
    const error = await rejectionOf(openStore(dir));
    expect(error).toBeInstanceOf(StoreLockedError);
    expect((error as Error).message).toContain(join(dir, "db"));
    // The first store is unaffected.
    expect((await decoding(first.containers).get("default", "c1"))?.id).toBe("c1");
  });

  it("opens again once the first store is closed", async () => {
    const first = await openTracked();
    await first.close();
    open.splice(0);
    const second = await openTracked();
    expect(await second.containers.bucket("default")).toBe("none");
  });

  it("writes the documented key layout and schema version", async () => {
    const store = await openTracked();
    await store.containers.create("k8s.io", container("c1"));
    await store.close();
    open.splice(0);
    const raw = new Level<string, string>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "utf8" });
    try {
      expect(await raw.get("!meta!schema")).toBe("1");
      expect(await raw.keys().all()).toEqual([
        "!meta!container-index",
        "!meta!schema",
        "!namespaces!k8s.io",
        "!v1!!k8s.io!!buckets!containers",
        "!v1!!k8s.io!!containers!c1",
        "!v1!!k8s.io!!index!runtime/io.containerd.runc.v2/c1",
      ]);
      expect(await raw.get("!meta!container-index")).toBe("1");
      expect(await raw.get("!v1!!k8s.io!!buckets!containers")).toBe("");
      const value = await raw.get("!v1!!k8s.io!!containers!c1", { valueEncoding: "view" });
      expect(value && Buffer.from(value).equals(Buffer.from(toBinary(ContainerSchema, container("c1"))))).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it("refuses a database whose schema version is not 1, with a clear error", async () => {
    const raw = new Level<string, string>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "utf8" });
    await raw.put("!meta!schema", "99");
    await raw.close();
    const error = await rejectionOf(openStore(dir));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("database layout version 99 is not supported (this berthd reads version 1)");
  });

  it("releases the database lock when the schema check fails", async () => {
    const raw = new Level<string, string>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "utf8" });
    await raw.put("!meta!schema", "99");
    await raw.close();
    await rejectionOf(openStore(dir));
    // A failed open must not keep the database: an operator who fixes the version can open it again.
    const again = new Level<string, string>(join(dir, "db"), { keyEncoding: "utf8", valueEncoding: "utf8" });
    try {
      await again.open();
      expect(await again.get("!meta!schema")).toBe("99");
    } finally {
      await again.close();
    }
  });
});

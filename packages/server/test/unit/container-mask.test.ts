import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { clone, create, equals, isMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { applyContainerMask } from "../../src/local/container-mask.js";

/** The plain-object form of a container init (spreading the message form would not type-check). */
type ContainerInit = Exclude<MessageInitShape<typeof ContainerSchema>, Container>;

const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
const bytes = (text: string) => new TextEncoder().encode(text);
const any = (typeUrl: string, value: string): Any => create(AnySchema, { typeUrl, value: bytes(value) });

const STORED_SPEC = any(SPEC_TYPE_URL, '{"ociVersion":"1.0.2","process":{"args":["sh"]}}');
const PATCH_SPEC = any(SPEC_TYPE_URL, '{"ociVersion":"1.0.2","process":{"args":["true"]}}');
const STORED_OPTIONS = any("containerd.runc.v1.Options", "\x0a\x04runc");
const STORED_EXT = any("example.com/Ext", "stored");
const PATCH_EXT = any("example.com/Ext", "patched");

/** The stored record every case starts from. */
function stored(init: ContainerInit = {}): Container {
  return create(ContainerSchema, {
    id: "c1",
    labels: { keep: "1", "a.b/c": "dotted", change: "old" },
    image: "docker.io/library/busybox:latest",
    runtime: { name: "io.containerd.runc.v2", options: STORED_OPTIONS },
    spec: STORED_SPEC,
    snapshotter: "overlayfs",
    snapshotKey: "c1-snapshot",
    createdAt: { seconds: 1_700_000_000n, nanos: 123_456_789 },
    updatedAt: { seconds: 1_700_000_100n, nanos: 987_654_321 },
    extensions: { "ext.one": STORED_EXT },
    ...init,
  });
}

/** A request container with the same id as the stored one. */
function patch(init: ContainerInit = {}): Container {
  return create(ContainerSchema, { id: "c1", ...init });
}

/** A request that matches the stored immutable fields, for empty-mask (full replace) cases. */
function fullPatch(init: ContainerInit = {}): Container {
  return patch({ runtime: { name: "io.containerd.runc.v2" }, snapshotter: "overlayfs", ...init });
}

/** The error `applyContainerMask` throws, or fails the test. */
function rejection(s: Container, p: Container, paths: readonly string[]): BerthError {
  try {
    applyContainerMask(s, p, paths);
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  throw new Error("applyContainerMask did not throw");
}

/** Plain view of an Any map, for readable comparisons. */
function anyMap(map: Record<string, Any>): Record<string, { typeUrl: string; value: string }> {
  return Object.fromEntries(
    Object.entries(map).map(([key, value]) => [
      key,
      { typeUrl: value.typeUrl, value: new TextDecoder().decode(value.value) },
    ]),
  );
}

const cannotUpdate = (path: string, id = "c1") => `cannot update "${path}" field on "${id}": invalid argument`;

describe("applyContainerMask: path table (spec §5.4 step 5)", () => {
  it.each<[name: string, request: ContainerInit, paths: string[], labels: Record<string, string>]>([
    [
      "labels.KEY sets a new label",
      { labels: { new: "v" } },
      ["labels.new"],
      { keep: "1", "a.b/c": "dotted", change: "old", new: "v" },
    ],
    [
      "labels.KEY overwrites a label",
      { labels: { change: "new" } },
      ["labels.change"],
      { keep: "1", "a.b/c": "dotted", change: "new" },
    ],
    [
      "labels.KEY absent from the request removes it",
      { labels: { other: "x" } },
      ["labels.change"],
      { keep: "1", "a.b/c": "dotted" },
    ],
    [
      "labels.KEY with an empty request value removes it",
      { labels: { change: "" } },
      ["labels.change"],
      { keep: "1", "a.b/c": "dotted" },
    ],
    [
      "labels.KEY removing an unknown label is a no-op",
      {},
      ["labels.nope"],
      { keep: "1", "a.b/c": "dotted", change: "old" },
    ],
    [
      "labels.KEY with dots and slashes is taken verbatim",
      { labels: { "a.b/c": "new" } },
      ["labels.a.b/c"],
      { keep: "1", "a.b/c": "new", change: "old" },
    ],
    ["labels.KEY with dots and slashes removed", {}, ["labels.a.b/c"], { keep: "1", change: "old" }],
    [
      "labels.KEY where KEY itself starts with labels.",
      { labels: { "labels.x": "y" } },
      ["labels.labels.x"],
      { keep: "1", "a.b/c": "dotted", change: "old", "labels.x": "y" },
    ],
    [
      "labels.KEY ignores request labels it does not name",
      { labels: { new: "v", other: "w" } },
      ["labels.new"],
      { keep: "1", "a.b/c": "dotted", change: "old", new: "v" },
    ],
    [
      "labels. (empty key) sets the empty key",
      { labels: { "": "v" } },
      ["labels."],
      { keep: "1", "a.b/c": "dotted", change: "old", "": "v" },
    ],
    ["labels replaces the whole map", { labels: { only: "this" } }, ["labels"], { only: "this" }],
    ["labels with none in the request removes all", {}, ["labels"], {}],
    ["labels drops empty values of the request", { labels: { x: "1", y: "" } }, ["labels"], { x: "1" }],
  ])("%s", (_name, request, paths, labels) => {
    const result = applyContainerMask(stored(), patch(request), paths);
    expect(result.labels).toEqual(labels);
    expect(Object.keys(result.labels).sort()).toEqual(Object.keys(labels).sort());
    // Nothing else moves.
    expect(equals(ContainerSchema, { ...result, labels: {} }, { ...stored(), labels: {} })).toBe(true);
  });

  it("extensions.KEY sets an extension from the request", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { "ext.two": PATCH_EXT } }), [
      "extensions.ext.two",
    ]);
    expect(anyMap(result.extensions)).toEqual({
      "ext.one": { typeUrl: "example.com/Ext", value: "stored" },
      "ext.two": { typeUrl: "example.com/Ext", value: "patched" },
    });
  });

  it("extensions.KEY overwrites an extension", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { "ext.one": PATCH_EXT } }), [
      "extensions.ext.one",
    ]);
    expect(anyMap(result.extensions)).toEqual({ "ext.one": { typeUrl: "example.com/Ext", value: "patched" } });
  });

  it("extensions.KEY absent from the request stores an empty Any (not a removal)", () => {
    const result = applyContainerMask(stored(), patch(), ["extensions.ext.one", "extensions.missing"]);
    expect(Object.keys(result.extensions).sort()).toEqual(["ext.one", "missing"]);
    for (const key of ["ext.one", "missing"]) {
      const value = result.extensions[key];
      expect(value === undefined ? false : isMessage(value, AnySchema)).toBe(true);
      expect(value?.typeUrl).toBe("");
      expect(value?.value).toHaveLength(0);
    }
  });

  it("extensions.KEY with dots and slashes is taken verbatim", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { "io.x/y.z": PATCH_EXT } }), [
      "extensions.io.x/y.z",
    ]);
    expect(Object.keys(result.extensions).sort()).toEqual(["ext.one", "io.x/y.z"]);
  });

  it("extensions replaces the whole map", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { "ext.two": PATCH_EXT } }), ["extensions"]);
    expect(anyMap(result.extensions)).toEqual({ "ext.two": { typeUrl: "example.com/Ext", value: "patched" } });
  });

  it("extensions with none in the request leaves an empty map in the result", () => {
    expect(applyContainerMask(stored(), patch(), ["extensions"]).extensions).toEqual({});
  });

  it("spec replaces the spec", () => {
    const result = applyContainerMask(stored(), patch({ spec: PATCH_SPEC }), ["spec"]);
    expect(result.spec && equals(AnySchema, result.spec, PATCH_SPEC)).toBe(true);
  });

  it("spec absent from the request clears it (validation rejects it later)", () => {
    expect(applyContainerMask(stored(), patch(), ["spec"]).spec).toBeUndefined();
  });

  it("spec present but empty is kept as an empty Any", () => {
    const result = applyContainerMask(stored(), patch({ spec: create(AnySchema) }), ["spec"]);
    expect(result.spec?.typeUrl).toBe("");
    expect(result.spec?.value).toHaveLength(0);
  });

  it.each<[name: string, image: string]>([
    ["image replaces the image", "docker.io/library/alpine:3"],
    ["image may be set to empty", ""],
  ])("%s", (_name, image) => {
    expect(applyContainerMask(stored(), patch({ image }), ["image"]).image).toBe(image);
  });

  it.each<[name: string, snapshotKey: string]>([
    ["snapshotkey replaces snapshot_key", "other-key"],
    ["snapshotkey may clear snapshot_key", ""],
  ])("%s", (_name, snapshotKey) => {
    const result = applyContainerMask(stored(), patch({ snapshotKey }), ["snapshotkey"]);
    expect(result.snapshotKey).toBe(snapshotKey);
    expect(result.snapshotter).toBe("overlayfs");
  });

  it.each<[path: string]>([
    ["id"],
    ["runtime"],
    ["runtime.name"],
    ["runtime.options"],
    ["snapshotter"],
    ["snapshot_key"],
    ["snapshotKey"],
    ["created_at"],
    ["updated_at"],
    ["Labels.x"],
    ["Labels"],
    ["LABELS.x"],
    ["Spec"],
    ["Image"],
    ["Extensions.x"],
    ["labels_x"],
    ["extensions_x"],
    [""],
    ["unknown"],
  ])("rejects path %j", (path) => {
    const error = rejection(stored(), patch({ labels: { x: "1" }, image: "new" }), [path]);
    expect(error.errorClass).toBe("invalid argument");
    expect(error.message).toBe(cannotUpdate(path));
  });

  it("quotes the path and id like Go's %q", () => {
    const s = stored({ id: 'weird"id' });
    expect(rejection(s, patch({ id: 'weird"id' }), ['bad"path\n']).message).toBe(
      'cannot update "bad\\"path\\n" field on "weird\\"id": invalid argument',
    );
  });

  it("rejects the whole update when a later path is unknown", () => {
    const s = stored();
    const before = clone(ContainerSchema, s);
    const error = rejection(s, patch({ labels: { new: "v" }, image: "new" }), ["labels.new", "image", "snapshotter"]);
    expect(error.message).toBe(cannotUpdate("snapshotter"));
    expect(equals(ContainerSchema, s, before)).toBe(true);
  });

  it("reports the first unknown path", () => {
    expect(rejection(stored(), patch(), ["image", "id", "runtime"]).message).toBe(cannotUpdate("id"));
  });
});

describe("applyContainerMask: paths in order", () => {
  it.each<[name: string, paths: string[], labels: Record<string, string>]>([
    ["labels then labels.KEY: the key is re-applied", ["labels", "labels.keep"], { only: "x" }],
    ["labels.KEY then labels: the replace wins", ["labels.keep", "labels"], { only: "x" }],
    ["several labels.KEY removals", ["labels.keep", "labels.change"], { "a.b/c": "dotted" }],
    ["same key twice", ["labels.only", "labels.only"], { keep: "1", "a.b/c": "dotted", change: "old", only: "x" }],
  ])("%s", (_name, paths, labels) => {
    expect(applyContainerMask(stored(), patch({ labels: { only: "x" } }), paths).labels).toEqual(labels);
  });

  it("extensions then extensions.KEY adds to the replaced map", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { a: PATCH_EXT } }), [
      "extensions",
      "extensions.b",
    ]);
    expect(Object.keys(result.extensions).sort()).toEqual(["a", "b"]);
    expect(result.extensions.b?.typeUrl).toBe("");
  });

  it("extensions.KEY then extensions: the replace wins", () => {
    const result = applyContainerMask(stored(), patch({ extensions: { a: PATCH_EXT } }), [
      "extensions.b",
      "extensions",
    ]);
    expect(Object.keys(result.extensions)).toEqual(["a"]);
  });

  it("applies several fields at once", () => {
    const result = applyContainerMask(
      stored(),
      patch({ image: "img:2", spec: PATCH_SPEC, snapshotKey: "k2", labels: { change: "new" } }),
      ["image", "spec", "snapshotkey", "labels.change"],
    );
    expect(result.image).toBe("img:2");
    expect(result.spec && equals(AnySchema, result.spec, PATCH_SPEC)).toBe(true);
    expect(result.snapshotKey).toBe("k2");
    expect(result.labels).toEqual({ keep: "1", "a.b/c": "dotted", change: "new" });
  });
});

describe("applyContainerMask: empty mask (full replace)", () => {
  it("replaces labels, spec, extensions, image and snapshotkey; keeps the rest", () => {
    const s = stored();
    const result = applyContainerMask(
      s,
      fullPatch({
        labels: { fresh: "1" },
        image: "img:2",
        spec: PATCH_SPEC,
        snapshotKey: "k2",
        extensions: { "ext.two": PATCH_EXT },
        createdAt: { seconds: 1n, nanos: 1 },
        updatedAt: { seconds: 2n, nanos: 2 },
      }),
      [],
    );
    expect(result.labels).toEqual({ fresh: "1" });
    expect(result.image).toBe("img:2");
    expect(result.spec && equals(AnySchema, result.spec, PATCH_SPEC)).toBe(true);
    expect(result.snapshotKey).toBe("k2");
    expect(anyMap(result.extensions)).toEqual({ "ext.two": { typeUrl: "example.com/Ext", value: "patched" } });
    expect(result.id).toBe("c1");
    expect(result.snapshotter).toBe("overlayfs");
    expect(result.runtime?.name).toBe("io.containerd.runc.v2");
    expect(result.runtime?.options && equals(AnySchema, result.runtime.options, STORED_OPTIONS)).toBe(true);
    // Timestamps are the service's business: the mask keeps the stored ones.
    expect(result.createdAt).toMatchObject({ seconds: 1_700_000_000n, nanos: 123_456_789 });
    expect(result.updatedAt).toMatchObject({ seconds: 1_700_000_100n, nanos: 987_654_321 });
  });

  it("clears every mutable field the request leaves empty", () => {
    const result = applyContainerMask(stored(), fullPatch(), []);
    expect(result.labels).toEqual({});
    expect(result.extensions).toEqual({});
    expect(result.spec).toBeUndefined();
    expect(result.image).toBe("");
    expect(result.snapshotKey).toBe("");
    expect(result.snapshotter).toBe("overlayfs");
  });

  it("drops empty-valued labels of the request", () => {
    expect(applyContainerMask(stored(), fullPatch({ labels: { a: "1", b: "" } }), []).labels).toEqual({ a: "1" });
  });

  it.each<[name: string, s: ContainerInit, p: ContainerInit, message: string | undefined]>([
    ["same snapshotter and runtime name", {}, {}, undefined],
    [
      "snapshotter differs",
      {},
      { snapshotter: "native" },
      "container.Snapshotter field is immutable: invalid argument",
    ],
    ["snapshotter cleared", {}, { snapshotter: "" }, "container.Snapshotter field is immutable: invalid argument"],
    [
      "snapshotter set where none was",
      { snapshotter: "" },
      {},
      "container.Snapshotter field is immutable: invalid argument",
    ],
    [
      "runtime name differs",
      {},
      { runtime: { name: "io.containerd.kata.v2" } },
      "container.Runtime.Name field is immutable: invalid argument",
    ],
    [
      "runtime missing in the request",
      {},
      { runtime: undefined },
      "container.Runtime.Name field is immutable: invalid argument",
    ],
    [
      "runtime name empty in the request",
      {},
      { runtime: { name: "" } },
      "container.Runtime.Name field is immutable: invalid argument",
    ],
    [
      "snapshotter checked before runtime name",
      {},
      { snapshotter: "native", runtime: { name: "other" } },
      "container.Snapshotter field is immutable: invalid argument",
    ],
    ["missing runtime on both sides counts as equal", { runtime: undefined }, { runtime: undefined }, undefined],
    [
      "missing stored runtime equals an empty request name",
      { runtime: undefined },
      { runtime: { name: "" } },
      undefined,
    ],
    [
      "empty stored name equals a missing request runtime",
      { runtime: { name: "" } },
      { runtime: undefined },
      undefined,
    ],
    [
      "missing stored runtime differs from a named one",
      { runtime: undefined },
      { runtime: { name: "x" } },
      "container.Runtime.Name field is immutable: invalid argument",
    ],
    [
      "runtime options differ: not compared",
      {},
      { runtime: { name: "io.containerd.runc.v2", options: any("x", "y") } },
      undefined,
    ],
  ])("immutable check: %s", (_name, s, p, message) => {
    const request = fullPatch(p);
    if (message === undefined) {
      expect(() => applyContainerMask(stored(s), request, [])).not.toThrow();
    } else {
      const error = rejection(stored(s), request, []);
      expect(error.errorClass).toBe("invalid argument");
      expect(error.message).toBe(message);
    }
  });
});

describe("applyContainerMask: runtime and snapshotter are never changed", () => {
  const otherRuntime = { name: "io.containerd.kata.v2", options: any("kata.Options", "other") };

  it("empty mask keeps the stored runtime options even when the request has others", () => {
    const result = applyContainerMask(
      stored(),
      fullPatch({ runtime: { name: "io.containerd.runc.v2", options: any("x", "y") } }),
      [],
    );
    expect(result.runtime?.options && equals(AnySchema, result.runtime.options, STORED_OPTIONS)).toBe(true);
  });

  it("empty mask keeps stored runtime options when the request has none", () => {
    const result = applyContainerMask(stored(), fullPatch(), []);
    expect(result.runtime?.options && equals(AnySchema, result.runtime.options, STORED_OPTIONS)).toBe(true);
  });

  it("empty mask with no stored options does not take the request's", () => {
    const result = applyContainerMask(
      stored({ runtime: { name: "io.containerd.runc.v2" } }),
      fullPatch({ runtime: { name: "io.containerd.runc.v2", options: any("x", "y") } }),
      [],
    );
    expect(result.runtime?.options).toBeUndefined();
  });

  it.each<[paths: string[]]>([
    [["image"]],
    [["labels"]],
    [["labels.x"]],
    [["spec"]],
    [["extensions"]],
    [["snapshotkey"]],
  ])("non-empty mask %j ignores request snapshotter and runtime", (paths) => {
    const result = applyContainerMask(
      stored(),
      patch({ snapshotter: "native", runtime: otherRuntime, spec: PATCH_SPEC, image: "i", labels: { x: "1" } }),
      paths,
    );
    expect(result.snapshotter).toBe("overlayfs");
    expect(result.runtime?.name).toBe("io.containerd.runc.v2");
    expect(result.runtime?.options && equals(AnySchema, result.runtime.options, STORED_OPTIONS)).toBe(true);
  });

  it("non-empty mask ignores fields it does not name", () => {
    const s = stored();
    const result = applyContainerMask(
      s,
      patch({
        labels: { change: "new", other: "o" },
        image: "i",
        spec: PATCH_SPEC,
        snapshotKey: "k",
        extensions: { x: PATCH_EXT },
        snapshotter: "",
        runtime: undefined,
      }),
      ["labels.change"],
    );
    expect(equals(ContainerSchema, result, stored({ labels: { keep: "1", "a.b/c": "dotted", change: "new" } }))).toBe(
      true,
    );
  });
});

describe("applyContainerMask: result", () => {
  it("drops empty-valued labels already in the stored record", () => {
    const s = stored({ labels: { a: "1", stale: "" } });
    expect(applyContainerMask(s, patch({ image: "x" }), ["image"]).labels).toEqual({ a: "1" });
  });

  it("is a Container message that encodes", () => {
    const result = applyContainerMask(stored(), patch({ labels: { x: "1" } }), ["labels.x"]);
    expect(isMessage(result, ContainerSchema)).toBe(true);
    expect(toBinary(ContainerSchema, result).length).toBeGreaterThan(0);
  });

  it("treats __proto__ and constructor label keys as plain data", () => {
    const labels: Record<string, string> = {};
    Object.defineProperty(labels, "__proto__", { value: "p", enumerable: true, writable: true, configurable: true });
    Object.defineProperty(labels, "constructor", { value: "c", enumerable: true, writable: true, configurable: true });
    const result = applyContainerMask(stored({ labels: {} }), patch({ labels }), [
      "labels.__proto__",
      "labels.constructor",
    ]);
    expect(Object.getPrototypeOf(result.labels)).toBe(Object.prototype);
    expect(Object.keys(result.labels).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(result.labels, "__proto__")?.value).toBe("p");
    expect(Object.getOwnPropertyDescriptor(result.labels, "constructor")?.value).toBe("c");
  });

  it("does not read inherited properties as request labels", () => {
    const result = applyContainerMask(stored({ labels: { constructor: "stored" } }), patch(), [
      "labels.constructor",
      "labels.toString",
      "labels.__proto__",
    ]);
    expect(result.labels).toEqual({});
    expect(Object.getPrototypeOf(result.labels)).toBe(Object.prototype);
  });

  it("does not read inherited properties as request extensions", () => {
    const result = applyContainerMask(stored({ extensions: {} }), patch(), ["extensions.constructor"]);
    const stored_ = Object.getOwnPropertyDescriptor(result.extensions, "constructor")?.value as unknown;
    expect(isMessage(stored_, AnySchema)).toBe(true);
    expect((stored_ as Any).typeUrl).toBe("");
    expect((stored_ as Any).value).toHaveLength(0);
  });
});

describe("applyContainerMask: purity", () => {
  it.each<[name: string, paths: string[], request: ContainerInit]>([
    ["empty mask", [], { runtime: { name: "io.containerd.runc.v2" }, snapshotter: "overlayfs", labels: { n: "1" } }],
    ["labels.KEY set and remove", ["labels.n", "labels.keep"], { labels: { n: "1" } }],
    ["extensions.KEY", ["extensions.ext.one", "extensions.new"], { extensions: { new: PATCH_EXT } }],
    ["whole maps", ["labels", "extensions", "spec", "image", "snapshotkey"], { labels: { n: "" }, image: "x" }],
  ])("%s leaves both inputs unchanged", (_name, paths, request) => {
    const s = stored();
    const p = patch(request);
    const storedBefore = clone(ContainerSchema, s);
    const patchBefore = clone(ContainerSchema, p);
    const storedLabels = s.labels;
    const storedExtensions = s.extensions;
    const result = applyContainerMask(s, p, paths);
    expect(equals(ContainerSchema, s, storedBefore)).toBe(true);
    expect(equals(ContainerSchema, p, patchBefore)).toBe(true);
    expect(s.labels).toBe(storedLabels);
    expect(s.extensions).toBe(storedExtensions);
    expect(result).not.toBe(s);
    expect(result.labels).not.toBe(s.labels);
    expect(result.labels).not.toBe(p.labels);
    expect(result.extensions).not.toBe(s.extensions);
    expect(result.extensions).not.toBe(p.extensions);
  });

  it("a later change to the result does not reach the inputs", () => {
    const s = stored();
    const p = fullPatch({ labels: { a: "1" }, extensions: { e: PATCH_EXT } });
    const result = applyContainerMask(s, p, []);
    result.labels.b = "2";
    result.extensions.f = PATCH_EXT;
    result.image = "changed";
    expect(p.labels).toEqual({ a: "1" });
    expect(Object.keys(p.extensions)).toEqual(["e"]);
    expect(s.labels).toEqual({ keep: "1", "a.b/c": "dotted", change: "old" });
    expect(Object.keys(s.extensions)).toEqual(["ext.one"]);
    expect(s.image).toBe("docker.io/library/busybox:latest");
  });
});

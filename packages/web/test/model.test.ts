/** Pure modules of the web app: labels, the sorted store, specs, times, events, backoff. */
import { ContainerCreateSchema, ContainerDeleteSchema } from "@berth/gen/containerd/events/container_pb.js";
import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../src/live/backoff.js";
import { containerChange, namespaceEventFilter, singleContainerFilter } from "../src/live/events.js";
import { createContainerStore } from "../src/model/container-store.js";
import { diffLabels, formatLabelLines, parseLabelLines, summarizeLabels } from "../src/model/labels.js";
import { formatAbsolute, formatRelative } from "../src/model/relative-time.js";
import { DEFAULT_SPEC, describeAny, packSpecText, prettySpec, RUNTIME_SPEC_TYPE_URL } from "../src/model/spec.js";

function container(id: string, updatedMs = 1_000, labels: Record<string, string> = {}): Container {
  return create(ContainerSchema, { id, labels, updatedAt: timestampFromMs(updatedMs) });
}

describe("label lines", () => {
  it.each([
    ["", {}],
    ["env=dev", { env: "dev" }],
    ["a=1\n\nb=x=y\r\n", { a: "1", b: "x=y" }],
    ["k=", { k: "" }],
    ["=v", { "": "v" }],
    ["a=1\na=2", { a: "2" }],
    ["__proto__=x", { ["__proto__"]: "x" }],
  ])("parses %j", (text, labels) => {
    const parsed = parseLabelLines(text);
    expect(parsed).toEqual({ ok: true, labels });
    if (parsed.ok) expect(Object.getPrototypeOf(parsed.labels)).toBe(Object.prototype);
  });

  it("names the first line without '='", () => {
    expect(parseLabelLines("a=1\noops")).toEqual({ ok: false, error: 'labels line 2: expected KEY=VALUE, got "oops"' });
  });

  it("formats sorted lines and summaries", () => {
    expect(formatLabelLines({ b: "2", a: "1" })).toBe("a=1\nb=2");
    expect(summarizeLabels({ b: "2", a: "1" })).toBe("a=1, b=2");
  });

  it.each([
    [{}, {}, {}, []],
    [{ a: "1" }, { a: "1" }, {}, []],
    [{ a: "1" }, { a: "2" }, { a: "2" }, ["labels.a"]],
    [{ a: "1" }, {}, {}, ["labels.a"]],
    [{ a: "1" }, { a: "" }, {}, ["labels.a"]],
    [{}, { a: "" }, {}, []],
    [{ a: "1", z: "9" }, { b: "2", z: "9" }, { b: "2" }, ["labels.a", "labels.b"]],
    [{}, { "com.example/x": "y" }, { "com.example/x": "y" }, ["labels.com.example/x"]],
    [{ constructor: "c" }, { constructor: "c" }, {}, []],
    [{}, { constructor: "c" }, { constructor: "c" }, ["labels.constructor"]],
  ])("diffs %j → %j", (before, after, labels, paths) => {
    expect(diffLabels(before, after)).toEqual({ labels, paths });
  });
});

describe("container store", () => {
  it("keeps id order whatever the arrival order", () => {
    const store = createContainerStore();
    for (const id of ["b", "d", "a", "c", "e"]) store.upsert(container(id));
    expect(Array.from({ length: store.size }, (_, index) => store.at(index)?.id)).toEqual(["a", "b", "c", "d", "e"]);
    expect(store.indexOf("c")).toBe(2);
    expect(store.indexOf("x")).toBe(-1);
  });

  it("ignores a record older than the one held", () => {
    const store = createContainerStore();
    store.upsert(container("a", 2_000, { v: "new" }));
    store.upsert(container("a", 1_000, { v: "old" }));
    expect(store.get("a")?.labels).toEqual({ v: "new" });
    store.upsert(container("a", 3_000, { v: "newer" }));
    expect(store.get("a")?.labels).toEqual({ v: "newer" });
  });

  it("removes, retains and notifies", () => {
    const store = createContainerStore();
    let changes = 0;
    const unsubscribe = store.subscribe(() => changes++);
    for (const id of ["a", "b", "c"]) store.upsert(container(id));
    expect(store.remove("b")).toBe(true);
    expect(store.remove("b")).toBe(false);
    store.retain(new Set(["c"]));
    expect(store.size).toBe(1);
    expect(store.at(0)?.id).toBe("c");
    store.retain(new Set(["c"]));
    expect(changes).toBe(5);
    unsubscribe();
    store.clear();
    expect(changes).toBe(5);
    expect(store.size).toBe(0);
  });
});

describe("specs", () => {
  it("packs compact JSON under containerd's type URL", () => {
    const packed = packSpecText('{\n  "ociVersion": "1.0.2"\n}');
    expect(packed.ok && packed.spec?.typeUrl).toBe(RUNTIME_SPEC_TYPE_URL);
    expect(packed.ok && new TextDecoder().decode(packed.spec?.value)).toBe('{"ociVersion":"1.0.2"}');
    const blank = packSpecText("  ");
    expect(blank.ok && JSON.parse(new TextDecoder().decode(blank.spec.value))).toEqual(DEFAULT_SPEC);
    expect(packSpecText("{").ok).toBe(false);
  });

  it("pretty-prints only OCI JSON", () => {
    const json = new TextEncoder().encode('{"a":1}');
    expect(prettySpec(create(AnySchema, { typeUrl: RUNTIME_SPEC_TYPE_URL, value: json }))).toBe('{\n  "a": 1\n}');
    expect(prettySpec(create(AnySchema, { typeUrl: "other", value: json }))).toBeUndefined();
    const notJson = new Uint8Array([0xff, 0x00]);
    const any = create(AnySchema, { typeUrl: RUNTIME_SPEC_TYPE_URL, value: notJson });
    expect(prettySpec(any)).toBeUndefined();
    expect(describeAny(any)).toBe(`${RUNTIME_SPEC_TYPE_URL} (2 bytes)`);
  });
});

describe("times", () => {
  const at = timestampFromMs(Date.UTC(2024, 0, 2, 3, 4, 5, 6));
  it.each([
    [0, "now"],
    [30_000, "30 sec. ago"],
    [5 * 60_000, "5 min. ago"],
    [3 * 3_600_000, "3 hr. ago"],
    [2 * 86_400_000, "2 days ago"],
  ])("%i ms later is %s", (delta, text) => {
    expect(formatRelative(at, Date.UTC(2024, 0, 2, 3, 4, 5, 6) + delta)).toBe(text);
  });

  it("writes nanoseconds in UTC", () => {
    expect(formatAbsolute({ ...at, nanos: 6_000_789 })).toBe("2024-01-02T03:04:05.006000789Z");
    expect(formatAbsolute(undefined)).toBe("");
  });
});

describe("events", () => {
  const envelope = (topic: string, value: Uint8Array) =>
    create(EnvelopeSchema, { topic, namespace: "default", event: { typeUrl: "containerd.events.X", value } });

  it("reads the container id of container topics", () => {
    const created = toBinary(ContainerCreateSchema, create(ContainerCreateSchema, { id: "web" }));
    const deleted = toBinary(ContainerDeleteSchema, create(ContainerDeleteSchema, { id: "db" }));
    expect(containerChange(envelope("/containers/create", created))).toEqual({ kind: "changed", id: "web" });
    expect(containerChange(envelope("/containers/delete", deleted))).toEqual({ kind: "deleted", id: "db" });
    expect(containerChange(envelope("/namespaces/create", created))).toBeUndefined();
    expect(containerChange(envelope("/containers/update", new Uint8Array([0xff])))).toBeUndefined();
  });

  it("builds filters with quoted values", () => {
    expect(namespaceEventFilter("default")).toBe('namespace=="default"');
    expect(singleContainerFilter("a.b", "")).toBe('id=="a.b"');
    expect(singleContainerFilter("web", "labels.env==dev")).toBe('id=="web",labels.env==dev');
  });
});

describe("backoff", () => {
  it("doubles up to the cap, with jitter", () => {
    const middle = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 50].map((attempt) => backoffDelay(attempt, {}, middle))).toEqual([
      250, 500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(backoffDelay(0, {}, () => 0)).toBe(200);
    expect(backoffDelay(0, {}, () => 1)).toBe(300);
  });
});

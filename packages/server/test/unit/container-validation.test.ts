import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { clone, create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../src/errdefs.js";
import { validateContainer } from "../../src/local/container-validation.js";

/** The plain-object form of a container init (spreading the message form would not type-check). */
type ContainerInit = Exclude<MessageInitShape<typeof ContainerSchema>, Container>;

const PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const SPEC = create(AnySchema, {
  typeUrl: "types.containerd.io/opencontainers/runtime-spec/1/Spec",
  value: new TextEncoder().encode('{"ociVersion":"1.0.2"}'),
});

/** A container that passes every rule, with overrides. */
function container(init: ContainerInit = {}): Container {
  return create(ContainerSchema, { id: "c1", runtime: { name: "io.containerd.runc.v2" }, spec: SPEC, ...init });
}

/** The error `validateContainer` throws, or undefined when it accepts the container. */
function thrownBy(c: Container): BerthError | undefined {
  try {
    validateContainer(c);
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    return error as BerthError;
  }
  return undefined;
}

const ID_EMPTY = "container.ID: identifier must not be empty: invalid argument";
const idMustMatch = (quoted: string) => `container.ID: identifier ${quoted} must match ${PATTERN}: invalid argument`;
const idTooLong = (quoted: string) =>
  `container.ID: identifier ${quoted} greater than maximum length (76 characters): invalid argument`;
const EXT_EMPTY_KEY = "container.Extension keys must not be zero-length: invalid argument";
const labelTooBig = (k10: string) =>
  `containers.Labels: label key and value greater than maximum size (4096 bytes), key: ${k10}: invalid argument`;
const LABEL_EMPTY_KEY = "containers.Labels: label key must not be empty: invalid argument";
const NO_RUNTIME = "container.Runtime.Name must be set: invalid argument";
const NO_SPEC = "container.Spec must be set: invalid argument";
const NO_SNAPSHOTTER = "container.Snapshotter must be set if container.SnapshotKey is set: invalid argument";

const bigLabel = { big: "v".repeat(4094) }; // 3 + 4094 = 4097 bytes
const emptyExtension = { "": create(AnySchema) };

describe("validateContainer: accepted", () => {
  it.each<[name: string, init: ContainerInit]>([
    ["minimal valid container", {}],
    ["present but empty spec", { spec: create(AnySchema) }],
    ["runtime options are optional", { runtime: { name: "io.containerd.runc.v2" } }],
    ["runtime options set", { runtime: { name: "r", options: create(AnySchema, { typeUrl: "x" }) } }],
    ["76-byte id", { id: "a".repeat(76) }],
    ["id with separators and mixed case", { id: "My.Container_1-a" }],
    ["image is not validated", { image: "this is not // a valid reference!" }],
    ["snapshotter is not validated", { snapshotter: "not an identifier!" }],
    ["snapshotter without snapshot key", { snapshotter: "overlayfs" }],
    ["snapshot key with snapshotter", { snapshotter: "overlayfs", snapshotKey: "key" }],
    ["label at the 4096-byte limit", { labels: { big: "v".repeat(4093) } }],
    ["empty label value", { labels: { a: "" } }],
    ["empty key with an empty value", { labels: { "": "" } }],
    ["extensions with non-empty keys", { extensions: { "a.b": create(AnySchema), c: SPEC } }],
    ["timestamps are not checked", { createdAt: { seconds: -1n, nanos: 5 } }],
  ])("%s", (_name, init) => {
    expect(thrownBy(container(init))).toBeUndefined();
  });
});

describe("validateContainer: rejected", () => {
  it.each<[name: string, init: ContainerInit, message: string]>([
    // 1. id
    ["empty id", { id: "" }, ID_EMPTY],
    ["77-byte id", { id: "a".repeat(77) }, idTooLong(`"${"a".repeat(77)}"`)],
    ["id with a space", { id: "bad id" }, idMustMatch('"bad id"')],
    ["id with a trailing separator", { id: "c1-" }, idMustMatch('"c1-"')],
    ["id with a percent verb, kept verbatim", { id: "a%d" }, idMustMatch('"a%d"')],
    ["id with a newline, quoted", { id: "a\nb" }, idMustMatch('"a\\nb"')],
    // 2. extension keys
    ["empty extension key", { extensions: emptyExtension }, EXT_EMPTY_KEY],
    ["empty extension key among others", { extensions: { a: SPEC, "": SPEC, b: SPEC } }, EXT_EMPTY_KEY],
    // 3. labels
    ["label over 4096 bytes", { labels: bigLabel }, labelTooBig("big")],
    ["long label key cut to 10 bytes", { labels: { ["k".repeat(4097)]: "" } }, labelTooBig("kkkkkkkkkk")],
    ["multi-byte label counted in bytes", { labels: { é: "v".repeat(4095) } }, labelTooBig("é")],
    // Deliberate deviation (containerd fails later in storage with Unknown).
    ["empty label key with a value", { labels: { "": "v" } }, LABEL_EMPTY_KEY],
    // 4. runtime name
    ["missing runtime", { runtime: undefined }, NO_RUNTIME],
    ["empty runtime name", { runtime: { name: "" } }, NO_RUNTIME],
    ["empty runtime name with options", { runtime: { name: "", options: SPEC } }, NO_RUNTIME],
    // 5. spec
    ["missing spec", { spec: undefined }, NO_SPEC],
    // 6. snapshot key needs a snapshotter
    ["snapshot key without snapshotter", { snapshotKey: "key" }, NO_SNAPSHOTTER],
  ])("%s", (_name, init, message) => {
    const error = thrownBy(container(init));
    expect(error?.errorClass).toBe("invalid argument");
    expect(error?.message).toBe(message);
  });
});

describe("validateContainer: first failure wins (spec §5.1 step 2 order)", () => {
  it.each<[name: string, init: ContainerInit, message: string]>([
    ["bad id before missing spec", { id: "bad id", spec: undefined }, idMustMatch('"bad id"')],
    [
      "bad id before everything else",
      {
        id: "",
        extensions: emptyExtension,
        labels: { ...bigLabel, "": "v" },
        runtime: undefined,
        spec: undefined,
        snapshotKey: "k",
      },
      ID_EMPTY,
    ],
    [
      "empty extension key before labels",
      { extensions: emptyExtension, labels: { ...bigLabel, "": "v" }, runtime: undefined, spec: undefined },
      EXT_EMPTY_KEY,
    ],
    ["oversized label before empty label key", { labels: { "": "v", ...bigLabel } }, labelTooBig("big")],
    ["oversized label before runtime", { labels: bigLabel, runtime: undefined, spec: undefined }, labelTooBig("big")],
    ["empty label key before runtime", { labels: { "": "v" }, runtime: undefined }, LABEL_EMPTY_KEY],
    ["runtime before spec", { runtime: undefined, spec: undefined, snapshotKey: "k" }, NO_RUNTIME],
    ["spec before snapshotter", { spec: undefined, snapshotKey: "k" }, NO_SPEC],
  ])("%s", (_name, init, message) => {
    expect(thrownBy(container(init))?.message).toBe(message);
  });
});

describe("validateContainer: purity", () => {
  it("leaves the container unchanged", () => {
    const c = container({ labels: { a: "1", b: "" }, extensions: { e: SPEC } });
    const before = clone(ContainerSchema, c);
    validateContainer(c);
    expect(equals(ContainerSchema, c, before)).toBe(true);
    expect(c.labels).toEqual({ a: "1", b: "" });
  });
});

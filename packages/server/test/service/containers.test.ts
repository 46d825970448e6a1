import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { newContainer } from "../support/containers.js";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";

const ID_PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const CREATE_INVALID = "create container failed validation";

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
beforeEach(async () => {
  berth = await createInMemoryBerth();
});
const containers = () => berth.client.containers;

async function ids(filters: string[] = []): Promise<string[]> {
  const response = await containers().list({ filters });
  return response.containers.map((c) => c.id);
}

async function streamedIds(filters: string[] = []): Promise<string[]> {
  const seen: string[] = [];
  for await (const message of containers().listStream({ filters })) seen.push(message.container?.id ?? "?");
  return seen;
}

describe("namespace header", () => {
  it("is required", async () => {
    const anonymous = berth.client.withNamespace("");
    await expectStatus(
      anonymous.containers.get({ id: "x" }),
      Code.FailedPrecondition,
      "namespace is required: failed precondition",
    );
    await expectStatus(
      anonymous.containers.list({}),
      Code.FailedPrecondition,
      "namespace is required: failed precondition",
    );
  });

  it("must be an identifier", async () => {
    const bad = berth.client.withNamespace("Bad NS");
    await expectStatus(
      bad.containers.create({ container: newContainer() }),
      Code.InvalidArgument,
      `namespace validation: identifier "Bad NS" must match ${ID_PATTERN}: invalid argument`,
    );
    const long = berth.client.withNamespace("n".repeat(77));
    await expectStatus(
      long.containers.list({}),
      Code.InvalidArgument,
      `namespace validation: identifier "${"n".repeat(77)}" greater than maximum length (76 characters): invalid argument`,
    );
  });

  it("keeps namespaces apart", async () => {
    await containers().create({ container: newContainer({ image: "one" }) });
    const other = berth.client.withNamespace("other");
    await other.containers.create({ container: newContainer({ image: "two" }) });
    expect((await containers().get({ id: "c1" })).container?.image).toBe("one");
    expect((await other.containers.get({ id: "c1" })).container?.image).toBe("two");
    await other.containers.delete({ id: "c1" });
    expect(await ids()).toEqual(["c1"]);
  });
});

describe("Create", () => {
  it("stores the container and returns the stored record", async () => {
    const options = create(AnySchema, { typeUrl: "containerd.runc.v1.Options", value: new Uint8Array([8, 1]) });
    const zeroTime = create(TimestampSchema, { seconds: -62135596800n, nanos: 0 });
    const requested = newContainer({
      labels: { a: "1", empty: "" },
      image: "docker.io/library/busybox:latest",
      runtime: { name: "io.containerd.runc.v2", options },
      snapshotter: "overlayfs",
      snapshotKey: "c1-snap",
      extensions: { ext: create(AnySchema, { typeUrl: "x", value: new Uint8Array([1, 2]) }) },
      createdAt: zeroTime,
      updatedAt: zeroTime,
    });
    const before = Date.now();
    const { container } = await containers().create({ container: requested });
    expect(container?.labels).toEqual({ a: "1" });
    expect(container?.createdAt).toEqual(container?.updatedAt);
    const created = timestampDate(container?.createdAt ?? zeroTime).getTime();
    expect(created).toBeGreaterThanOrEqual(before - 5);
    expect(created).toBeLessThanOrEqual(Date.now() + 5);
    const fetched = (await containers().get({ id: "c1" })).container;
    expect(toBinary(ContainerSchema, fetched ?? newContainer())).toEqual(
      toBinary(ContainerSchema, container ?? newContainer()),
    );
    expect(fetched?.runtime?.options?.value).toEqual(new Uint8Array([8, 1]));
    expect(fetched?.spec?.value).toEqual(requested.spec?.value);
    expect(fetched?.extensions.ext?.value).toEqual(new Uint8Array([1, 2]));
  });

  it("accepts a present but empty spec", async () => {
    const { container } = await containers().create({ container: newContainer({ spec: create(AnySchema) }) });
    expect(container?.spec).toBeDefined();
  });

  it.each([
    ["an empty id", { id: "" }, "container.ID: identifier must not be empty: invalid argument"],
    ["a bad id", { id: "Bad ID" }, `container.ID: identifier "Bad ID" must match ${ID_PATTERN}: invalid argument`],
    [
      "a long id",
      { id: "a".repeat(77) },
      `container.ID: identifier "${"a".repeat(77)}" greater than maximum length (76 characters): invalid argument`,
    ],
    [
      "an empty extension key",
      { extensions: { "": create(AnySchema) } },
      "container.Extension keys must not be zero-length: invalid argument",
    ],
    [
      "a label too big",
      { labels: { "0123456789abc": "v".repeat(4096) } },
      "containers.Labels: label key and value greater than maximum size (4096 bytes), key: 0123456789: invalid argument",
    ],
    ["no runtime", { runtime: undefined }, "container.Runtime.Name must be set: invalid argument"],
    ["no runtime name", { runtime: { name: "" } }, "container.Runtime.Name must be set: invalid argument"],
    ["no spec", { spec: undefined }, "container.Spec must be set: invalid argument"],
    [
      "a snapshot key without snapshotter",
      { snapshotKey: "k" },
      "container.Snapshotter must be set if container.SnapshotKey is set: invalid argument",
    ],
  ])("rejects %s", async (_, init, detail) => {
    const container = newContainer(init);
    await expectStatus(containers().create({ container }), Code.InvalidArgument, `${CREATE_INVALID}: ${detail}`);
    expect(await ids()).toEqual([]);
  });

  it("rejects a missing container as an empty id", async () => {
    await expectStatus(
      containers().create({}),
      Code.InvalidArgument,
      `${CREATE_INVALID}: container.ID: identifier must not be empty: invalid argument`,
    );
  });

  it("rejects a duplicate id", async () => {
    await containers().create({ container: newContainer() });
    await expectStatus(
      containers().create({ container: newContainer({ image: "other" }) }),
      Code.AlreadyExists,
      'container "c1": already exists',
    );
    expect((await containers().get({ id: "c1" })).container?.image).toBe("");
  });
});

describe("Get", () => {
  it("reports a missing container with its namespace", async () => {
    await expectStatus(
      containers().get({ id: "nope" }),
      Code.NotFound,
      'container "nope" in namespace "default": not found',
    );
    await expectStatus(containers().get({ id: "" }), Code.NotFound, 'container "" in namespace "default": not found');
  });

  it("quotes odd ids the Go way", async () => {
    await expectStatus(
      containers().get({ id: 'a"b\n' }),
      Code.NotFound,
      'container "a\\"b\\n" in namespace "default": not found',
    );
  });
});

describe("List and ListStream", () => {
  beforeEach(async () => {
    for (const [id, image, labels] of [
      ["b", "redis", { tier: "db" }],
      ["A", "", {}],
      ["a-1", "docker.io/library/busybox:latest", { tier: "web", "com.example/x": "y" }],
      ["a", "nginx", { tier: "web" }],
    ] as const) {
      await containers().create({ container: newContainer({ id, image, labels }) });
    }
  });

  it("orders by id bytes", async () => {
    expect(await ids()).toEqual(["A", "a", "a-1", "b"]);
    expect(await streamedIds()).toEqual(["A", "a", "a-1", "b"]);
  });

  it.each([
    [["labels.tier==web"], ["a", "a-1"]],
    [["labels.tier==web,image~=busy"], ["a-1"]],
    [
      ["labels.tier==db", "id==A"],
      ["A", "b"],
    ],
    [["image"], ["a", "a-1", "b"]],
    [["image!=nginx"], ["A", "a-1", "b"]],
    [['labels."com.example/x"==y'], ["a-1"]],
    [["runtime.name==io.containerd.runc.v2,id~=^a"], ["a", "a-1"]],
    [["snapshotter==x"], []],
    [["snapshotter!=x"], ["A", "a", "a-1", "b"]],
    [
      ["id==nope", ""],
      ["A", "a", "a-1", "b"],
    ],
    // Pinned ids are looked up, not scanned: the rest of each filter still applies, and order is id order.
    [["id==b"], ["b"]],
    [["id==nope"], []],
    [
      ["id==b", "id==A", "id==b"],
      ["A", "b"],
    ],
    [["id==a,labels.tier==db"], []],
    [["id==a-1,image~=busy"], ["a-1"]],
    [["id==a,id==b"], []],
    [["labels.tier==web,id==a"], ["a"]],
  ])("filters %j", async (filters, expected) => {
    expect(await ids(filters)).toEqual(expected);
    expect(await streamedIds(filters)).toEqual(expected);
  });

  it("rejects a bad filter with containerd's doubled suffix", async () => {
    const message = 'filters: parse error: [id >|=|< c1]: unsupported operator "=": invalid argument: invalid argument';
    await expectStatus(containers().list({ filters: ["id=c1"] }), Code.InvalidArgument, message);
    await expectStatus(streamedIds(["id=c1"]), Code.InvalidArgument, message);
  });

  it("returns nothing for an unknown namespace", async () => {
    const other = berth.client.withNamespace("empty");
    expect((await other.containers.list({})).containers).toEqual([]);
    const streamed = [];
    for await (const message of other.containers.listStream({})) streamed.push(message);
    expect(streamed).toEqual([]);
  });
});

describe("a List past the message limit", () => {
  it("fails with ResourceExhausted as soon as its answer passes the limit, while ListStream sends them all", async () => {
    const small = await createInMemoryBerth({ routes: { maxMessageBytes: 4096 } });
    const client = small.client.containers;
    for (let index = 0; index < 40; index++) {
      const id = `big-${String(index).padStart(2, "0")}`;
      await client.create({ container: newContainer({ id, labels: { pad: "x".repeat(400) } }) });
    }
    const one = toBinary(ContainerSchema, (await client.get({ id: "big-00" })).container ?? newContainer()).length;
    // Each entry costs its bytes, a tag and a two-byte length: the answer passes 4096 at entry ceil(4096 / (one + 3)) + 1 at most.
    const stopsAfter = Math.floor(4096 / (one + 3)) + 1;
    await expectStatus(
      client.list({}),
      Code.ResourceExhausted,
      `grpc: trying to send message larger than max (more than 4096 bytes after ${stopsAfter} containers vs. 4096); ListStream sends any number`,
    );
    let streamed = 0;
    for await (const _ of client.listStream({})) streamed++;
    expect(streamed).toBe(40);
    // An answer under the limit is whole.
    expect((await client.list({ filters: ["id==big-01"] })).containers.map((c) => c.id)).toEqual(["big-01"]);
  });
});

describe("Update", () => {
  beforeEach(async () => {
    await containers().create({
      container: newContainer({ labels: { keep: "1", drop: "2" }, snapshotter: "overlayfs", snapshotKey: "k" }),
    });
  });

  it("requires an id before the namespace", async () => {
    const anonymous = berth.client.withNamespace("");
    await expectStatus(
      anonymous.containers.update({ container: { id: "" } }),
      Code.InvalidArgument,
      "Container.ID required",
    );
    await expectStatus(anonymous.containers.update({}), Code.InvalidArgument, "Container.ID required");
    await expectStatus(
      anonymous.containers.update({ container: { id: "c1" } }),
      Code.FailedPrecondition,
      "namespace is required: failed precondition",
    );
  });

  it("reports missing containers two ways", async () => {
    await expectStatus(
      berth.client.withNamespace("empty").containers.update({ container: { id: "c1" } }),
      Code.NotFound,
      'cannot update container "c1" in namespace "empty": not found',
    );
    await expectStatus(containers().update({ container: { id: "c2" } }), Code.NotFound, 'container "c2": not found');
  });

  it("keeps the bucket's message once the namespace's last container is gone, as containerd", async () => {
    const emptied = berth.client.withNamespace("emptied").containers;
    await emptied.create({ container: newContainer() });
    await emptied.delete({ id: newContainer().id });
    await expectStatus(emptied.update({ container: { id: "c9" } }), Code.NotFound, 'container "c9": not found');
  });

  it("sets and removes labels by path", async () => {
    const { container } = await containers().update({
      container: { id: "c1", labels: { new: "3", drop: "" } },
      updateMask: { paths: ["labels.new", "labels.drop"] },
    });
    expect(container?.labels).toEqual({ keep: "1", new: "3" });
    expect((await containers().get({ id: "c1" })).container?.labels).toEqual({ keep: "1", new: "3" });
  });

  it("keeps created_at and moves updated_at", async () => {
    const before = (await containers().get({ id: "c1" })).container;
    const { container } = await containers().update({
      container: { id: "c1", image: "new" },
      updateMask: { paths: ["image"] },
    });
    expect(container?.createdAt).toEqual(before?.createdAt);
    expect(timestampDate(container?.updatedAt ?? create(TimestampSchema)).getTime()).toBeGreaterThanOrEqual(
      timestampDate(before?.createdAt ?? create(TimestampSchema)).getTime(),
    );
    expect(container?.updatedAt).not.toEqual(before?.updatedAt);
    expect(container?.image).toBe("new");
  });

  it("rejects unknown paths and changes nothing", async () => {
    await expectStatus(
      containers().update({
        container: { id: "c1", image: "changed" },
        updateMask: { paths: ["image", "snapshot_key"] },
      }),
      Code.InvalidArgument,
      'cannot update "snapshot_key" field on "c1": invalid argument',
    );
    expect((await containers().get({ id: "c1" })).container?.image).toBe("");
  });

  it("checks immutable fields on a full replace", async () => {
    const { $typeName, ...stored } = (await containers().get({ id: "c1" })).container ?? newContainer();
    await expectStatus(
      containers().update({ container: { ...stored, snapshotter: "native" } }),
      Code.InvalidArgument,
      "container.Snapshotter field is immutable: invalid argument",
    );
    await expectStatus(
      containers().update({ container: { ...stored, runtime: { name: "other" } } }),
      Code.InvalidArgument,
      "container.Runtime.Name field is immutable: invalid argument",
    );
    const { container } = await containers().update({ container: { ...stored, labels: { only: "x" }, image: "i" } });
    expect(container?.labels).toEqual({ only: "x" });
    expect(container?.image).toBe("i");
  });

  it("validates the merged record", async () => {
    await expectStatus(
      containers().update({ container: { id: "c1" }, updateMask: { paths: ["spec"] } }),
      Code.InvalidArgument,
      "update failed validation: container.Spec must be set: invalid argument",
    );
    await expectStatus(
      containers().update({
        container: { id: "c1", labels: { big: "v".repeat(4094) } },
        updateMask: { paths: ["labels.big"] },
      }),
      Code.InvalidArgument,
      "update failed validation: containers.Labels: label key and value greater than maximum size (4096 bytes), key: big: invalid argument",
    );
  });
});

describe("Delete", () => {
  it("reports missing containers two ways", async () => {
    await expectStatus(
      containers().delete({ id: "c1" }),
      Code.NotFound,
      'cannot delete container "c1" in namespace "default": not found',
    );
    await containers().create({ container: newContainer() });
    await expectStatus(containers().delete({ id: "c2" }), Code.NotFound, "container c2: not found");
    await expectStatus(containers().delete({ id: "" }), Code.NotFound, "container : not found");
  });

  it("keeps the bucket's messages once the namespace's last container is gone, as containerd", async () => {
    await containers().create({ container: newContainer() });
    await containers().delete({ id: newContainer().id });
    await expectStatus(containers().delete({ id: "c2" }), Code.NotFound, "container c2: not found");
    // bbolt's answer to deleting the empty name from an empty bucket.
    await expectStatus(containers().delete({ id: "" }), Code.Unknown, "incompatible value");
    await berth.client.namespaces.delete({ name: "default" });
    await expectStatus(
      containers().delete({ id: "c2" }),
      Code.NotFound,
      'cannot delete container "c2" in namespace "default": not found',
    );
  });

  it("removes the record", async () => {
    await containers().create({ container: newContainer() });
    await containers().delete({ id: "c1" });
    await expectStatus(
      containers().get({ id: "c1" }),
      Code.NotFound,
      'container "c1" in namespace "default": not found',
    );
    expect(await ids()).toEqual([]);
  });
});

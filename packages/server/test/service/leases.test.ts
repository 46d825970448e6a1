import type { Resource } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";

const NAMESPACE_REQUIRED = "namespace is required: failed precondition";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
beforeEach(async () => {
  berth = await createInMemoryBerth();
});
const leases = () => berth.client.leases;

async function ids(filters: string[] = []): Promise<string[]> {
  return (await leases().list({ filters })).leases.map((lease) => lease.id);
}

/** Resources as `type id` strings, sorted: the spec does not fix their order. */
async function resources(id: string): Promise<string[]> {
  const response = await leases().listResources({ id });
  return response.resources.map((r: Resource) => `${r.type} ${r.id}`).sort();
}

describe("namespace header", () => {
  const anonymous = () => berth.client.withNamespace("");
  it.each([
    ["Create", () => anonymous().leases.create({ id: "l1" })],
    ["Delete", () => anonymous().leases.delete({ id: "l1" })],
    ["List", () => anonymous().leases.list({})],
    ["AddResource", () => anonymous().leases.addResource({ id: "l1", resource: { id: "r", type: "ingests" } })],
    ["DeleteResource", () => anonymous().leases.deleteResource({ id: "l1", resource: { id: "r", type: "ingests" } })],
    ["ListResources", () => anonymous().leases.listResources({ id: "l1" })],
  ])("is required by %s", async (_, call) => {
    await leases().create({ id: "l1" });
    await expectStatus(call(), Code.FailedPrecondition, NAMESPACE_REQUIRED);
  });

  it("must be an identifier", async () => {
    await expectStatus(
      berth.client.withNamespace("Bad NS").leases.create({ id: "l1" }),
      Code.InvalidArgument,
      'namespace validation: identifier "Bad NS" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument',
    );
    expect(await ids()).toEqual([]);
  });

  it("keeps namespaces apart", async () => {
    const other = berth.client.withNamespace("other");
    await leases().create({ id: "l1", labels: { ns: "default" } });
    await other.leases.create({ id: "l1", labels: { ns: "other" } });
    expect((await other.leases.list({})).leases.map((l) => l.labels)).toEqual([{ ns: "other" }]);
    await other.leases.delete({ id: "l1" });
    expect((await leases().list({})).leases.map((l) => l.labels)).toEqual([{ ns: "default" }]);
  });
});

describe("Create", () => {
  it("stores the lease with created_at now and no empty labels", async () => {
    const before = Date.now();
    const { lease } = await leases().create({ id: "l1", labels: { a: "1", empty: "" } });
    expect(lease?.id).toBe("l1");
    expect(lease?.labels).toEqual({ a: "1" });
    expect(lease?.createdAt).toBeDefined();
    const created = timestampDate(lease?.createdAt ?? create(TimestampSchema)).getTime();
    expect(created).toBeGreaterThanOrEqual(before - 5);
    expect(created).toBeLessThanOrEqual(Date.now() + 5);
    const listed = (await leases().list({})).leases;
    expect(listed).toHaveLength(1);
    expect(listed[0]?.labels).toEqual({ a: "1" });
    expect(listed[0]?.createdAt).toEqual(lease?.createdAt);
  });

  it("generates <nanos>-<4 base64url> when the id is empty", async () => {
    const { lease } = await leases().create({});
    expect(lease?.id).toMatch(/^\d{1,9}-[A-Za-z0-9_-]{4}$/);
    expect(await ids()).toEqual([lease?.id]);
    const more = new Set<string>();
    for (let i = 0; i < 5; i++) more.add((await leases().create({ id: "" })).lease?.id ?? "");
    expect(more.size).toBe(5);
    for (const id of more) expect(id).toMatch(/^\d{1,9}-[A-Za-z0-9_-]{4}$/);
  });

  it("takes N from the nanoseconds of the creation time", async () => {
    const now = create(TimestampSchema, { seconds: 1_700_000_000n, nanos: 123_456_789 });
    const pinned = await createInMemoryBerth({ clock: () => now });
    const { lease } = await pinned.client.leases.create({ labels: { a: "1" } });
    expect(lease?.id).toMatch(/^123456789-[A-Za-z0-9_-]{4}$/);
    expect(lease?.createdAt).toEqual(now);
    expect(lease?.labels).toEqual({ a: "1" });
  });

  it("does not validate the id", async () => {
    for (const id of ["my lease!", "a/b", "Über", "-x-", "x".repeat(300)]) {
      expect((await leases().create({ id })).lease?.id).toBe(id);
    }
    expect(await ids()).toEqual(["-x-", "a/b", "my lease!", "x".repeat(300), "Über"]);
    await leases().delete({ id: "my lease!" });
    expect(await ids()).not.toContain("my lease!");
  });

  it("does not size-check labels", async () => {
    const labels = { "0123456789abc": "v".repeat(5000) };
    expect((await leases().create({ id: "big", labels })).lease?.labels).toEqual(labels);
  });

  it("rejects a duplicate and keeps the first", async () => {
    await leases().create({ id: "l1", labels: { a: "1" } });
    await expectStatus(
      leases().create({ id: "l1", labels: { b: "2" } }),
      Code.AlreadyExists,
      'lease "l1": already exists',
    );
    expect((await leases().list({})).leases.map((l) => l.labels)).toEqual([{ a: "1" }]);
  });

  it("quotes a duplicate id the Go way", async () => {
    const id = 'say "hi"\\\n';
    await leases().create({ id });
    await expectStatus(leases().create({ id }), Code.AlreadyExists, 'lease "say \\"hi\\"\\\\\\n": already exists');
  });
});

describe("Delete", () => {
  it("removes the lease", async () => {
    await leases().create({ id: "l1" });
    await leases().create({ id: "l2" });
    await leases().delete({ id: "l1" });
    expect(await ids()).toEqual(["l2"]);
    await leases().delete({ id: "l2", sync: true });
    expect(await ids()).toEqual([]);
  });

  it("answers the empty id in an emptied leases bucket as bbolt does: Unknown incompatible value", async () => {
    await expectStatus(leases().delete({ id: "" }), Code.NotFound, 'lease "": not found');
    await leases().create({ id: "l1" });
    await expectStatus(leases().delete({ id: "" }), Code.NotFound, 'lease "": not found');
    await leases().delete({ id: "l1" });
    await expectStatus(leases().delete({ id: "" }), Code.Unknown, "incompatible value");
    await expectStatus(leases().delete({ id: "zz" }), Code.NotFound, 'lease "zz": not found');
  });

  it("reports an unknown lease as NotFound", async () => {
    await leases().create({ id: "l1" });
    await expectStatus(leases().delete({ id: "x" }), Code.NotFound, 'lease "x": not found');
    await expectStatus(leases().delete({ id: "" }), Code.NotFound, 'lease "": not found');
    await leases().delete({ id: "l1" });
    await expectStatus(leases().delete({ id: "l1" }), Code.NotFound, 'lease "l1": not found');
  });

  it("reports NotFound in a namespace with no leases", async () => {
    const empty = berth.client.withNamespace("empty");
    await expectStatus(empty.leases.delete({ id: "x" }), Code.NotFound, 'lease "x": not found');
    await berth.client.namespaces.create({ namespace: { name: "bare" } });
    await expectStatus(
      berth.client.withNamespace("bare").leases.delete({ id: "x" }),
      Code.NotFound,
      'lease "x": not found',
    );
  });

  it("quotes the id the Go way", async () => {
    await expectStatus(leases().delete({ id: 'a"b' }), Code.NotFound, 'lease "a\\"b": not found');
  });

  it("drops the lease's resources, so a new lease of the same id starts empty", async () => {
    await leases().create({ id: "l1" });
    await leases().addResource({ id: "l1", resource: { id: "ref", type: "ingests" } });
    await leases().delete({ id: "l1" });
    await leases().create({ id: "l1" });
    expect(await resources("l1")).toEqual([]);
  });
});

describe("List", () => {
  beforeEach(async () => {
    await leases().create({ id: "b", labels: { k: "v", x: "1" } });
    await leases().create({ id: "a", labels: { k: "w" } });
    await leases().create({ id: "B", labels: { "com.example/x": "y" } });
    await leases().create({ id: "c" });
  });

  it("orders by id bytes", async () => {
    expect(await ids()).toEqual(["B", "a", "b", "c"]);
    expect(await ids([""])).toEqual(["B", "a", "b", "c"]);
  });

  it.each([
    [["id==a"], ["a"]],
    [["id!=a"], ["B", "b", "c"]],
    [["labels.k==v"], ["b"]],
    [["labels.k"], ["a", "b"]],
    [["labels.k~=^[vw]$"], ["a", "b"]],
    [["labels.k==v,labels.x==1"], ["b"]],
    [["labels.k==v,labels.x==2"], []],
    [
      ["id==a", "labels.k==v"],
      ["a", "b"],
    ],
    [
      ["id==c", "id==B"],
      ["B", "c"],
    ],
    [['labels."com.example/x"==y'], ["B"]],
    [["labels.nope"], []],
    [["created_at"], []],
  ])("filters with %j", async (filters, expected) => {
    expect(await ids(filters)).toEqual(expected);
  });

  it.each([
    ["id=a", 'filters: parse error: [id >|=|< a]: unsupported operator "="'],
    ["id==a ", "filters: parse error: [id==a >| |< ]: unexpected input:  "],
  ])("rejects the bad filter %j with a doubled suffix", async (filter, parseError) => {
    await expectStatus(
      leases().list({ filters: ["id==a", filter] }),
      Code.InvalidArgument,
      `${parseError}: invalid argument: invalid argument`,
    );
  });

  it("lists nothing for an unknown namespace", async () => {
    expect((await berth.client.withNamespace("unknown").leases.list({})).leases).toEqual([]);
  });
});

describe("resources", () => {
  beforeEach(async () => {
    await leases().create({ id: "l1" });
  });

  it("adds, lists and deletes content, ingests and snapshots references", async () => {
    await leases().addResource({ id: "l1", resource: { id: DIGEST, type: "content" } });
    await leases().addResource({ id: "l1", resource: { id: "ingest-ref", type: "ingests" } });
    await leases().addResource({ id: "l1", resource: { id: "snap-key", type: "snapshots/overlayfs" } });
    await leases().addResource({ id: "l1", resource: { id: "snap-key", type: "snapshots/native" } });
    await leases().addResource({ id: "l1", resource: { id: "ingest-ref", type: "ingests" } });
    expect(await resources("l1")).toEqual([
      `content ${DIGEST}`,
      "ingests ingest-ref",
      "snapshots/native snap-key",
      "snapshots/overlayfs snap-key",
    ]);
    await leases().deleteResource({ id: "l1", resource: { id: "snap-key", type: "snapshots/overlayfs" } });
    await leases().deleteResource({ id: "l1", resource: { id: DIGEST, type: "content" } });
    expect(await resources("l1")).toEqual(["ingests ingest-ref", "snapshots/native snap-key"]);
  });

  it("keeps resources per lease", async () => {
    await leases().create({ id: "l2" });
    await leases().addResource({ id: "l2", resource: { id: "r", type: "ingests" } });
    expect(await resources("l1")).toEqual([]);
    expect(await resources("l2")).toEqual(["ingests r"]);
  });

  it("deletes a missing resource without complaint", async () => {
    await leases().deleteResource({ id: "l1", resource: { id: "nothing", type: "ingests" } });
    await leases().deleteResource({ id: "l1", resource: { id: DIGEST, type: "content" } });
    await leases().deleteResource({ id: "l1", resource: { id: "k", type: "snapshots/overlayfs" } });
    expect(await resources("l1")).toEqual([]);
  });

  it.each(["not-a-digest", "", `sha256:${"0".repeat(10)}`, `sha256:${"G".repeat(64)}`])(
    "rejects the content id %j that is not a digest",
    async (id) => {
      const error = await leases()
        .addResource({ id: "l1", resource: { id, type: "content" } })
        .then(
          () => undefined,
          (reason: unknown) => ConnectError.from(reason),
        );
      expect(error, "AddResource should fail").toBeInstanceOf(ConnectError);
      expect(await resources("l1")).toEqual([]);
    },
  );

  it.each(["foo", "", "contents", "Content"])("reports the type %j as not implemented", async (type) => {
    const message = `resource type ${type} not supported yet: not implemented`;
    await expectStatus(leases().addResource({ id: "l1", resource: { id: "r", type } }), Code.Unimplemented, message);
    await expectStatus(leases().deleteResource({ id: "l1", resource: { id: "r", type } }), Code.Unimplemented, message);
  });

  it("treats a missing resource as an empty type", async () => {
    await expectStatus(
      leases().addResource({ id: "l1" }),
      Code.Unimplemented,
      "resource type  not supported yet: not implemented",
    );
  });

  it("reports an unknown lease as NotFound", async () => {
    const resource = { id: "r", type: "ingests" };
    await expectStatus(leases().addResource({ id: "nope", resource }), Code.NotFound, 'lease "nope": not found');
    await expectStatus(leases().deleteResource({ id: "nope", resource }), Code.NotFound, 'lease "nope": not found');
    await expectStatus(leases().listResources({ id: "nope" }), Code.NotFound, 'lease "nope": not found');
    const empty = berth.client.withNamespace("empty");
    await expectStatus(empty.leases.listResources({ id: "l1" }), Code.NotFound, 'lease "l1": not found');
    await expectStatus(empty.leases.addResource({ id: "l1", resource }), Code.NotFound, 'lease "l1": not found');
  });
});

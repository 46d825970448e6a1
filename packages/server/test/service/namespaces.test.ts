import {
  NamespaceSchema,
  UpdateNamespaceResponseSchema,
} from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { beforeEach, describe, expect, it } from "vitest";
import { newContainer } from "../support/containers.js";
import { expectStatus } from "../support/expect-status.js";
import { createInMemoryBerth } from "../support/in-memory.js";
import { until } from "../support/until.js";

const ID_PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const BIG = "v".repeat(4096);
const LABEL_TOO_BIG = "label key and value greater than maximum size (4096 bytes), key: 0123456789: invalid argument";

let berth: Awaited<ReturnType<typeof createInMemoryBerth>>;
beforeEach(async () => {
  berth = await createInMemoryBerth();
});
const namespaces = () => berth.client.namespaces;

/** Every namespace as `name → labels`, in the order List returns them. */
async function listed(): Promise<[string, Record<string, string>][]> {
  const response = await namespaces().list({});
  return response.namespaces.map((ns) => [ns.name, { ...ns.labels }]);
}

async function names(): Promise<string[]> {
  return (await listed()).map(([name]) => name);
}

async function labelsOf(name: string): Promise<Record<string, string>> {
  return { ...(await namespaces().get({ name })).namespace?.labels };
}

describe("Get", () => {
  it("never answers NotFound: an unknown name gets empty labels and is echoed", async () => {
    const { namespace } = await namespaces().get({ name: "nope" });
    expect(namespace?.name).toBe("nope");
    expect(namespace?.labels).toEqual({});
    expect(await names()).toEqual([]);
  });

  it.each(["Bad Name", "", "a".repeat(100), "with/slash"])("does not validate the name %j", async (name) => {
    const { namespace } = await namespaces().get({ name });
    expect(namespace?.name).toBe(name);
    expect(namespace?.labels).toEqual({});
  });

  it("returns the stored labels", async () => {
    await namespaces().create({ namespace: { name: "lab", labels: { a: "1", b: "2" } } });
    expect(await labelsOf("lab")).toEqual({ a: "1", b: "2" });
  });

  it("ignores the namespace header", async () => {
    await namespaces().create({ namespace: { name: "lab", labels: { a: "1" } } });
    for (const header of ["", "Bad NS"]) {
      const { namespace } = await berth.client.withNamespace(header).namespaces.get({ name: "lab" });
      expect(namespace?.labels).toEqual({ a: "1" });
    }
  });
});

describe("List", () => {
  it("is empty at first: no namespace exists by default", async () => {
    expect(await listed()).toEqual([]);
  });

  it("answers every write that came before it, though berthd keeps the last list", async () => {
    await namespaces().create({ namespace: { name: "one" } });
    expect(await listed()).toEqual([["one", {}]]);
    expect(await listed()).toEqual([["one", {}]]);
    // A container's first write makes its namespace.
    await berth.client.withNamespace("two").containers.create({ container: newContainer({ id: "c" }) });
    expect(await names()).toEqual(["one", "two"]);
    await namespaces().update({ namespace: { name: "one", labels: { a: "1" } }, updateMask: { paths: ["labels.a"] } });
    expect(await listed()).toEqual([
      ["one", { a: "1" }],
      ["two", {}],
    ]);
    await namespaces().delete({ name: "one" });
    expect(await names()).toEqual(["two"]);
    // A write that fails leaves the list as it was, and the next list reads again all the same.
    await expectStatus(
      namespaces().delete({ name: "two" }),
      Code.FailedPrecondition,
      'namespace "two" must be empty, but it still has containers: failed precondition',
    );
    expect(await names()).toEqual(["two"]);
  });

  it("returns every namespace in byte order of the name, with its labels", async () => {
    for (const name of ["b", "a", "Z", "A", "9x", "a.b", "a-b", "B_c"]) {
      await namespaces().create({ namespace: { name, labels: name === "Z" ? { z: "1" } : {} } });
    }
    expect(await listed()).toEqual([
      ["9x", {}],
      ["A", {}],
      ["B_c", {}],
      ["Z", { z: "1" }],
      ["a", {}],
      ["a-b", {}],
      ["a.b", {}],
      ["b", {}],
    ]);
  });

  it("ignores the filter and the namespace header", async () => {
    await namespaces().create({ namespace: { name: "one" } });
    await namespaces().create({ namespace: { name: "two" } });
    const anonymous = berth.client.withNamespace("");
    for (const filter of ["name==one", "garbage ==", "id=x"]) {
      const response = await anonymous.namespaces.list({ filter });
      expect(response.namespaces.map((ns) => ns.name)).toEqual(["one", "two"]);
    }
  });
});

describe("Create", () => {
  it("stores non-empty labels and echoes the request, empty values included", async () => {
    const { namespace } = await namespaces().create({ namespace: { name: "n1", labels: { a: "1", empty: "" } } });
    expect(namespace?.name).toBe("n1");
    expect(namespace?.labels).toEqual({ a: "1", empty: "" });
    expect(await labelsOf("n1")).toEqual({ a: "1" });
    expect(await listed()).toEqual([["n1", { a: "1" }]]);
  });

  it.each([
    ["a bad name", "Bad Name", `identifier "Bad Name" must match ${ID_PATTERN}: invalid argument`],
    ["an empty name", "", "identifier must not be empty: invalid argument"],
    [
      "a long name",
      "n".repeat(77),
      `identifier "${"n".repeat(77)}" greater than maximum length (76 characters): invalid argument`,
    ],
    ["a trailing separator", "a-", `identifier "a-" must match ${ID_PATTERN}: invalid argument`],
  ])("rejects %s with no prefix", async (_, name, message) => {
    await expectStatus(namespaces().create({ namespace: { name } }), Code.InvalidArgument, message);
    expect(await names()).toEqual([]);
  });

  it("treats a missing namespace as an empty name", async () => {
    await expectStatus(namespaces().create({}), Code.InvalidArgument, "identifier must not be empty: invalid argument");
  });

  it("accepts a 76-byte name", async () => {
    const name = "n".repeat(76);
    await namespaces().create({ namespace: { name } });
    expect(await names()).toEqual([name]);
  });

  it("checks the name before the labels", async () => {
    await expectStatus(
      namespaces().create({ namespace: { name: "Bad Name", labels: { "0123456789abc": BIG } } }),
      Code.InvalidArgument,
      `identifier "Bad Name" must match ${ID_PATTERN}: invalid argument`,
    );
  });

  it("rejects a label too big with the namespace.Labels prefix", async () => {
    await expectStatus(
      namespaces().create({ namespace: { name: "n1", labels: { "0123456789abc": BIG } } }),
      Code.InvalidArgument,
      `namespace.Labels: ${LABEL_TOO_BIG}`,
    );
    expect(await names()).toEqual([]);
  });

  it("accepts a label of exactly 4096 bytes", async () => {
    const labels = { k: "v".repeat(4095) };
    await namespaces().create({ namespace: { name: "n1", labels } });
    expect(await labelsOf("n1")).toEqual(labels);
  });

  it("checks the labels before existence", async () => {
    await namespaces().create({ namespace: { name: "n1" } });
    await expectStatus(
      namespaces().create({ namespace: { name: "n1", labels: { "0123456789abc": BIG } } }),
      Code.InvalidArgument,
      `namespace.Labels: ${LABEL_TOO_BIG}`,
    );
  });

  it("rejects a duplicate and keeps the first labels", async () => {
    await namespaces().create({ namespace: { name: "n1", labels: { a: "1" } } });
    await expectStatus(
      namespaces().create({ namespace: { name: "n1", labels: { b: "2" } } }),
      Code.AlreadyExists,
      'namespace "n1": already exists',
    );
    expect(await labelsOf("n1")).toEqual({ a: "1" });
  });

  it("rejects a namespace that came into being implicitly", async () => {
    await berth.client.withNamespace("implicit").containers.create({ container: newContainer() });
    await expectStatus(
      namespaces().create({ namespace: { name: "implicit" } }),
      Code.AlreadyExists,
      'namespace "implicit": already exists',
    );
  });

  it("does not need the namespace header", async () => {
    await berth.client.withNamespace("").namespaces.create({ namespace: { name: "n1", labels: { a: "1" } } });
    expect(await listed()).toEqual([["n1", { a: "1" }]]);
  });
});

describe("Update", () => {
  beforeEach(async () => {
    await namespaces().create({ namespace: { name: "u", labels: { a: "1", b: "2" } } });
  });

  it("sets and removes labels named by labels.<key> paths only", async () => {
    await namespaces().update({
      namespace: { name: "u", labels: { b: "", c: "3", a: "ignored", d: "ignored" } },
      updateMask: { paths: ["labels.b", "labels.c"] },
    });
    expect(await labelsOf("u")).toEqual({ a: "1", c: "3" });
  });

  it("removes a label named by a path but absent from the request", async () => {
    await namespaces().update({ namespace: { name: "u" }, updateMask: { paths: ["labels.a"] } });
    expect(await labelsOf("u")).toEqual({ b: "2" });
  });

  it("takes everything after the prefix as the key, dots included", async () => {
    await namespaces().update({
      namespace: { name: "u", labels: { "containerd.io/defaults/runtime": "io.containerd.runc.v2" } },
      updateMask: { paths: ["labels.containerd.io/defaults/runtime"] },
    });
    expect(await labelsOf("u")).toEqual({ a: "1", b: "2", "containerd.io/defaults/runtime": "io.containerd.runc.v2" });
  });

  it("answers with an empty namespace (wire 0a 00), not the updated one", async () => {
    const response = await namespaces().update({
      namespace: { name: "u", labels: { c: "3" } },
      updateMask: { paths: ["labels.c"] },
    });
    expect(response.namespace).toEqual(create(NamespaceSchema));
    expect(toBinary(UpdateNamespaceResponseSchema, response)).toEqual(new Uint8Array([0x0a, 0x00]));
  });

  it.each(["labels", "name", "label.a", "Labels.a", "", "spec"])(
    "rejects the path %j as a plain status and changes nothing",
    async (path) => {
      await expectStatus(
        namespaces().update({
          namespace: { name: "u", labels: { a: "9" } },
          updateMask: { paths: ["labels.a", path] },
        }),
        Code.InvalidArgument,
        `cannot update "${path}" field`,
      );
      expect(await labelsOf("u")).toEqual({ a: "1", b: "2" });
    },
  );

  it("quotes a bad path the Go way", async () => {
    await expectStatus(
      namespaces().update({ namespace: { name: "u" }, updateMask: { paths: ['a"b\\c\n'] } }),
      Code.InvalidArgument,
      'cannot update "a\\"b\\\\c\\n" field',
    );
  });

  it("replaces every label without a mask, skipping empty values", async () => {
    await namespaces().update({ namespace: { name: "u", labels: { x: "9", y: "" } } });
    expect(await labelsOf("u")).toEqual({ x: "9" });
  });

  it("replaces every label with an empty mask", async () => {
    await namespaces().update({ namespace: { name: "u", labels: { x: "9" } }, updateMask: { paths: [] } });
    expect(await labelsOf("u")).toEqual({ x: "9" });
  });

  it("clears every label with no mask and no labels", async () => {
    await namespaces().update({ namespace: { name: "u" } });
    expect(await listed()).toEqual([["u", {}]]);
  });

  it("creates an unknown namespace, with or without a mask", async () => {
    await namespaces().update({ namespace: { name: "fresh", labels: { k: "v" } } });
    await namespaces().update({
      namespace: { name: "masked", labels: { k: "v" } },
      updateMask: { paths: ["labels.k"] },
    });
    expect(await listed()).toEqual([
      ["fresh", { k: "v" }],
      ["masked", { k: "v" }],
      ["u", { a: "1", b: "2" }],
    ]);
  });

  it.each(["ghost", "", "Bad Ghost"])(
    "leaves the unknown namespace %j missing when it sets no label, and succeeds, as containerd",
    async (name) => {
      const before = berth.exchange.subscribers;
      const controller = new AbortController();
      const events = berth.client.events.subscribe(
        { filters: ['topic=="/namespaces/update"'] },
        { signal: controller.signal },
      );
      const first = events[Symbol.asyncIterator]().next();
      await until(() => berth.exchange.subscribers > before, "the subscriber to register");
      const response = await namespaces().update({ namespace: { name } });
      expect(response.namespace?.name).toBe("");
      expect(await names()).toEqual(["u"]);
      const event = (await first).value;
      expect(event?.topic).toBe("/namespaces/update");
      controller.abort();
    },
  );

  it("creates an unknown namespace from a mask even when the label it names is empty", async () => {
    await namespaces().update({ namespace: { name: "masked" }, updateMask: { paths: ["labels.k"] } });
    expect(await listed()).toEqual([
      ["masked", {}],
      ["u", { a: "1", b: "2" }],
    ]);
  });

  it("ignores labels that the mask does not name, whatever their size", async () => {
    await namespaces().update({
      namespace: { name: "u", labels: { c: "3", "0123456789abc": BIG } },
      updateMask: { paths: ["labels.c"] },
    });
    expect(await labelsOf("u")).toEqual({ a: "1", b: "2", c: "3" });
  });

  // Deliberate deviations (docs/compatibility.md): containerd answers Unknown here, or creates an invalid name.
  it("rejects a label too big with InvalidArgument (containerd: Unknown)", async () => {
    await expectStatus(
      namespaces().update({
        namespace: { name: "u", labels: { "0123456789abc": BIG } },
        updateMask: { paths: ["labels.0123456789abc"] },
      }),
      Code.InvalidArgument,
      `namespace.Labels: ${LABEL_TOO_BIG}`,
    );
    await expectStatus(
      namespaces().update({ namespace: { name: "u", labels: { "0123456789abc": BIG } } }),
      Code.InvalidArgument,
      `namespace.Labels: ${LABEL_TOO_BIG}`,
    );
    expect(await labelsOf("u")).toEqual({ a: "1", b: "2" });
  });

  it.each([
    ["Bad Ghost", { k: "v" }, `identifier "Bad Ghost" must match ${ID_PATTERN}: invalid argument`],
    ["", { k: "v" }, "identifier must not be empty: invalid argument"],
  ])("rejects the invalid name %j and writes nothing (containerd creates it)", async (name, labels, message) => {
    await expectStatus(namespaces().update({ namespace: { name, labels } }), Code.InvalidArgument, message);
    expect(await names()).toEqual(["u"]);
  });

  it("checks the paths before the name", async () => {
    await expectStatus(
      namespaces().update({ namespace: { name: "Bad Ghost" }, updateMask: { paths: ["name"] } }),
      Code.InvalidArgument,
      'cannot update "name" field',
    );
  });

  it("does not need the namespace header (deviation: containerd commits, then fails)", async () => {
    await berth.client.withNamespace("").namespaces.update({ namespace: { name: "u", labels: { z: "1" } } });
    expect(await labelsOf("u")).toEqual({ z: "1" });
  });
});

describe("Delete", () => {
  it.each(["nope", "", "Bad Name"])("reports the unknown name %j as NotFound", async (name) => {
    await expectStatus(namespaces().delete({ name }), Code.NotFound, `namespace "${name}": not found`);
  });

  it("removes an empty namespace with its labels", async () => {
    await namespaces().create({ namespace: { name: "gone", labels: { a: "1" } } });
    await namespaces().create({ namespace: { name: "kept" } });
    await berth.client.withNamespace("").namespaces.delete({ name: "gone" });
    expect(await names()).toEqual(["kept"]);
    expect(await labelsOf("gone")).toEqual({});
    await expectStatus(namespaces().delete({ name: "gone" }), Code.NotFound, 'namespace "gone": not found');
    await namespaces().create({ namespace: { name: "gone" } });
    expect(await labelsOf("gone")).toEqual({});
  });

  it("refuses a namespace that still holds containers, until the last one is deleted", async () => {
    const busy = berth.client.withNamespace("busy");
    await busy.containers.create({ container: newContainer({ id: "c1" }) });
    await busy.containers.create({ container: newContainer({ id: "c2" }) });
    const message = 'namespace "busy" must be empty, but it still has containers: failed precondition';
    await expectStatus(namespaces().delete({ name: "busy" }), Code.FailedPrecondition, message);
    await busy.containers.delete({ id: "c1" });
    await expectStatus(namespaces().delete({ name: "busy" }), Code.FailedPrecondition, message);
    expect((await busy.containers.get({ id: "c2" })).container?.id).toBe("c2");
    await busy.containers.delete({ id: "c2" });
    await namespaces().delete({ name: "busy" });
    expect(await names()).toEqual([]);
  });

  it("removes the namespace's leases and their resources with it", async () => {
    const leasy = berth.client.withNamespace("leasy");
    await leasy.leases.create({ id: "l1", labels: { a: "1" } });
    await leasy.leases.addResource({ id: "l1", resource: { id: "ref", type: "ingests" } });
    await leasy.leases.create({ id: "l2" });
    const other = berth.client.withNamespace("other");
    await other.leases.create({ id: "l1" });
    await namespaces().delete({ name: "leasy" });
    expect(await names()).toEqual(["other"]);
    expect((await leasy.leases.list({})).leases).toEqual([]);
    await expectStatus(leasy.leases.listResources({ id: "l1" }), Code.NotFound, 'lease "l1": not found');
    await leasy.leases.create({ id: "l1" });
    expect((await leasy.leases.listResources({ id: "l1" })).resources).toEqual([]);
    expect((await other.leases.list({})).leases.map((l) => l.id)).toEqual(["l1"]);
  });
});

describe("implicit creation", () => {
  it("creates the namespace of a new container", async () => {
    await berth.client.withNamespace("viaContainer").containers.create({ container: newContainer() });
    expect(await listed()).toEqual([["viaContainer", {}]]);
  });

  it("creates the namespace of a new lease", async () => {
    await berth.client.withNamespace("via-lease").leases.create({ id: "l1" });
    expect(await listed()).toEqual([["via-lease", {}]]);
  });

  it("keeps the labels of a namespace that already exists", async () => {
    await namespaces().create({ namespace: { name: "labelled", labels: { a: "1" } } });
    await berth.client.withNamespace("labelled").containers.create({ container: newContainer() });
    await berth.client.withNamespace("labelled").leases.create({ id: "l1" });
    expect(await listed()).toEqual([["labelled", { a: "1" }]]);
  });

  it("does not create a namespace when the write fails", async () => {
    const fresh = berth.client.withNamespace("fresh");
    await expectStatus(
      fresh.containers.create({ container: newContainer({ spec: undefined }) }),
      Code.InvalidArgument,
      "create container failed validation: container.Spec must be set: invalid argument",
    );
    expect(await names()).toEqual([]);
  });

  it("is not caused by reads", async () => {
    const fresh = berth.client.withNamespace("fresh");
    expect((await fresh.containers.list({})).containers).toEqual([]);
    expect((await fresh.leases.list({})).leases).toEqual([]);
    await namespaces().get({ name: "fresh" });
    await expectStatus(fresh.leases.delete({ id: "x" }), Code.NotFound, 'lease "x": not found');
    expect(await names()).toEqual([]);
  });
});

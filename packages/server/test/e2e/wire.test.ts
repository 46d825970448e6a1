import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { rawGrpcCall } from "../support/grpc-raw.js";
import { lenField, lenOf, message, readFields, stringOf } from "../support/protowire.js";

// Field numbers straight from spec §4.1: a renumbered field in proto/ fails here.
const SERVICE = "/containerd.services.containers.v1.Containers";
const container = (id: string) =>
  message(
    lenField(1, id), // id
    lenField(2, message(lenField(1, "k"), lenField(2, "v"))), // labels entry
    lenField(2, message(lenField(1, "gone"), lenField(2, ""))), // empty value: never stored
    lenField(3, "docker.io/library/busybox:latest"), // image
    lenField(4, message(lenField(1, "io.containerd.runc.v2"))), // runtime.name
    lenField(5, message(lenField(1, "types.containerd.io/opencontainers/runtime-spec/1/Spec"), lenField(2, "{}"))), // spec
    lenField(6, "overlayfs"), // snapshotter
    lenField(7, "snap-1"), // snapshot_key
    lenField(10, message(lenField(1, "ext"), lenField(2, message(lenField(1, "t"), lenField(2, "x"))))), // extensions
  );

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess();
});
afterAll(async () => {
  await berthd.dispose();
});

describe("wire format", () => {
  it("creates from hand-built bytes and answers with containerd's field numbers", async () => {
    const created = await rawGrpcCall(berthd.socket, `${SERVICE}/Create`, lenField(1, container("w1")), {
      "containerd-namespace": "wire",
    });
    expect(created.status).toBe("0");
    const body = lenOf(created.messages[0] ?? new Uint8Array(), 1);
    expect(body).toBeDefined();
    const fields = readFields(body ?? new Uint8Array());
    expect(stringOf(body ?? new Uint8Array(), 1)).toBe("w1");
    expect(stringOf(body ?? new Uint8Array(), 3)).toBe("docker.io/library/busybox:latest");
    expect(stringOf(lenOf(body ?? new Uint8Array(), 4) ?? new Uint8Array(), 1)).toBe("io.containerd.runc.v2");
    expect(stringOf(lenOf(body ?? new Uint8Array(), 5) ?? new Uint8Array(), 2)).toBe("{}");
    expect(stringOf(body ?? new Uint8Array(), 6)).toBe("overlayfs");
    expect(stringOf(body ?? new Uint8Array(), 7)).toBe("snap-1");
    const labels = fields.filter((f) => f.field === 2).map((f) => stringOf(f.value as Uint8Array, 1));
    expect(labels).toEqual(["k"]);
    const createdAt = lenOf(body ?? new Uint8Array(), 8);
    const updatedAt = lenOf(body ?? new Uint8Array(), 9);
    expect(createdAt && readFields(createdAt)[0]?.field).toBe(1); // seconds
    expect(updatedAt).toEqual(createdAt);
    const extension = fields.find((f) => f.field === 10)?.value as Uint8Array;
    expect(stringOf(extension, 1)).toBe("ext");
  });

  it("reads with Get, List and ListStream by field number", async () => {
    const header = { "containerd-namespace": "wire" };
    const got = await rawGrpcCall(berthd.socket, `${SERVICE}/Get`, lenField(1, "w1"), header);
    expect(stringOf(lenOf(got.messages[0] ?? new Uint8Array(), 1) ?? new Uint8Array(), 1)).toBe("w1");

    await rawGrpcCall(berthd.socket, `${SERVICE}/Create`, lenField(1, container("w2")), header);
    const filter = lenField(1, "labels.k==v");
    const listed = await rawGrpcCall(berthd.socket, `${SERVICE}/List`, filter, header);
    const listedIds = readFields(listed.messages[0] ?? new Uint8Array())
      .filter((f) => f.field === 1)
      .map((f) => stringOf(f.value as Uint8Array, 1));
    expect(listedIds).toEqual(["w1", "w2"]);

    const streamed = await rawGrpcCall(berthd.socket, `${SERVICE}/ListStream`, filter, header);
    expect(streamed.status).toBe("0");
    expect(streamed.messages.map((m) => stringOf(lenOf(m, 1) ?? new Uint8Array(), 1))).toEqual(["w1", "w2"]);
  });

  it("answers an empty namespace's List with a 0-byte message", async () => {
    const listed = await rawGrpcCall(berthd.socket, `${SERVICE}/List`, new Uint8Array(), {
      "containerd-namespace": "nothing-here",
    });
    expect(listed.status).toBe("0");
    expect(listed.messages).toEqual([new Uint8Array()]);
  });

  it("updates through update_mask (field 2) and deletes", async () => {
    const header = { "containerd-namespace": "wire" };
    const mask = message(lenField(1, "labels.k"), lenField(1, "image"));
    const request = message(lenField(1, message(lenField(1, "w1"), lenField(3, "new"))), lenField(2, mask));
    const updated = await rawGrpcCall(berthd.socket, `${SERVICE}/Update`, request, header);
    expect(updated.status).toBe("0");
    const body = lenOf(updated.messages[0] ?? new Uint8Array(), 1) ?? new Uint8Array();
    expect(stringOf(body, 3)).toBe("new");
    expect(readFields(body).filter((f) => f.field === 2)).toEqual([]);

    const deleted = await rawGrpcCall(berthd.socket, `${SERVICE}/Delete`, lenField(1, "w1"), header);
    expect(deleted.status).toBe("0");
    expect(deleted.messages).toEqual([new Uint8Array()]);
  });

  it("takes the first of repeated namespace headers, as Go does", async () => {
    const first = await rawGrpcCall(berthd.socket, `${SERVICE}/Get`, lenField(1, "w2"), {
      "containerd-namespace": ["wire", "other"],
    });
    expect(first.status).toBe("0");
    const invalidFirst = await rawGrpcCall(berthd.socket, `${SERVICE}/Get`, lenField(1, "w2"), {
      "containerd-namespace": ["Bad NS", "wire"],
    });
    expect(invalidFirst.status).toBe("3");
    expect(invalidFirst.message).toBe(
      'namespace validation: identifier "Bad NS" must match ^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$: invalid argument',
    );
  });

  it("reports a missing namespace header with containerd's status", async () => {
    const missing = await rawGrpcCall(berthd.socket, `${SERVICE}/Get`, lenField(1, "w2"));
    expect(missing.status).toBe("9");
    expect(missing.message).toBe("namespace is required: failed precondition");
  });
});

/**
 * Errors about huge input, against a real berthd: a 1 MiB id and a 60 KiB
 * filter are quoted only in part, so their statuses stay small, and a trailer
 * block never exceeds what the client allows in SETTINGS_MAX_HEADER_LIST_SIZE.
 */
import {
  CreateContainerRequestSchema,
  GetContainerRequestSchema,
  ListContainersRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeHeaderBlock } from "../../src/transport/h2/hpack.js";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { frame as envelope, rawGrpcCall } from "../support/grpc-raw.js";
import { rawConnection, rawFrame, settings } from "../support/h2-raw.js";

const CONTAINERS = "/containerd.services.containers.v1.Containers";
const MAX_HEADER_LIST_SIZE = 0x6;
const MIB = 1024 * 1024;

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess();
});
afterAll(async () => {
  await berthd.dispose();
});

const ns = { "containerd-namespace": "default" };

describe("errors about huge input", () => {
  it("quotes a 1 MiB id in part: Get answers NotFound with a short message", async () => {
    const id = "x".repeat(MIB);
    const result = await rawGrpcCall(
      berthd.socket,
      `${CONTAINERS}/Get`,
      toBinary(GetContainerRequestSchema, create(GetContainerRequestSchema, { id })),
      ns,
    );
    expect(result.status).toBe("5");
    expect(result.message).toBe(`container "${"x".repeat(256)}"… (1048576 bytes) in namespace "default": not found`);
  });

  it("quotes a 1 MiB id in part: Create answers InvalidArgument with a short message", async () => {
    const request = create(CreateContainerRequestSchema, {
      container: {
        id: "y".repeat(MIB),
        runtime: { name: "io.containerd.runc.v2" },
        spec: { typeUrl: "t", value: new Uint8Array(1) },
      },
    });
    const result = await rawGrpcCall(
      berthd.socket,
      `${CONTAINERS}/Create`,
      toBinary(CreateContainerRequestSchema, request),
      ns,
    );
    expect(result.status).toBe("3");
    expect(result.message?.length).toBeLessThan(1024);
    expect(result.message).toContain("(1048576 bytes)");
  });

  it("shows at most 128 bytes on each side of a filter's parse error", async () => {
    const filter = `${"a".repeat(30_000)}=${"b".repeat(30_000)}`;
    const result = await rawGrpcCall(
      berthd.socket,
      `${CONTAINERS}/List`,
      toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, { filters: [filter] })),
      ns,
    );
    expect(result.status).toBe("3");
    expect(result.message).toBe(
      `filters: parse error: […${"a".repeat(128)} >|=|< ${"b".repeat(128)}…]: unsupported operator "=": invalid argument: invalid argument`,
    );
  });

  it("never sends a header block larger than the client's SETTINGS_MAX_HEADER_LIST_SIZE", async () => {
    const limit = 300;
    const client = await rawConnection(berthd.socket, settings([MAX_HEADER_LIST_SIZE, limit]));
    const request = toBinary(GetContainerRequestSchema, create(GetContainerRequestSchema, { id: "z".repeat(250) }));
    client.socket.write(
      Buffer.concat([
        rawFrame(
          1,
          0x4,
          1,
          encodeHeaderBlock([
            ...[":method", "POST", ":scheme", "http", ":path", `${CONTAINERS}/Get`, ":authority", "localhost"],
            ...["content-type", "application/grpc", "te", "trailers", "containerd-namespace", "default"],
          ]),
        ),
        rawFrame(0, 0x1, 1, envelope(request)),
      ]),
    );
    await client.waitFor((f) => f.type === 1 && (f.flags & 0x1) !== 0);
    for (const block of client.headerBlocks()) {
      const size = Object.entries(block.fields).reduce(
        (sum, [name, value]) => sum + name.length + value.length + 32,
        0,
      );
      expect(size).toBeLessThanOrEqual(limit);
    }
    const trailers = client.headerBlocks().find((block) => block.endStream);
    expect(trailers?.fields["grpc-status"]).toBe("5");
    expect(decodeURIComponent(trailers?.fields["grpc-message"] ?? "")).toMatch(/^container "zzz/);
    client.socket.destroy();
  });
});

/**
 * CRI through berthd: a containerd 1.6.20 with its CRI plugin on serves
 * `runtime.v1` and `runtime.v1alpha2` on its socket, and a CRI client pointed at
 * berthd's socket gets containerd's own answers — raw gRPC, as crictl would
 * send (crictl is not packaged here) — while the TCP listener translates
 * runtime.v1 to Connect JSON from the restated schema.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { type ContainerdProcess, createContainerd } from "../support/containerd-process.js";
import { rawGrpcCall } from "../support/grpc-raw.js";

let directory: string;
let containerd: ContainerdProcess;
let berthd: BerthdProcess;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-cri-"));
  containerd = await createContainerd(join(directory, "ctrd"), { cri: true });
  await containerd.start();
  berthd = await startBerthdProcess({ tcp: true, extraArgs: ["--containerd", containerd.socket] });
}, 60_000);

afterAll(async () => {
  await berthd?.dispose();
  await containerd?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 60_000);

describe("CRI through berthd", () => {
  it.each(["runtime.v1", "runtime.v1alpha2"])("answers %s.RuntimeService/Version as containerd does", async (pkg) => {
    const path = `/${pkg}.RuntimeService/Version`;
    const direct = await rawGrpcCall(containerd.socket, path, new Uint8Array());
    const through = await rawGrpcCall(berthd.socket, path, new Uint8Array());
    expect(direct.status).toBe("0");
    expect(through).toEqual(direct);
    // VersionResponse: version (1), runtime_name (2) "containerd", runtime_version (3), runtime_api_version (4).
    expect(Buffer.from(through.messages[0] ?? []).toString("latin1")).toContain("containerd");
  });

  it("passes CRI's errors through", async () => {
    // ContainerStatus of an id that does not exist: field 1 (container_id) = "absent".
    const request = Buffer.from([0x0a, 6, ...Buffer.from("absent")]);
    const path = "/runtime.v1.RuntimeService/ContainerStatus";
    const through = await rawGrpcCall(berthd.socket, path, request);
    expect(through).toEqual(await rawGrpcCall(containerd.socket, path, request));
    expect(through.status).toBe("5");
  });

  it("translates runtime.v1 to Connect JSON on TCP", async () => {
    const call = async (path: string) => {
      const response = await fetch(`${berthd.tcpUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const version = await call("/runtime.v1.RuntimeService/Version");
    expect(version).toMatchObject({
      status: 200,
      json: { version: "0.1.0", runtimeName: "containerd", runtimeApiVersion: "v1" },
    });
    expect(version.json.runtimeVersion).toMatch(/^1\.6\.20/);
    expect(await call("/runtime.v1.ImageService/ListImages")).toEqual({ status: 200, json: {} });
    const status = await call("/runtime.v1.RuntimeService/Status");
    expect(status.json).toMatchObject({
      status: { conditions: expect.arrayContaining([{ type: "RuntimeReady", status: true }]) },
    });
  });
});

/**
 * Connect JSON on containers made by the real ctr 1.6.20, whose spec Any holds the OCI spec's
 * JSON text and whose runtime options are `containerd.runc.v1.Options`: Get, List and the
 * streamed ListStream show the spec as a JSON object and the options in their proto JSON form,
 * an unknown type URL in the base64 fallback, and a Create or Update sent back in JSON stores
 * exactly the bytes the containers had.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";

const CTR = "/usr/bin/ctr";
const NAMESPACE = "json";
const SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

let berthd: BerthdProcess;
let rootfs: string;

beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
  rootfs = await mkdtemp(join(tmpdir(), "berth-json-rootfs-"));
  if (!existsSync(CTR)) return;
  await promisify(execFile)(CTR, [
    "--address",
    berthd.socket,
    "-n",
    NAMESPACE,
    "c",
    "create",
    "--rootfs",
    rootfs,
    "real",
  ]);
});
afterAll(async () => {
  await berthd?.dispose();
  if (rootfs !== undefined) await rm(rootfs, { recursive: true, force: true });
});

const binary = () =>
  createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: NAMESPACE }).containers;

async function post(method: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${berthd.tcpUrl}/containerd.services.containers.v1.Containers/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", "containerd-namespace": NAMESPACE },
    body,
  });
  return { status: response.status, text: await response.text() };
}

function requireCtr(): void {
  if (!existsSync(CTR)) throw new Error(`${CTR} is missing: install Debian's containerd (.ci/install-system-deps.sh)`);
}

describe("Connect JSON on a container created by the real ctr", () => {
  it("shows the OCI spec as a JSON object and the runc options in proto JSON", async () => {
    requireCtr();
    const { status, text } = await post("Get", '{"id":"real"}');
    expect(status).toBe(200);
    const { container } = JSON.parse(text);
    expect(container.spec["@type"]).toBe(SPEC_URL);
    expect(container.spec.value.ociVersion).toMatch(/^1\./);
    expect(container.spec.value.root.path).toBe(rootfs);
    expect(container.runtime).toEqual({
      name: "io.containerd.runc.v2",
      options: { "@type": "containerd.runc.v1.Options" },
    });
    // The spec's text is embedded as ctr sent it.
    const { container: stored } = await binary().get({ id: "real" });
    expect(text).toContain(new TextDecoder().decode(stored?.spec?.value));
  });

  it("round-trips a JSON Create and Update byte for byte", async () => {
    requireCtr();
    const { text } = await post("Get", '{"id":"real"}');
    const copy = text.replace('"id":"real"', '"id":"copy"');
    const created = await post("Create", copy);
    expect(created.status).toBe(200);
    const original = (await binary().get({ id: "real" })).container;
    const made = (await binary().get({ id: "copy" })).container;
    expect(made?.spec).toEqual(original?.spec);
    expect(made?.runtime).toEqual(original?.runtime);

    const spec = JSON.parse(text).container.spec;
    const update = JSON.stringify({ container: { id: "copy", spec }, updateMask: "spec" });
    // Re-serialised by JSON.stringify: the spec text changes form, and what is stored is what was sent.
    const updated = await post("Update", update);
    expect(updated.text).not.toContain("code");
    expect(updated.status).toBe(200);
    const after = (await binary().get({ id: "copy" })).container;
    expect(JSON.parse(new TextDecoder().decode(after?.spec?.value))).toEqual(
      JSON.parse(new TextDecoder().decode(original?.spec?.value)),
    );
  });

  it("streams the same JSON over Connect's streaming protocol (ListStream)", async () => {
    requireCtr();
    const request = new TextEncoder().encode("{}");
    const framed = new Uint8Array(5 + request.length);
    new DataView(framed.buffer).setUint32(1, request.length);
    framed.set(request, 5);
    const response = await fetch(`${berthd.tcpUrl}/containerd.services.containers.v1.Containers/ListStream`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "containerd-namespace": NAMESPACE },
      body: framed,
    });
    expect(response.headers.get("content-type")).toBe("application/connect+json");
    const body = new Uint8Array(await response.arrayBuffer());
    const messages: { flags: number; json: unknown }[] = [];
    for (let at = 0; at + 5 <= body.length; ) {
      const length = new DataView(body.buffer, at + 1, 4).getUint32(0);
      messages.push({
        flags: body[at] ?? 0,
        json: JSON.parse(new TextDecoder().decode(body.subarray(at + 5, at + 5 + length))),
      });
      at += 5 + length;
    }
    const containers = messages.filter((message) => message.flags === 0).map((message) => message.json);
    expect(containers.map((message) => (message as { container: { id: string } }).container.id)).toContain("real");
    const real = containers.find((message) => (message as { container: { id: string } }).container.id === "real") as {
      container: { spec: { value: { ociVersion: string } } };
    };
    expect(real.container.spec.value.ociVersion).toMatch(/^1\./);
    expect(messages.at(-1)).toEqual({ flags: 2, json: {} });
  });
});

describe("Connect JSON with Anys of unknown types", () => {
  it("shows bytes as base64 and takes them back, never failing the call", async () => {
    const value = new Uint8Array([1, 2, 3, 0xff]);
    await binary().create({
      container: {
        id: "opaque",
        runtime: { name: "io.containerd.runc.v2" },
        spec: { typeUrl: SPEC_URL, value: new TextEncoder().encode('{"ociVersion":"1.0.2"}') },
        extensions: { blob: { typeUrl: "example.com/acme.Unknown", value } },
      },
    });
    const { status, text } = await post("Get", '{"id":"opaque"}');
    expect(status).toBe(200);
    expect(JSON.parse(text).container.extensions).toEqual({
      blob: { "@type": "example.com/acme.Unknown", value: "AQID/w==" },
    });
    expect((await post("Create", text.replace('"id":"opaque"', '"id":"opaque2"'))).status).toBe(200);
    expect((await binary().get({ id: "opaque2" })).container?.extensions.blob).toMatchObject({
      typeUrl: "example.com/acme.Unknown",
      value,
    });
  });

  it("answers JSON that is not the message's with Connect's invalid_argument", async () => {
    for (const body of ['{"id":', '{"container":{"id":"x","spec":{"@type":"a/B","value":12}}}']) {
      const { status, text } = await post(body.includes("container") ? "Create" : "Get", body);
      expect(status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ code: "invalid_argument" });
    }
  });
});

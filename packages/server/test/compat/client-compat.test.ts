// The compatibility tier: every client stack named in docs/compatibility.md drives a real berthd
// over the unix socket and over TCP, and must decode the same code and message for the same call
// as containerd 1.6.20 answers (the table in ./cases.ts). A stack missing here fails loudly.
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";
import { COMPAT_CASES, COMPAT_NAMESPACE, SEEDED_IDS } from "./cases.js";
import {
  type CompatStack,
  type CompatTarget,
  curlConnect,
  curlGrpcWebText,
  googleGrpcWeb,
  grpcGo,
  grpcio,
  grpcJs,
} from "./stacks.js";

const STACKS: readonly CompatStack[] = [
  grpcJs,
  grpcio,
  grpcGo,
  googleGrpcWeb("text"),
  googleGrpcWeb("binary"),
  curlGrpcWebText,
  curlConnect,
];

let berthd: BerthdProcess;
beforeAll(async () => {
  berthd = await startBerthdProcess({ tcp: true });
  const client = createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: COMPAT_NAMESPACE });
  for (const id of SEEDED_IDS) await client.containers.create({ container: newContainer({ id }) });
});
afterAll(async () => {
  expect(await berthd.stop()).toBe(0);
  await berthd.dispose();
});

function targetOf(kind: CompatTarget["kind"]): CompatTarget {
  if (kind === "unix") return { kind, address: berthd.socket };
  return { kind, address: new URL(berthd.tcpUrl ?? "").host };
}

const runs = STACKS.flatMap((stack) => stack.targets.map((kind) => [stack.name, kind, stack] as const));

describe.each(runs)("%s over %s", (_name, kind, stack) => {
  it("gets containerd's code, message and messages for every call", async () => {
    const cases = COMPAT_CASES.filter((entry) => stack.makes?.(entry.call) ?? true);
    const results = await stack.run(
      cases.map((entry) => entry.call),
      targetOf(kind),
    );
    const seen = cases.map((entry, index) => {
      const result = results[index];
      return {
        title: entry.title,
        code: result?.code,
        message: result?.message,
        responses: entry.decode === undefined ? [] : (result?.responses ?? []).map(entry.decode),
      };
    });
    expect(seen).toEqual(
      cases.map((entry) => ({
        title: entry.title,
        code: entry.code,
        message: entry.message,
        responses: entry.responses ?? [],
      })),
    );
  }, 120_000);
});

/**
 * gRPC-Web text (`application/grpc-web-text`: base64 framing, the default of Google's grpc-web)
 * against a real berthd on plain and TLS TCP: unary calls, ListStream and Events.Subscribe stream,
 * the status arrives in the trailer frame with its message decoded, and a page of an allowed
 * origin may read `grpc-status` and `grpc-message` (CORS exposes them).
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import {
  GetContainerRequestSchema,
  ListContainerMessageSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { EnvelopeSchema, SubscribeRequestSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { makeCertificates } from "../support/certificates.js";
import { newContainer } from "../support/containers.js";

const ORIGIN = "http://app.example";
const NAMESPACE = "webtext";

let dir: string;
let ca: Buffer;
let plain: BerthdProcess;
let tls: BerthdProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-grpc-web-text-"));
  await makeCertificates(dir);
  ca = await readFile(join(dir, "ca.crt"));
  plain = await startBerthdProcess({ tcp: true, extraArgs: ["--cors-origin", ORIGIN] });
  tls = await startBerthdProcess({
    extraArgs: [
      ...["--listen", "127.0.0.1:0", "--cors-origin", ORIGIN],
      ...["--tls-cert", join(dir, "server.crt"), "--tls-key", join(dir, "server.key")],
    ],
  });
  for (const berthd of [plain, tls]) {
    const client = createBerthClient(createNodeTransport({ address: berthd.socket }), { namespace: NAMESPACE });
    for (const id of ["w1", "w2"]) await client.containers.create({ container: newContainer({ id }) });
  }
}, 60_000);
afterAll(async () => {
  await plain?.dispose();
  await tls?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function message<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): string {
  const bytes = toBinary(schema, create(schema, init));
  const frame = Buffer.alloc(5 + bytes.length);
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame.toString("base64");
}

interface Frames {
  readonly messages: Buffer[];
  readonly trailers: Map<string, string>;
}

/** Decodes what arrived so far: padded base64 chunks back to back, then gRPC-Web frames. */
function frames(text: string): Frames {
  const whole = text.slice(0, text.length - (text.length % 4));
  const body = Buffer.concat((whole.match(/[^=]+=*/g) ?? []).map((chunk) => Buffer.from(chunk, "base64")));
  const messages: Buffer[] = [];
  const trailers = new Map<string, string>();
  for (let at = 0; at + 5 <= body.length; ) {
    const length = body.readUInt32BE(at + 1);
    if (at + 5 + length > body.length) break;
    const payload = body.subarray(at + 5, at + 5 + length);
    if (((body[at] ?? 0) & 0x80) === 0) messages.push(payload);
    else {
      for (const line of payload.toString("utf8").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
    }
    at += 5 + length;
  }
  return { messages, trailers };
}

/** POSTs a gRPC-Web text call; resolves with the response once `until` holds for what arrived, or at its end. */
function call(
  berthd: BerthdProcess,
  path: string,
  body: string,
  until: (arrived: Frames) => boolean = () => false,
): Promise<{ response: IncomingMessage; text: string }> {
  const url = new URL(path, berthd.tcpUrl);
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(url, {
      method: "POST",
      ...(secure ? { ca, servername: "localhost" } : {}),
      headers: {
        "content-type": "application/grpc-web-text",
        accept: "application/grpc-web-text",
        "x-grpc-web": "1",
        "containerd-namespace": NAMESPACE,
        origin: ORIGIN,
      },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("latin1");
      response.on("data", (chunk: string) => {
        text += chunk;
        if (until(frames(text))) {
          request.destroy();
          resolve({ response, text });
        }
      });
      response.on("end", () => resolve({ response, text }));
      response.on("error", () => undefined);
    });
    request.end(body);
  });
}

describe.each([
  ["plain TCP", () => plain],
  ["TLS", () => tls],
])("gRPC-Web text over %s", (_name, berthd) => {
  it("answers a unary call with the status in the trailer frame, readable cross-origin", async () => {
    const { response, text } = await call(
      berthd(),
      "/containerd.services.containers.v1.Containers/Get",
      message(GetContainerRequestSchema, { id: "missing" }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("application/grpc-web-text+proto");
    expect(response.headers["access-control-allow-origin"]).toBe(ORIGIN);
    const exposed = String(response.headers["access-control-expose-headers"]).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(["grpc-status", "grpc-message"]));
    const { messages, trailers } = frames(text);
    expect(messages).toEqual([]);
    expect(trailers.get("grpc-status")).toBe("5");
    expect(trailers.get("grpc-message")).toBe(`container "missing" in namespace "${NAMESPACE}": not found`);
  });

  it("streams ListStream, one frame per container, then status 0", async () => {
    const { text } = await call(
      berthd(),
      "/containerd.services.containers.v1.Containers/ListStream",
      message(GetContainerRequestSchema, {}),
    );
    const { messages, trailers } = frames(text);
    expect(messages.map((bytes) => fromBinary(ListContainerMessageSchema, bytes).container?.id)).toEqual(["w1", "w2"]);
    expect(trailers.get("grpc-status")).toBe("0");
  });

  it("streams Events.Subscribe as events happen", async () => {
    const subscribed = call(
      berthd(),
      "/containerd.services.events.v1.Events/Subscribe",
      message(SubscribeRequestSchema, { filters: ['topic=="/namespaces/create"'] }),
      (arrived) => arrived.messages.length > 0,
    );
    // The subscription registers asynchronously: create namespaces until one is seen.
    const client = createBerthClient(createNodeTransport({ address: berthd().socket }));
    let settled = false;
    void subscribed.finally(() => {
      settled = true;
    });
    for (let round = 0; !settled && round < 200; round++) {
      await client.namespaces.create({ namespace: { name: `sub-${round}` } });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { text } = await subscribed;
    const [first] = frames(text).messages;
    expect(first).toBeDefined();
    const envelope = fromBinary(EnvelopeSchema, first as Buffer);
    expect(envelope.topic).toBe("/namespaces/create");
    expect(envelope.event?.typeUrl).toBe("containerd.events.NamespaceCreate");
  });
});

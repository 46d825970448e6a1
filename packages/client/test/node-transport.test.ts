import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBerthClient } from "../src/index.js";
import { createNodeTransport } from "../src/node.js";

// A bare HTTP/2 server that answers every call with one empty gRPC message, and
// records the sessions clients open to it.
let dir: string;
let server: http2.Http2Server;
let sessions: http2.ServerHttp2Session[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-client-"));
  sessions = [];
  server = http2.createServer();
  server.on("session", (session) => sessions.push(session));
  server.on("stream", (stream) => {
    stream.resume();
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(Buffer.from([0, 0, 0, 0, 0]));
  });
  await new Promise<void>((resolve) => server.listen(join(dir, "server.sock"), resolve));
});

afterEach(async () => {
  for (const session of sessions) session.destroy();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("createNodeTransport", () => {
  it("opens HTTP/2 sessions with wide receive windows, so large answers do not wait on WINDOW_UPDATEs", async () => {
    const client = createBerthClient(createNodeTransport({ address: join(dir, "server.sock") }));
    await client.health.check({ service: "" });
    await client.health.check({ service: "" });
    expect(sessions).toHaveLength(1);
    const [session] = sessions as [http2.ServerHttp2Session];
    expect(session.remoteSettings.initialWindowSize).toBe(4 * 1024 * 1024);
    // The connection window is widened with the first stream; the update may trail its answer.
    for (
      let waited = 0;
      (session.state.remoteWindowSize ?? 0) < 32 * 1024 * 1024 - 1024 && waited < 2000;
      waited += 10
    ) {
      await sleep(10);
    }
    expect(session.state.remoteWindowSize).toBeGreaterThan(32 * 1024 * 1024 - 1024);
  });
});

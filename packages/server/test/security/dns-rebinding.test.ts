/**
 * DNS rebinding and cross-site calls, against a real berthd on loopback: a page on a
 * domain that re-resolves to 127.0.0.1 sends `Host: evil.example:PORT` (HTTP/1.1) or
 * `:authority` (HTTP/2) with a matching `Origin`; a page of another site sends
 * `Sec-Fetch-Site: cross-site`. Neither may reach the API; nothing is created.
 */
import http from "node:http";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";

const CREATE = "/containerd.services.namespaces.v1.Namespaces/Create";
const LIST = "/containerd.services.namespaces.v1.Namespaces/List";

let berthd: BerthdProcess;
let port: number;

beforeAll(async () => {
  berthd = await startBerthdProcess({
    tcp: true,
    extraArgs: ["--allowed-host", "berth.internal", "--cors-origin", "http://trusted.example"],
  });
  port = Number(new URL(berthd.tcpUrl as string).port);
});
afterAll(async () => {
  await berthd.dispose();
});

/** A Connect JSON call over HTTP/1.1 with the given headers. */
function h1Call(
  path: string,
  body: object,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, method: "POST", path, headers: { "content-type": "application/json", ...headers } },
      (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

/** The same over HTTP/2 cleartext with the given `:authority`. */
function h2Call(path: string, body: object, authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      ":authority": authority,
      "content-type": "application/json",
    });
    stream.on("response", (headers) => {
      stream.resume();
      stream.on("end", () => {
        session.close();
        resolve(Number(headers[":status"]));
      });
    });
    stream.on("error", reject);
    stream.end(JSON.stringify(body));
  });
}

async function namespaces(): Promise<string[]> {
  const { text } = await h1Call(LIST, {}, { host: `127.0.0.1:${port}` });
  return (JSON.parse(text).namespaces ?? []).map((n: { name: string }) => n.name);
}

describe("DNS rebinding", () => {
  it("refuses a rebound Host over HTTP/1.1 with 421 before routing, and creates nothing", async () => {
    const origin = `http://evil.example:${port}`;
    const answer = await h1Call(CREATE, { namespace: { name: "pwned" } }, { host: `evil.example:${port}`, origin });
    expect(answer.status).toBe(421);
    expect(await namespaces()).not.toContain("pwned");
  });

  it("refuses a rebound :authority over HTTP/2 with 421", async () => {
    expect(await h2Call(CREATE, { namespace: { name: "pwned2" } }, `evil.example:${port}`)).toBe(421);
    expect(await namespaces()).not.toContain("pwned2");
  });

  it("refuses the right name with another port, and a missing port", async () => {
    expect((await h1Call(LIST, {}, { host: `localhost:${port + 1}` })).status).toBe(421);
    expect((await h1Call(LIST, {}, { host: "localhost" })).status).toBe(421);
  });

  it("also guards the web app and /metrics", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: "/metrics", headers: { host: `evil.example:${port}` } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on("error", reject);
    });
    expect(status).toBe(421);
  });

  it("answers localhost, 127.0.0.1, [::1] and --allowed-host names with the port", async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `BERTH.internal:${port}`]) {
      expect((await h1Call(LIST, {}, { host })).status, host).toBe(200);
    }
    expect(await h2Call(LIST, {}, `localhost:${port}`)).toBe(200);
  });
});

describe("cross-site API calls", () => {
  it("refuses Sec-Fetch-Site: cross-site from an origin not in --cors-origin with 403", async () => {
    const answer = await h1Call(
      CREATE,
      { namespace: { name: "csrf" } },
      { host: `127.0.0.1:${port}`, origin: "http://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(answer.status).toBe(403);
    expect(await namespaces()).not.toContain("csrf");
  });

  it("refuses same-site pages of another port too (another local dev server)", async () => {
    const answer = await h1Call(
      CREATE,
      { namespace: { name: "samesite" } },
      { host: `localhost:${port}`, origin: "http://localhost:3000", "sec-fetch-site": "same-site" },
    );
    expect(answer.status).toBe(403);
  });

  it("lets an origin in --cors-origin and same-origin pages call", async () => {
    const trusted = await h1Call(
      CREATE,
      { namespace: { name: "trusted" } },
      { host: `127.0.0.1:${port}`, origin: "http://trusted.example", "sec-fetch-site": "cross-site" },
    );
    expect(trusted.status).toBe(200);
    const own = await h1Call(
      CREATE,
      { namespace: { name: "own" } },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" },
    );
    expect(own.status).toBe(200);
    expect(await namespaces()).toEqual(expect.arrayContaining(["trusted", "own"]));
  });
});

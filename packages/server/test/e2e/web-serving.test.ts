import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";

const ALLOWED = "http://app.example.test";
const LIST = "/containerd.services.containers.v1.Containers/List";

let webRoot: string;
let open: BerthdProcess;
let closed: BerthdProcess;
beforeAll(async () => {
  webRoot = await mkdtemp(join(tmpdir(), "berth-web-"));
  await mkdir(join(webRoot, "assets"));
  await writeFile(join(webRoot, "index.html"), "<!doctype html><title>t</title>");
  await writeFile(join(webRoot, "assets", "app-1a2b3c.js"), "console.log(1)");
  open = await startBerthdProcess({ tcp: true, extraArgs: ["--web-root", webRoot, "--cors-origin", ALLOWED] });
  closed = await startBerthdProcess({ tcp: true, extraArgs: ["--web-root", webRoot] });
});
afterAll(async () => {
  await Promise.all([open.dispose(), closed.dispose()]);
  await rm(webRoot, { recursive: true, force: true });
});

const preflight = (base: string | undefined, origin: string) =>
  fetch(`${base}${LIST}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });

describe("static files", () => {
  it("serves index.html revalidated, hashed assets immutable, both with the CSP", async () => {
    const index = await fetch(`${open.tcpUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
    const asset = await fetch(`${open.tcpUrl}/assets/app-1a2b3c.js`);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await fetch(`${open.tcpUrl}/some/route`)).status).toBe(200);
    expect((await fetch(`${open.tcpUrl}/missing.js`)).status).toBe(404);
    expect((await fetch(`${open.tcpUrl}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});

describe("CORS", () => {
  it("answers preflights only for allowed origins", async () => {
    const allowed = await preflight(open.tcpUrl, ALLOWED);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(allowed.headers.get("access-control-allow-headers")).toContain("containerd-namespace");
    const other = await preflight(open.tcpUrl, "http://evil.example.test");
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("is off without --cors-origin", async () => {
    const response = await preflight(closed.tcpUrl, ALLOWED);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.status).not.toBe(204);
  });
});

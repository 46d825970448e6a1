/**
 * The TLS listener's cipher suites and the web root's boundary, against a real
 * berthd: a TLS 1.2 client offering only static-RSA or CBC suites fails the
 * handshake, forward-secret AEAD suites and TLS 1.3 work; a symlink in
 * `--web-root` that points outside it is not followed, one inside is.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { makeCertificates } from "../support/certificates.js";

let dir: string;
let tlsBerthd: BerthdProcess;
let webBerthd: BerthdProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-tls-files-"));
  await makeCertificates(dir);
  const web = join(dir, "web");
  await mkdir(join(web, "assets"), { recursive: true });
  await writeFile(join(web, "index.html"), "<!doctype html><title>berth</title>");
  await writeFile(join(web, "assets", "app.js"), "console.log(1)");
  await writeFile(join(dir, "secret.txt"), "top secret");
  await symlink(join(dir, "secret.txt"), join(web, "leak.txt"));
  await symlink(join(dir), join(web, "up"));
  await symlink(join(web, "assets", "app.js"), join(web, "alias.js"));
  tlsBerthd = await startBerthdProcess({
    extraArgs: [
      ...["--listen", "127.0.0.1:0", "--tls-cert", join(dir, "rsa-server.crt")],
      ...["--tls-key", join(dir, "rsa-server.key")],
    ],
  });
  webBerthd = await startBerthdProcess({ tcp: true, extraArgs: ["--web-root", web] });
}, 60_000);
afterAll(async () => {
  await tlsBerthd?.dispose();
  await webBerthd?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Whether `openssl s_client` completes a handshake with the given options. */
function handshake(...options: string[]): Promise<boolean> {
  const port = new URL(tlsBerthd.tcpUrl as string).port;
  return new Promise((resolve) => {
    const child = execFile(
      "openssl",
      ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...options],
      { timeout: 10_000 },
      (_error, stdout) => resolve(/Cipher is (?!\(NONE\))\S+/.test(stdout)),
    );
    child.stdin?.end();
  });
}

describe("TLS cipher suites", () => {
  it.each([
    ["static RSA with CBC", "AES128-SHA"],
    ["static RSA with GCM", "AES128-GCM-SHA256"],
    ["ECDHE with CBC", "ECDHE-RSA-AES128-SHA"],
  ])("refuses a TLS 1.2 client offering only %s", async (_, cipher) => {
    expect(await handshake("-tls1_2", "-cipher", cipher)).toBe(false);
  });

  it("accepts forward-secret AEAD suites over TLS 1.2, and TLS 1.3", async () => {
    expect(await handshake("-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")).toBe(true);
    expect(await handshake("-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305")).toBe(true);
    expect(await handshake("-tls1_3")).toBe(true);
  });
});

function get(path: string): Promise<{ status: number; body: string }> {
  const url = new URL(webBerthd.tcpUrl as string);
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: url.port, path }, (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("symlinks in --web-root", () => {
  it("does not follow a symlink to a file outside the root", async () => {
    const answer = await get("/leak.txt");
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain("top secret");
  });

  it("does not follow a symlinked directory that leaves the root", async () => {
    const answer = await get("/up/secret.txt");
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain("top secret");
  });

  it("follows a symlink that stays inside the root", async () => {
    expect(await get("/alias.js")).toEqual({ status: 200, body: "console.log(1)" });
  });
});

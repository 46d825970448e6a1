/**
 * HTTP/2 conformance (RFC 9113, RFC 7541): h2spec's 146 cases against a real
 * berthd on each of its listeners — the unix socket (through a TCP bridge, as
 * h2spec speaks TCP only), h2c on TCP, and TLS with ALPN `h2`. Every case must
 * pass with h2spec's own requests (GET /). With gRPC requests (POST of a
 * containerd method) every case must pass too, except the three that need an
 * answer with a body to a request without one, which no gRPC server gives: a
 * unary call without its message is answered with a status alone (h2spec itself
 * skips four more cases for that reason).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { makeCertificates } from "../support/certificates.js";

/** Where CI and this workplace keep h2spec (next to the checkout); `H2SPEC` overrides. */
const H2SPEC =
  process.env.H2SPEC ?? fileURLToPath(new URL("../../../../../shared/tools/h2spec/h2spec", import.meta.url));
const GRPC_PATH = "/containerd.services.namespaces.v1.Namespaces/List";
/** Cases whose requirement is a DATA frame in answer to a bodiless request. */
const NEEDS_A_BODY = [
  "generic/2: Sends a PRIORITY frame on half-closed (remote) stream",
  "generic/2: Sends a WINDOW_UPDATE frame on half-closed (remote) stream",
  // The concurrent-stream limit, with answers held open by a zero window: a status alone is not held.
  "http2/5.1.2: Sends HEADERS frames that causes their advertised concurrent stream limit to be exceeded",
];

interface Outcome {
  readonly total: number;
  readonly passed: number;
  /** h2spec skips the cases whose precondition the answers do not meet (a body, for gRPC requests). */
  readonly skipped: number;
  readonly failed: readonly string[];
}

let plain: BerthdProcess;
let secure: BerthdProcess;
let bridge: net.Server;
let bridgePort: number;
let certificates: string;

beforeAll(async () => {
  if (!existsSync(H2SPEC)) {
    throw new Error(`h2spec is missing at ${H2SPEC}: CI has it in ../shared/tools/h2spec (or set H2SPEC)`);
  }
  certificates = await mkdtemp(join(tmpdir(), "berth-h2spec-"));
  await makeCertificates(certificates);
  plain = await startBerthdProcess({ tcp: true });
  secure = await startBerthdProcess({
    extraArgs: [
      ...["--listen", "127.0.0.1:0"],
      ...["--tls-cert", join(certificates, "server.crt"), "--tls-key", join(certificates, "server.key")],
    ],
  });
  bridge = net.createServer((client) => {
    const upstream = net.connect(plain.socket);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  bridgePort = (bridge.address() as net.AddressInfo).port;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => bridge?.close(resolve));
  await Promise.all([plain?.dispose(), secure?.dispose()]);
  if (certificates !== undefined) await rm(certificates, { recursive: true, force: true });
});

/** Runs h2spec against a port; `grpc` sends containerd-style gRPC requests instead of GET /. */
async function h2spec(port: number, options: { tls?: boolean; grpc?: boolean }): Promise<Outcome> {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-o", "3"];
  if (options.tls) args.push("-t", "-k");
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.grpc) {
    args.push("-P", GRPC_PATH);
    env.H2SPEC_METHOD = "POST";
    env.H2SPEC_HEADERS = "content-type: application/grpc|te: trailers";
  }
  const report = join(certificates, `report-${port}-${options.grpc ? "grpc" : "plain"}.xml`);
  args.push("-j", report);
  const output = await new Promise<string>((resolve) => {
    // h2spec exits non-zero when a case fails; the report says which.
    execFile(H2SPEC, args, { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (_error, stdout) => resolve(stdout));
  });
  const summary = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(output);
  if (summary === null) throw new Error(`h2spec printed no summary:\n${output.slice(-2000)}`);
  const xml = await readFile(report, "utf8");
  const cases = [...xml.matchAll(/<testcase package="([^"]*)" classname="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)];
  const failed = cases
    .filter(([, , , body]) => /<(?:error|failure)>/.test(body ?? ""))
    .map(([, section, name]) => `${section}: ${unescapeXml(name ?? "")}`)
    .sort();
  return { total: Number(summary[1]), passed: Number(summary[2]), skipped: Number(summary[3]), failed };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Each listener with the TCP port h2spec reaches it on, known once the daemons run. */
const LISTENERS: readonly (readonly [string, () => number, boolean])[] = [
  ["the unix socket", () => bridgePort, false],
  ["h2c on TCP", () => Number(new URL(plain.tcpUrl as string).port), false],
  ["TLS on TCP", () => Number(new URL(secure.tcpUrl as string).port), true],
];

describe.each(LISTENERS)("h2spec on %s", (name, port, tls) => {
  it("passes every case", async () => {
    const outcome = await h2spec(port(), { tls });
    expect({ listener: name, failed: outcome.failed }).toEqual({ listener: name, failed: [] });
    expect(outcome).toMatchObject({ total: 146, passed: 146 });
  }, 150_000);

  it("passes every case with gRPC requests but those that need an answer with a body", async () => {
    const outcome = await h2spec(port(), { tls, grpc: true });
    expect({ listener: name, failed: outcome.failed }).toEqual({ listener: name, failed: NEEDS_A_BODY });
    expect(outcome.passed + outcome.skipped).toBe(146 - NEEDS_A_BODY.length);
  }, 150_000);
});

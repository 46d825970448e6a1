/**
 * Who may reach berthd, against real processes on loopback: the unix socket's
 * mode and owner, TCP on loopback by default, TCP beyond loopback only with TLS
 * or a bearer token, mTLS, the token on both call paths, and error messages
 * without stack frames or paths. Certificates are made with `openssl` per run.
 */
import { execFile, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError, createBerthClient } from "@berth/client";
import { createNodeTransport, type NodeTransportOptions } from "@berth/client/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackHost } from "../../src/rpc/interceptors/auth.js";
import { BERTHD_MAIN, type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { makeCertificates } from "../support/certificates.js";
import { newContainer } from "../support/containers.js";
import { rawGrpcCall } from "../support/grpc-raw.js";

const execFileAsync = promisify(execFile);
const GET = "/containerd.services.containers.v1.Containers/Get";
const LIST_NAMESPACES = "/containerd.services.namespaces.v1.Namespaces/List";
const TOKEN = "berth-test-token-7d0c91e2";
const CLI_MAIN = join(BERTHD_MAIN, "../../../cli/dist/main.js");

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-access-"));
  await makeCertificates(dir);
  await writeFile(file("token"), `  ${TOKEN}\n`, { mode: 0o600 });
  await mkdir(file("web"));
  await writeFile(file("web/index.html"), "<!doctype html><title>berth</title>");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs berthd expecting it to refuse to start; kills it if it serves instead. */
function runBerthd(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const root = join(dir, `refused-${Math.random().toString(36).slice(2)}`);
    const child = spawn(
      process.execPath,
      [BERTHD_MAIN, "--root", join(root, "data"), "--address", join(root, "berth.sock"), ...args],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** The daemon's TCP URL with the wildcard host replaced by loopback, where tests connect. */
function loopbackUrl(daemon: BerthdProcess): string {
  const url = new URL(daemon.tcpUrl ?? "");
  url.hostname = "127.0.0.1";
  return url.origin;
}

function containersOver(options: NodeTransportOptions) {
  return createBerthClient(createNodeTransport(options), { namespace: "access" }).containers;
}

async function statusOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => ConnectError.from(reason),
  );
  return { code: error === undefined ? "OK" : Code[error.code], message: error?.rawMessage ?? "" };
}

/** One HTTP/1.1 exchange (ALPN `http/1.1` over TLS), as a browser limited to HTTP/1.1 makes it. */
function http1(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; tls?: https.RequestOptions } = {},
): Promise<{ status: number; body: string; protocol: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === "https:" ? https : http).request(
      target,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        agent: false,
        ...(target.protocol === "https:" ? { ALPNProtocols: ["http/1.1"], ...options.tls } : {}),
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        response.once("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body,
            protocol: "alpnProtocol" in response.socket ? (response.socket.alpnProtocol as string | false) : undefined,
          }),
        );
      },
    );
    request.once("error", reject);
    request.end(options.body);
  });
}

const connectJson = (namespace = "access") => ({
  "content-type": "application/json",
  "containerd-namespace": namespace,
});

describe("the unix socket", () => {
  it.skipIf(process.getuid?.() !== 0)("takes its owner and group from --uid and --gid", async () => {
    const daemon = await startBerthdProcess({ extraArgs: ["--uid", "4321", "--gid", "4322"] });
    try {
      const socket = await stat(daemon.socket);
      expect({ uid: socket.uid, gid: socket.gid, mode: socket.mode & 0o777 }).toEqual({
        uid: 4321,
        gid: 4322,
        mode: 0o660,
      });
    } finally {
      await daemon.dispose();
    }
  });
});

describe("TCP listener policy", () => {
  it("is off unless asked, and binds loopback when --listen gives only a port", async () => {
    const daemon = await startBerthdProcess({ extraArgs: ["--listen", ":0"] });
    try {
      expect(daemon.tcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await daemon.dispose();
    }
    const socketOnly = await startBerthdProcess();
    try {
      expect(socketOnly.tcpUrl).toBeUndefined();
    } finally {
      await socketOnly.dispose();
    }
  });

  it("counts only 127.0.0.0/8, ::1 and localhost as loopback", () => {
    const loopback = ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost", "LOCALHOST"];
    const network = ["0.0.0.0", "::", "10.0.0.1", "::ffff:10.0.0.1", "192.0.2.1", "example.test", "localhost.example"];
    expect(loopback.filter((host) => !isLoopbackHost(host))).toEqual([]);
    expect(network.filter(isLoopbackHost)).toEqual([]);
  });

  it("refuses to serve beyond loopback without TLS or a token, in one line", async () => {
    for (const [listen, shown] of [
      ["0.0.0.0:0", "0.0.0.0:0"],
      ["[::]:0", "[::]:0"],
      ["example.test:8080", "example.test:8080"],
    ]) {
      const { code, stderr } = await runBerthd(["--listen", listen]);
      expect({ code, stderr }).toEqual({
        code: 1,
        stderr:
          `berthd: refusing to serve ${shown} without protection: it is not a loopback address; ` +
          "give --tls-cert and --tls-key, or --token-file, or listen on 127.0.0.1\n",
      });
    }
  });

  it("refuses flag combinations and files it cannot use, in one line", async () => {
    await chmod(file("token"), 0o600);
    await writeFile(file("empty-token"), " \n", { mode: 0o600 });
    await writeFile(file("open-token"), TOKEN, { mode: 0o644 });
    await chmod(file("open-token"), 0o644);
    const cases: [string[], string][] = [
      [["--listen", ":0", "--tls-cert", file("server.crt")], "--tls-cert and --tls-key go together"],
      [["--listen", ":0", "--tls-client-ca", file("ca.crt")], "--tls-client-ca needs --tls-cert and --tls-key"],
      [
        ["--token-file", file("token")],
        "--tls-cert, --tls-key and --token-file protect the TCP listener: give --listen HOST:PORT too",
      ],
      [["--listen", ":0", "--token-file", file("empty-token")], `--token-file ${file("empty-token")} is empty`],
      [
        ["--listen", ":0", "--token-file", file("open-token")],
        `--token-file ${file("open-token")} is accessible to other users (mode 644); chmod o-rwx it`,
      ],
      [["--listen", ":0", "--token-file", file("missing")], `cannot read --token-file ${file("missing")} (ENOENT)`],
    ];
    for (const [args, message] of cases) {
      expect(await runBerthd(args)).toEqual({ code: 1, stderr: `berthd: ${message}\n` });
    }
    const mismatched = await runBerthd([
      "--listen",
      ":0",
      "--tls-cert",
      file("server.crt"),
      "--tls-key",
      file("ca.key"),
    ]);
    expect(mismatched.code).toBe(1);
    expect(mismatched.stderr).toMatch(/^berthd: invalid --tls-cert\/--tls-key: [^\n]+\n$/);
  });
});

describe("TLS", () => {
  let daemon: BerthdProcess;
  let url: string;
  beforeAll(async () => {
    daemon = await startBerthdProcess({
      extraArgs: ["--listen", "0.0.0.0:0", "--tls-cert", file("server.crt"), "--tls-key", file("server.key")],
    });
    url = loopbackUrl(daemon);
  });
  afterAll(() => daemon.dispose());

  it("lets berthd serve beyond loopback, over https", () => {
    expect(daemon.tcpUrl).toMatch(/^https:\/\/0\.0\.0\.0:\d+$/);
  });

  it("serves gRPC over HTTP/2 (ALPN h2) and Connect over HTTP/1.1 (ALPN http/1.1)", async () => {
    const ca = await readFile(file("ca.crt"));
    const grpc = containersOver({ address: url, tls: { ca } });
    await grpc.create({ container: newContainer({ id: "over-tls" }) });
    expect((await grpc.get({ id: "over-tls" })).container?.id).toBe("over-tls");
    const overConnect = containersOver({ address: url, tls: { ca }, protocol: "connect" });
    expect((await overConnect.list({})).containers).toHaveLength(1);

    // A container's spec is an Any of containerd's type, which Connect JSON cannot encode: list namespaces instead.
    const h1 = await http1(`${url}${LIST_NAMESPACES}`, {
      method: "POST",
      headers: connectJson(),
      body: "{}",
      tls: { ca },
    });
    expect(h1).toMatchObject({ status: 200, protocol: "http/1.1" });
    expect(JSON.parse(h1.body)).toMatchObject({ namespaces: [{ name: "access" }] });
  });

  it("is refused by clients that do not trust its CA", async () => {
    const { code, message } = await statusOf(containersOver({ address: url }).list({}));
    expect(code).not.toBe("OK");
    expect(message).toMatch(/self-signed certificate|unable to verify/);
  });
});

describe("mTLS (--tls-client-ca)", () => {
  let daemon: BerthdProcess;
  let url: string;
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  beforeAll(async () => {
    daemon = await startBerthdProcess({
      extraArgs: [
        ...["--listen", "127.0.0.1:0", "--tls-cert", file("server.crt"), "--tls-key", file("server.key")],
        ...["--tls-client-ca", file("ca.crt")],
      ],
    });
    url = loopbackUrl(daemon);
    const [ca, cert, key] = await Promise.all(
      ["ca.crt", "client.crt", "client.key"].map((name) => readFile(file(name))),
    );
    tls = { ca: ca as Buffer, cert: cert as Buffer, key: key as Buffer };
  });
  afterAll(() => daemon.dispose());

  it("serves clients with a certificate from the client CA", async () => {
    expect((await containersOver({ address: url, tls }).list({})).containers).toEqual([]);
    const h1 = await http1(`${url}${GET}`, { method: "POST", headers: connectJson(), body: '{"id":"x"}', tls });
    expect(h1).toMatchObject({ status: 404, protocol: "http/1.1" });
  });

  it("refuses clients without a certificate, or with one the CA did not issue", async () => {
    const rogue = await readFile(file("rogue.crt"));
    for (const options of [{ ca: tls.ca }, { ...tls, cert: rogue }]) {
      expect((await statusOf(containersOver({ address: url, tls: options }).list({}))).code).not.toBe("OK");
      await expect(
        http1(`${url}${GET}`, { method: "POST", headers: connectJson(), body: '{"id":"x"}', tls: options }),
      ).rejects.toThrow();
    }
  });
});

describe("bearer token (--token-file)", () => {
  let daemon: BerthdProcess;
  let url: string;
  beforeAll(async () => {
    daemon = await startBerthdProcess({
      extraArgs: ["--listen", "0.0.0.0:0", "--token-file", file("token"), "--web-root", file("web")],
    });
    url = loopbackUrl(daemon);
  });
  afterAll(() => daemon.dispose());

  const missing = {
    code: "Unauthenticated",
    message: "missing bearer token: send header `authorization: Bearer <token>`",
  };
  const invalid = { code: "Unauthenticated", message: "invalid bearer token" };

  it("lets berthd serve beyond loopback, warning that the token travels in cleartext", () => {
    expect(daemon.tcpUrl).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(daemon.stderr()).toContain("the bearer token crosses the network in cleartext");
  });

  for (const protocol of ["grpc", "connect"] as const) {
    // Plain gRPC unary calls take berthd's fast path; Connect calls the Connect adapter.
    it(`is required on unary calls over ${protocol}: missing or wrong is Unauthenticated, right is served`, async () => {
      const id = `token-${protocol}`;
      const anonymous = containersOver({ address: url, protocol });
      expect(await statusOf(anonymous.get({ id }))).toEqual(missing);
      expect(await statusOf(anonymous.create({ container: newContainer({ id }) }))).toEqual(missing);
      const wrong = containersOver({ address: url, protocol, token: `${TOKEN}x` });
      expect(await statusOf(wrong.get({ id }))).toEqual(invalid);
      const right = containersOver({ address: url, protocol, token: TOKEN });
      await right.create({ container: newContainer({ id }) });
      expect((await right.get({ id })).container?.id).toBe(id);
    });

    it(`is required on streams over ${protocol}`, async () => {
      const listAll = async (options: NodeTransportOptions) => {
        const ids: string[] = [];
        for await (const chunk of containersOver(options).listStream({})) ids.push(chunk.container?.id ?? "");
        return ids;
      };
      expect(await statusOf(listAll({ address: url, protocol }))).toEqual(missing);
      expect(await statusOf(listAll({ address: url, protocol, token: "Bearer" }))).toEqual(invalid);
      expect(await statusOf(listAll({ address: url, protocol, token: TOKEN }))).toEqual({ code: "OK", message: "" });
    });
  }

  it("is required on HTTP/1.1 (Connect JSON), where it is 401; static files need none", async () => {
    const call = (headers: Record<string, string>) =>
      http1(`${url}${GET}`, { method: "POST", headers: { ...connectJson(), ...headers }, body: '{"id":"absent"}' });
    const anonymous = await call({});
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toEqual({ code: "unauthenticated", message: missing.message });
    expect((await call({ authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await call({ authorization: `bearer ${TOKEN}` })).status).toBe(404);
    expect((await http1(`${url}/`)).status).toBe(200);
  });

  it("is not required on the unix socket, which file permissions protect", async () => {
    const local = containersOver({ address: daemon.socket });
    expect((await local.list({})).containers.map((c) => c.id)).toEqual(["token-connect", "token-grpc"]);
    const raw = await rawGrpcCall(daemon.socket, GET, new Uint8Array(), { "containerd-namespace": "access" });
    expect(raw.status).toBe(String(Code.NotFound));
  });

  it("is never written to the log or echoed", () => {
    expect(daemon.stderr()).not.toContain(TOKEN);
  });

  it("is sent by the berth CLI given --token-file", async () => {
    const berth = (...args: string[]) =>
      execFileAsync(process.execPath, [CLI_MAIN, "--address", url, "-n", "access", ...args]).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    expect(await berth("c", "ls", "-q")).toMatchObject({ code: 1, stderr: `berth: ${missing.message}\n` });
    expect(await berth("--token-file", file("token"), "c", "ls", "-q")).toMatchObject({
      code: 0,
      stdout: "token-connect\ntoken-grpc\n",
    });
  });
});

describe("read-only token (--read-only-token-file)", () => {
  let daemon: BerthdProcess;
  let url: string;
  beforeAll(async () => {
    await writeFile(file("read-only-token"), "berth-read-only-3f9a\n", { mode: 0o600 });
    daemon = await startBerthdProcess({
      extraArgs: [
        ...["--listen", "127.0.0.1:0", "--token-file", file("token")],
        ...["--read-only-token-file", file("read-only-token")],
      ],
    });
    url = loopbackUrl(daemon);
  });
  afterAll(() => daemon.dispose());

  for (const protocol of ["grpc", "connect"] as const) {
    it(`may read but not write over ${protocol}: PermissionDenied, logged with the method`, async () => {
      const id = `read-only-${protocol}`;
      await containersOver({ address: url, protocol, token: TOKEN }).create({ container: newContainer({ id }) });
      const reader = containersOver({ address: url, protocol, token: "berth-read-only-3f9a" });
      expect((await reader.get({ id })).container?.id).toBe(id);
      expect(await statusOf(reader.delete({ id }))).toEqual({
        code: "PermissionDenied",
        message:
          "the read-only token may not call containerd.services.containers.v1.Containers/Delete: it changes containerd's state",
      });
      expect((await reader.get({ id })).container?.id).toBe(id);
      expect(daemon.stderr()).toMatch(
        /"method":"containerd.services.containers.v1.Containers\/Delete","code":"PermissionDenied","credential":"read-only token"/,
      );
    });
  }
});

describe("the berth CLI over TLS", () => {
  it("connects with --tls-ca, and with --tls-cert/--tls-key to a berthd that requires client certificates", async () => {
    const daemon = await startBerthdProcess({
      extraArgs: [
        ...["--listen", "127.0.0.1:0", "--tls-cert", file("server.crt"), "--tls-key", file("server.key")],
        ...["--tls-client-ca", file("ca.crt"), "--token-file", file("token")],
      ],
    });
    try {
      const url = loopbackUrl(daemon);
      const { stdout } = await execFileAsync(process.execPath, [
        ...[CLI_MAIN, "--address", url, "--tls-ca", file("ca.crt"), "--token-file", file("token")],
        ...["--tls-cert", file("client.crt"), "--tls-key", file("client.key"), "ns", "ls", "-q"],
      ]);
      expect(stdout).toBe("");
    } finally {
      await daemon.dispose();
    }
  });
});

describe("TCP connections at shutdown", () => {
  for (const secure of [false, true]) {
    it(`do not hold SIGTERM when idle (HTTP/1.1 keep-alive and HTTP/2, ${secure ? "TLS" : "cleartext"})`, async () => {
      const ca = await readFile(file("ca.crt"));
      const tlsArgs = ["--tls-cert", file("server.crt"), "--tls-key", file("server.key")];
      const daemon = await startBerthdProcess({ extraArgs: ["--listen", "127.0.0.1:0", ...(secure ? tlsArgs : [])] });
      const agent = secure ? new https.Agent({ keepAlive: true, ca }) : new http.Agent({ keepAlive: true });
      const session = http2.connect(daemon.tcpUrl ?? "", { ca });
      session.on("error", () => {});
      try {
        await new Promise<void>((resolve, reject) => {
          const get = secure ? https.get : http.get;
          get(`${daemon.tcpUrl}/`, { agent }, (response) => response.resume().once("end", resolve)).once(
            "error",
            reject,
          );
        });
        // A request answered proves the server has the HTTP/2 connection, not just the kernel.
        await new Promise<void>((resolve, reject) => {
          session.request({ ":path": "/" }).once("error", reject).resume().once("end", resolve).end();
        });
        const started = Date.now();
        expect(await daemon.stop()).toBe(0);
        // The grace period for in-flight calls is 5 s; idle connections must not wait for it.
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        agent.destroy();
        session.destroy();
        await daemon.dispose();
      }
    });
  }
});

describe("error messages", () => {
  it("carry no stack frames and no paths of the server, on every protocol", async () => {
    const daemon = await startBerthdProcess({ tcp: true });
    try {
      const url = daemon.tcpUrl ?? "";
      const messages: string[] = [];
      for (const protocol of ["grpc", "connect"] as const) {
        const containers = containersOver({ address: url, protocol });
        for (const call of [
          () => containers.get({ id: "absent" }),
          () => containers.create({ container: newContainer({ id: "bad id!" }) }),
          () => containers.update({ container: newContainer({ id: "absent" }), updateMask: { paths: ["nope"] } }),
        ]) {
          messages.push((await statusOf(call())).message);
        }
      }
      const malformed = await rawGrpcCall(daemon.socket, GET, new Uint8Array([0xff, 0xff, 0xff]), {
        "containerd-namespace": "access",
      });
      messages.push(malformed.message ?? "");
      for (const body of ["{", '{"id": 5}', '{"unknownField": 1}']) {
        const answer = await http1(`${url}${GET}`, { method: "POST", headers: connectJson(), body });
        messages.push(JSON.parse(answer.body).message);
      }
      expect(messages.filter((message) => message === "")).toEqual([]);
      const leaks = messages.filter(
        (message) =>
          /\n\s*at |\.[cm]?[jt]s:\d+/.test(message) ||
          /(^|[\s('"=])\/[\w.-]+\//.test(message) ||
          message.includes(daemon.root),
      );
      expect(leaks).toEqual([]);
    } finally {
      await daemon.dispose();
    }
  });
});

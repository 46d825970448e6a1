// The client stacks of the compatibility tier. Each driver makes a CompatCall with a real client
// library or tool and reports the status and messages that stack decoded. A stack that is not
// installed fails its tests with the command that installs it; none is skipped.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import type { CompatCall, CompatResult } from "./cases.js";

/** Where a stack reaches berthd. */
export interface CompatTarget {
  readonly kind: "unix" | "tcp";
  /** Socket path (unix) or `host:port` (tcp). */
  readonly address: string;
}

/** One client stack. */
export interface CompatStack {
  readonly name: string;
  /** The listeners this stack can use (browser protocols only reach TCP's HTTP/1.1). */
  readonly targets: readonly CompatTarget["kind"][];
  /** Whether it can make this call (Connect unary has no streams). */
  readonly makes?: (call: CompatCall) => boolean;
  /** Makes every call, in order. */
  run(calls: readonly CompatCall[], target: CompatTarget): Promise<CompatResult[]>;
}

const DRIVERS = fileURLToPath(new URL("./drivers/", import.meta.url));
const CALL_TIMEOUT_MS = 10_000;

/** @grpc/grpc-js, in process. */
export const grpcJs: CompatStack = {
  name: "@grpc/grpc-js",
  targets: ["unix", "tcp"],
  async run(calls, target) {
    const client = new grpc.Client(
      target.kind === "unix" ? `unix://${target.address}` : target.address,
      grpc.credentials.createInsecure(),
    );
    try {
      const results: CompatResult[] = [];
      for (const call of calls) results.push(await grpcJsCall(client, call));
      return results;
    } finally {
      client.close();
    }
  },
};

function grpcJsCall(client: grpc.Client, call: CompatCall): Promise<CompatResult> {
  const metadata = new grpc.Metadata();
  if (call.namespace !== "") metadata.set("containerd-namespace", call.namespace);
  const options = { deadline: Date.now() + CALL_TIMEOUT_MS };
  const serialize = (bytes: Uint8Array) => Buffer.from(bytes);
  const deserialize = (bytes: Buffer) => new Uint8Array(bytes);
  const request = call.request;
  return new Promise((resolve) => {
    const responses: Uint8Array[] = [];
    if (!call.stream) {
      client.makeUnaryRequest(call.method, serialize, deserialize, request, metadata, options, (error, response) => {
        if (response !== undefined) responses.push(response);
        resolve({ code: error?.code ?? 0, message: error?.details ?? "", responses });
      });
      return;
    }
    const stream = client.makeServerStreamRequest(call.method, serialize, deserialize, request, metadata, options);
    stream.on("data", (response: Uint8Array) => responses.push(response));
    stream.on("error", () => undefined);
    stream.on("status", (status: grpc.StatusObject) =>
      resolve({ code: status.code, message: status.code === 0 ? "" : status.details, responses }),
    );
  });
}

/** A driver program that reads calls as JSON lines on stdin and answers one JSON line each. */
async function runLineDriver(
  command: string,
  args: readonly string[],
  calls: readonly CompatCall[],
  target: CompatTarget,
  targetText: string,
): Promise<CompatResult[]> {
  const input = calls
    .map((call) =>
      JSON.stringify({
        target: targetText,
        method: call.method,
        namespace: call.namespace,
        request: Buffer.from(call.request).toString("base64"),
        stream: call.stream,
      }),
    )
    .join("\n");
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), CALL_TIMEOUT_MS * calls.length);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} exited with ${code} on ${target.kind}: ${stderr}`));
    });
    child.stdin.end(`${input}\n`);
  });
  return output
    .trim()
    .split("\n")
    .map((line) => {
      const result = JSON.parse(line) as { code: number; message: string; responses: string[] | null };
      return {
        code: result.code,
        message: result.message,
        responses: (result.responses ?? []).map((text) => new Uint8Array(Buffer.from(text, "base64"))),
      };
    });
}

const PYTHON = "/usr/bin/python3";

/** Python grpcio from Debian's python3-grpcio, through drivers/grpcio_driver.py. */
export const grpcio: CompatStack = {
  name: "Python grpcio",
  targets: ["unix", "tcp"],
  async run(calls, target) {
    await requireCommand(PYTHON, ["-c", "import grpc"], "apt-get install python3-grpcio");
    const text = target.kind === "unix" ? `unix://${target.address}` : target.address;
    return runLineDriver(PYTHON, [join(DRIVERS, "grpcio_driver.py")], calls, target, text);
  },
};

let grpcGoBinary: Promise<string> | undefined;

/** Builds drivers/grpcgo offline, from Debian's Go toolchain and grpc-go sources. */
function buildGrpcGo(): Promise<string> {
  grpcGoBinary ??= (async () => {
    const hint = "apt-get install golang-go golang-google-grpc-dev";
    await requireCommand("go", ["version"], hint);
    const gopath = "/usr/share/gocode";
    if (!existsSync(join(gopath, "src/google.golang.org/grpc"))) {
      throw new Error(`grpc-go sources are missing under ${gopath}: ${hint}`);
    }
    const dir = await mkdtemp(join(tmpdir(), "berth-grpcgo-"));
    const binary = join(dir, "grpcgo-driver");
    await mkdir(join(dir, "cache"), { recursive: true });
    await execute("go", ["build", "-o", binary, "."], {
      cwd: join(DRIVERS, "grpcgo"),
      env: {
        ...process.env,
        GOPATH: gopath,
        GO111MODULE: "off",
        GOFLAGS: "",
        GOCACHE: join(dir, "cache"),
        GOPROXY: "off",
      },
    });
    return binary;
  })();
  return grpcGoBinary;
}

/** grpc-go (Debian's golang-google-grpc-dev), built offline into drivers/grpcgo's driver. */
export const grpcGo: CompatStack = {
  name: "grpc-go",
  targets: ["unix", "tcp"],
  async run(calls, target) {
    const binary = await buildGrpcGo();
    const text = target.kind === "unix" ? `unix://${target.address}` : target.address;
    return runLineDriver(binary, [], calls, target, text);
  },
};

/** Google's grpc-web runtime (npm `grpc-web`), in Node over xhr2, in one of its two formats. */
export function googleGrpcWeb(format: "text" | "binary"): CompatStack {
  return {
    name: `Google grpc-web (${format === "text" ? "grpc-web-text" : "binary"})`,
    targets: ["tcp"],
    async run(calls, target) {
      const { default: XMLHttpRequest } = await import("xhr2");
      (globalThis as { XMLHttpRequest?: unknown }).XMLHttpRequest = XMLHttpRequest;
      const grpcWeb = await import("grpc-web");
      const { GrpcWebClientBase, MethodDescriptor, MethodType } = grpcWeb;
      const client = new GrpcWebClientBase({ format });
      const base = `http://${target.address}`;
      const results: CompatResult[] = [];
      for (const call of calls) {
        const identity = (bytes: Uint8Array) => bytes;
        const descriptor = (type: string) =>
          new MethodDescriptor(call.method, type, Object, Object, identity as never, identity as never);
        const metadata = call.namespace === "" ? {} : { "containerd-namespace": call.namespace };
        const result = await new Promise<CompatResult>((resolve) => {
          if (!call.stream) {
            client.rpcCall(
              base + call.method,
              call.request as never,
              metadata,
              descriptor(MethodType.UNARY) as never,
              (error: { code: number; message: string } | null, response: Uint8Array) =>
                resolve(
                  error === null
                    ? { code: 0, message: "", responses: [response] }
                    : { code: error.code, message: error.message, responses: [] },
                ),
            );
            return;
          }
          const responses: Uint8Array[] = [];
          const stream = client.serverStreaming(
            base + call.method,
            call.request as never,
            metadata,
            descriptor(MethodType.SERVER_STREAMING) as never,
          );
          let settled = false;
          const settle = (code: number, message: string) => {
            if (settled) return;
            settled = true;
            resolve({ code, message: code === 0 ? "" : message, responses });
          };
          stream.on("data", (response: unknown) => responses.push(response as Uint8Array));
          stream.on("error", (error: { code: number; message: string }) => settle(error.code, error.message));
          stream.on("status", (status: { code: number; details: string }) => {
            if (status.code !== 0) settle(status.code, status.details);
          });
          stream.on("end", () => settle(0, ""));
        });
        results.push(result);
      }
      return results;
    },
  };
}

const CURL = "/usr/bin/curl";

/** curl speaking gRPC-Web text (base64 frames) over HTTP/1.1 on TCP. */
export const curlGrpcWebText: CompatStack = {
  name: "curl (gRPC-Web text)",
  // On the unix socket curl 7.88 now and then reports an early answer's stream as a framing
  // error under load (an open question, see the issue note); gRPC-Web text there is covered by
  // test/e2e/grpc-web-text.test.ts' sibling calls over TCP and the grpc stacks above.
  targets: ["tcp"],
  async run(calls, target) {
    await requireCommand(CURL, ["--version"], "apt-get install curl");
    const results: CompatResult[] = [];
    for (const call of calls) {
      const frame = Buffer.concat([frameHeader(0, call.request.length), Buffer.from(call.request)]);
      const { headers, body } = await curlPost(
        target,
        call,
        {
          "content-type": "application/grpc-web-text",
          accept: "application/grpc-web-text",
          "x-grpc-web": "1",
        },
        frame.toString("base64"),
      );
      results.push(parseGrpcWeb(headers, decodeBase64Chunks(body.toString("latin1"))));
    }
    return results;
  },
};

/** curl speaking Connect's unary protocol with binary protobuf (unary calls only). */
export const curlConnect: CompatStack = {
  name: "curl (Connect, application/proto)",
  targets: ["unix", "tcp"],
  makes: (call) => !call.stream,
  async run(calls, target) {
    await requireCommand(CURL, ["--version"], "apt-get install curl");
    const results: CompatResult[] = [];
    for (const call of calls) {
      const { status, headers, body } = await curlPost(
        target,
        call,
        { "content-type": "application/proto", "connect-protocol-version": "1" },
        Buffer.from(call.request),
      );
      if (status === 200) results.push({ code: 0, message: "", responses: [new Uint8Array(body)] });
      else {
        const type = headers.get("content-type") ?? "";
        const error = type.startsWith("application/json")
          ? (JSON.parse(body.toString("utf8")) as { code: string; message?: string })
          : { code: `http ${status}`, message: "" };
        results.push({ code: CONNECT_CODES.indexOf(error.code), message: error.message ?? "", responses: [] });
      }
    }
    return results;
  },
};

/** Connect's code names, indexed by gRPC code. */
const CONNECT_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

async function curlPost(
  target: CompatTarget,
  call: CompatCall,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), "berth-curl-"));
  try {
    const bodyFile = join(dir, "body");
    const headerFile = join(dir, "headers");
    const requestFile = join(dir, "request");
    await writeFile(requestFile, body);
    const args = ["-sS", "--max-time", String(CALL_TIMEOUT_MS / 1000), "-X", "POST"];
    if (target.kind === "unix") args.push("--http2-prior-knowledge", "--unix-socket", target.address);
    else args.push("--http1.1");
    for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
    if (call.namespace !== "") args.push("-H", `containerd-namespace: ${call.namespace}`);
    args.push("--data-binary", `@${requestFile}`, "-D", headerFile, "-o", bodyFile);
    const host = target.kind === "unix" ? "localhost" : target.address;
    args.push(`http://${host}${call.method}`);
    await execute(CURL, args);
    const raw = await readFile(headerFile, "latin1");
    const parsed = new Headers();
    let status = 0;
    for (const line of raw.split("\r\n")) {
      const statusLine = /^HTTP\/[\d.]+ (\d{3})/.exec(line);
      if (statusLine !== null) status = Number(statusLine[1]);
      const colon = line.indexOf(":");
      if (colon > 0 && statusLine === null) parsed.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { status, headers: parsed, body: existsSync(bodyFile) ? await readFile(bodyFile) : Buffer.alloc(0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function frameHeader(flags: number, length: number): Buffer {
  const header = Buffer.alloc(5);
  header[0] = flags;
  header.writeUInt32BE(length, 1);
  return header;
}

/** gRPC-Web text may be several padded base64 chunks back to back; each decodes on its own. */
function decodeBase64Chunks(text: string): Buffer {
  const chunks = text.match(/[^=]+=*/g) ?? [];
  return Buffer.concat(chunks.map((chunk) => Buffer.from(chunk, "base64")));
}

/** A gRPC-Web answer: messages, then the status from the trailer frame or (headers-only) the headers. */
function parseGrpcWeb(headers: Headers, body: Buffer): CompatResult {
  const responses: Uint8Array[] = [];
  let trailers: Headers = headers;
  for (let at = 0; at + 5 <= body.length; ) {
    const flags = body[at] ?? 0;
    const length = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
    if ((flags & 0x80) === 0) {
      responses.push(new Uint8Array(payload));
      continue;
    }
    trailers = new Headers();
    for (const line of payload.toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) trailers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  const code = Number(trailers.get("grpc-status") ?? "-1");
  return { code, message: decodeGrpcMessage(trailers.get("grpc-message") ?? ""), responses };
}

/** `grpc-message` decoded as the gRPC spec says: `%XX` are bytes of UTF-8 text, all else is literal. */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}

function execute(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<string>((resolve, reject) => {
    execFile(command, args, { ...options, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${command} ${args.join(" ")} failed: ${stderr || error.message}`));
    });
  });
}

async function requireCommand(command: string, args: readonly string[], install: string): Promise<void> {
  try {
    await execute(command, args);
  } catch (error) {
    throw new Error(
      `${command} is not usable here (${error instanceof Error ? error.message.trim() : String(error)}); ` +
        `the compatibility tier needs it: ${install} (.ci/install-system-deps.sh does)`,
    );
  }
}

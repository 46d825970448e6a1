import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built daemon; tests run after `tsc -b`. */
export const BERTHD_MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** A berthd child process on a temporary root. */
export interface BerthdProcess {
  readonly root: string;
  readonly socket: string;
  /** `http://127.0.0.1:<port>` when started with `tcp: true`; any `--listen` address, `https://` with TLS. */
  readonly tcpUrl: string | undefined;
  readonly child: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Stop (if running) and remove the root. */
  dispose(): Promise<void>;
}

/** Options of {@link startBerthdProcess}. */
export interface StartOptions {
  /** Reuse a root (e.g. after a crash); default a new temp dir. */
  readonly root?: string;
  readonly tcp?: boolean;
  readonly extraArgs?: readonly string[];
}

/** Starts berthd and resolves once it logs that it serves. */
export async function startBerthdProcess(options: StartOptions = {}): Promise<BerthdProcess> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "berthd-test-")));
  const socket = join(root, "run", "berth.sock");
  const args = [BERTHD_MAIN, "--root", join(root, "data"), "--address", socket, "--log-level", "info"];
  if (options.tcp) args.push("--listen", "127.0.0.1:0");
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const serving = await new Promise<{ addresses: string[] }>((resolve, reject) => {
    const onData = (chunk: string) => {
      stderr += chunk;
      for (const line of stderr.split("\n")) {
        if (!line.includes('"msg":"serving"')) continue;
        child.stderr?.off("data", onData);
        child.stderr?.on("data", (more: string) => {
          stderr += more;
        });
        resolve(JSON.parse(line));
        return;
      }
    };
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`berthd exited with ${code} before serving:\n${stderr}`)));
  });
  await stat(socket);
  const tcpUrl = serving.addresses.find((address) => /^https?:\/\//.test(address));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const stop = async () => {
    if (running) child.kill("SIGTERM");
    return exited;
  };
  return {
    root,
    socket,
    tcpUrl,
    child,
    stderr: () => stderr,
    stop,
    async kill() {
      if (running) child.kill("SIGKILL");
      await exited;
    },
    async dispose() {
      await stop();
      if (options.root === undefined) await rm(root, { recursive: true, force: true });
    },
  };
}

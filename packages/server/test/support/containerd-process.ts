import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

/** Debian's containerd 1.6.20 and its ctr. */
export const CONTAINERD = "/usr/bin/containerd";
export const CTR = "/usr/bin/ctr";

/** containerd's CRI plugin: off unless asked for (it wants CNI for pods, which these tests never start). */
const CRI_PLUGIN = "io.containerd.grpc.v1.cri";

/** Plugins this isolated containerd does without: they need kernel features or a collector. */
const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
];

/** A real containerd with its own root, state and socket under one directory. */
export interface ContainerdProcess {
  readonly socket: string;
  /** Starts it (again, after {@link stop}) and waits until it answers. */
  start(): Promise<void>;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
}

/** Options of {@link createContainerd}. */
export interface ContainerdOptions {
  /** Serve CRI's RuntimeService and ImageService too (default false). */
  readonly cri?: boolean;
}

/** Prepares a containerd under `directory` (not started: call `start`). */
export async function createContainerd(directory: string, options: ContainerdOptions = {}): Promise<ContainerdProcess> {
  const disabled = options.cri === true ? DISABLED_PLUGINS : [CRI_PLUGIN, ...DISABLED_PLUGINS];
  if (!existsSync(CONTAINERD)) {
    throw new Error(`${CONTAINERD} is missing: install Debian's containerd (.ci/install-system-deps.sh)`);
  }
  const socket = join(directory, "containerd.sock");
  for (const sub of ["root", "state", "tmp", "opt"]) await mkdir(join(directory, sub), { recursive: true });
  const configPath = join(directory, "config.toml");
  await writeFile(
    configPath,
    [
      "version = 2",
      `root = ${JSON.stringify(join(directory, "root"))}`,
      `state = ${JSON.stringify(join(directory, "state"))}`,
      `temp = ${JSON.stringify(join(directory, "tmp"))}`,
      `disabled_plugins = [${disabled.map((plugin) => JSON.stringify(plugin)).join(", ")}]`,
      "[grpc]",
      `  address = ${JSON.stringify(socket)}`,
      "[ttrpc]",
      `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
      "[debug]",
      '  level = "warn"',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${JSON.stringify(join(directory, "opt"))}`,
      "",
    ].join("\n"),
  );
  const logPath = join(directory, "containerd.log");
  let child: ChildProcess | undefined;
  return {
    socket,
    async start() {
      const log = openSync(logPath, "a");
      const started = spawn(CONTAINERD, ["--config", configPath], { stdio: ["ignore", log, log] });
      child = started;
      process.once("exit", () => started.kill("SIGKILL"));
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (started.exitCode !== null)
          throw new Error(`containerd exited: ${readFileSync(logPath, "utf8").slice(-2000)}`);
        const answered = await promisify(execFile)(CTR, ["--address", socket, "--timeout", "2s", "version"]).then(
          () => true,
          () => false,
        );
        if (answered) return;
        if (Date.now() > deadline) throw new Error(`containerd did not answer on ${socket}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      const running = child;
      child = undefined;
      if (running === undefined || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once("exit", () => resolve());
        running.kill("SIGTERM");
      });
    },
  };
}

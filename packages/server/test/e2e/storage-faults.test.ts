import { execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { afterEach, describe, expect, it } from "vitest";
import { BERTHD_MAIN, type BerthdProcess, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

/*
 * Faults are made for real, two ways where the machine allows:
 * - tmpfs: a small tmpfs at berthd's --root, remounted read-only, or filled to
 *   the last byte by a file that is deleted to give the space back (ENOSPC).
 *   Needs mount rights (root with CAP_SYS_ADMIN, as in CI and on the dev machine).
 * - rlimit: the soft RLIMIT_FSIZE of the running daemon, set with prlimit(1) just above
 *   its log file's size, then lifted (EFBIG; Node ignores SIGXFSZ). Needs only
 *   util-linux's prlimit, so it also runs in unprivileged containers.
 * A mode that cannot run here is skipped with the reason in the test name.
 */
const mountRefusal = probeMount();
const prlimitRefusal = probePrlimit();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function probeMount(): string | undefined {
  const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a tmpfs here (${stderr || String(error)}); needs root with CAP_SYS_ADMIN`;
  } finally {
    execFileSync("rmdir", [dir]);
  }
}

function probePrlimit(): string | undefined {
  try {
    execFileSync("prlimit", ["--pid", String(process.pid), "--fsize"], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `prlimit(1) does not work here (${String(error)}); install util-linux`;
  }
}

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berthd-faults-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** Mounts a tmpfs of `size` at `<root>/data`, berthd's --root under startBerthdProcess. */
async function mountTmpfs(root: string, size: string): Promise<string> {
  const data = join(root, "data");
  await mkdir(data);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", data]);
  cleanups.push(async () => {
    execFileSync("umount", ["-l", data]);
  });
  return data;
}

function runBerthd(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTHD_MAIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("close", (code) => resolve({ code, stderr }));
  });
}

/** Writes zeros to `path` until the file system is full; returns the bytes written. */
async function fillDisk(path: string): Promise<number> {
  const file = await open(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      const { bytesWritten } = await file.write(chunk);
      written += bytesWritten;
      if (bytesWritten < chunk.length) break;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
  } finally {
    await file.close();
  }
  return written;
}

/** A way to run out of space under a running daemon and get it back. */
interface DiskFullMode {
  readonly name: string;
  readonly refusal: string | undefined;
  /** The message LevelDB's failed write carries. */
  readonly errno: RegExp;
  /** Where startBerthdProcess should put its root. */
  prepare(): Promise<string>;
  fill(root: string, daemon: BerthdProcess): Promise<void>;
  free(root: string, daemon: BerthdProcess): Promise<void>;
}

const DISK_FULL_MODES: readonly DiskFullMode[] = [
  {
    name: "tmpfs filled to the last byte (ENOSPC)",
    refusal: mountRefusal,
    errno: /No space left on device/,
    async prepare() {
      const root = await newRoot();
      await mountTmpfs(root, "24m");
      return root;
    },
    async fill(root) {
      expect(await fillDisk(join(root, "data", "filler"))).toBeGreaterThan(0);
    },
    async free(root) {
      await rm(join(root, "data", "filler"));
    },
  },
  {
    name: "RLIMIT_FSIZE on the daemon (EFBIG)",
    refusal: prlimitRefusal,
    errno: /File too large/,
    prepare: newRoot,
    async fill(root, daemon) {
      const db = join(root, "data", "db");
      let largest = 0;
      for (const name of await readdir(db)) largest = Math.max(largest, (await stat(join(db, name))).size);
      execFileSync("prlimit", ["--pid", String(daemon.child.pid), `--fsize=${largest + 4096}:`]);
    },
    async free(_root, daemon) {
      execFileSync("prlimit", ["--pid", String(daemon.child.pid), "--fsize=unlimited:"]);
    },
  },
];

const readOnlyRefusal =
  mountRefusal === undefined || process.getuid?.() !== 0
    ? undefined
    : `${mountRefusal}; root ignores file modes, so chmod cannot stand in`;

/** Makes `<root>/data` and its database read-only: a read-only remount of a tmpfs, or mode 0555 when not root. */
async function makeReadOnly(data: string): Promise<string> {
  if (mountRefusal === undefined) {
    execFileSync("mount", ["-o", "remount,ro", data]);
    return "read-only file system";
  }
  // Both levels: the parent refuses a new database, the database directory refuses the existing one.
  for (const dir of [data, join(data, "db")]) {
    await chmod(dir, 0o555);
    cleanups.push(() => chmod(dir, 0o755));
  }
  return "permission denied";
}

describe.skipIf(readOnlyRefusal !== undefined)(
  `read-only root${readOnlyRefusal === undefined ? "" : ` (skipped: ${readOnlyRefusal})`}`,
  () => {
    it("refuses to start with one line naming the path, for a new and an existing database", async () => {
      const root = await newRoot();
      const data = mountRefusal === undefined ? await mountTmpfs(root, "4m") : join(root, "data");
      await mkdir(data, { recursive: true });
      const daemon = await startBerthdProcess({ root });
      await daemon.stop();
      const reason = await makeReadOnly(data);

      const fresh = await runBerthd(["--root", join(data, "new"), "--address", join(root, "s.sock")]);
      expect(fresh).toEqual({
        code: 1,
        stderr: `berthd: cannot create database directory ${join(data, "new", "db")}: ${reason}\n`,
      });
      const existing = await runBerthd(["--root", data, "--address", join(root, "s.sock")]);
      expect(existing).toEqual({
        code: 1,
        stderr: `berthd: database directory ${join(data, "db")} is not writable: ${reason}\n`,
      });
    });
  },
);

describe.each(DISK_FULL_MODES)("full disk: $name", (mode) => {
  it.skipIf(mode.refusal !== undefined)(
    `fails writes with ResourceExhausted, keeps reads, writes again once space returns, check clean${mode.refusal === undefined ? "" : ` (skipped: ${mode.refusal})`}`,
    async () => {
      const root = await mode.prepare();
      const daemon = await startBerthdProcess({ root });
      cleanups.push(async () => {
        await daemon.dispose();
      });
      const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "disk" });
      const acknowledged: string[] = [];
      for (let i = 0; i < 20; i++) {
        await client.containers.create({ container: newContainer({ id: `before-${i}` }) });
        acknowledged.push(`before-${i}`);
      }

      const started = performance.now();
      await mode.fill(root, daemon);
      // A 2 KiB label per create, so whatever room is left goes quickly.
      const padding = "x".repeat(2048);
      const failures: ConnectError[] = [];
      let fitted = 0;
      for (let i = 0; i < 200 && failures.length < 3; i++) {
        const id = `full-${i}`;
        try {
          await client.containers.create({ container: newContainer({ id, labels: { padding } }) });
          acknowledged.push(id);
          fitted += 1;
        } catch (error) {
          failures.push(ConnectError.from(error));
        }
      }
      expect(failures.length).toBe(3);
      for (const failure of failures) {
        expect(failure.code).toBe(Code.ResourceExhausted);
        expect(failure.rawMessage).toMatch(/^database write failed \(IO error: .*\): resource exhausted$/);
        expect(failure.rawMessage).toMatch(mode.errno);
        expect(failure.rawMessage).not.toContain(root);
      }

      // Reads keep working while writes cannot.
      expect((await client.containers.get({ id: "before-0" })).container?.id).toBe("before-0");
      const listed = (await client.containers.list({})).containers.map((container) => container.id);
      expect(listed.sort()).toEqual([...acknowledged].sort());
      expect(daemon.child.exitCode).toBeNull();

      await mode.free(root, daemon);
      await client.containers.create({ container: newContainer({ id: "after-space" }) });
      acknowledged.push("after-space");
      const recoveredMs = performance.now() - started;
      expect(await daemon.stop()).toBe(0);

      expect(await runBerthd(["check", "--root", join(root, "data")])).toEqual({ code: 0, stderr: "" });

      // Every acknowledged create survives a restart, including the one after the failure; the refused ones never land.
      const again = await startBerthdProcess({ root });
      cleanups.push(async () => {
        await again.dispose();
      });
      const reopened = createBerthClient(createNodeTransport({ address: again.socket }), { namespace: "disk" });
      const stored = (await reopened.containers.list({})).containers.map((container) => container.id);
      expect(stored.sort()).toEqual([...acknowledged].sort());
      console.log(
        `storage faults (${mode.name}): ${fitted} creates fitted after the fault, ${failures.length} refused with ResourceExhausted, ` +
          `fault to first write after freeing ${Math.round(recoveredMs)} ms, ${stored.length} containers after restart, check clean`,
      );
    },
  );
});

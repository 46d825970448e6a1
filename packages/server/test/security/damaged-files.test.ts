/**
 * Damaged files and a full disk, against a real berthd:
 * - a bit flipped in LevelDB's write-ahead log: berthd refuses to start (one
 *   line with the way out) and changes no file; `berthd check` reports the
 *   damage without opening LevelDB; `berthd check --repair` keeps what can be
 *   read and says what it dropped;
 * - a damaged table met in a listing answers DataLoss;
 * - a start that fails (socket or port in use) leaves the database untouched;
 * - an ext4 file system filled while LevelDB flushes a table (a failure LevelDB
 *   keeps for as long as it is open): writes come back by themselves once space
 *   is freed, and health's `berth.store.writes` says why they fail meanwhile.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { HealthCheckRequestSchema, HealthCheckResponseSchema } from "@berth/gen/grpc/health/v1/health_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { BERTHD_MAIN, startBerthdProcess } from "../support/berthd-process.js";
import { newContainer } from "../support/containers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berthd-damage-"));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return root;
}

function runBerthd(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BERTHD_MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A digest of every file's name and contents under `dir`. */
async function fingerprint(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const name of (await readdir(dir)).sort()) {
    hash.update(name);
    hash.update(await readFile(join(dir, name)));
  }
  return hash.digest("hex");
}

/** A root whose database holds `count` containers, all in its write-ahead log (berthd stopped). */
async function rootWithContainers(count: number): Promise<string> {
  const root = await newRoot();
  const daemon = await startBerthdProcess({ root });
  const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "damage" });
  for (let i = 0; i < count; i++) {
    await client.containers.create({ container: newContainer({ id: `c-${String(i).padStart(4, "0")}` }) });
  }
  expect(await daemon.stop()).toBe(0);
  return root;
}

async function countContainers(root: string): Promise<number> {
  const daemon = await startBerthdProcess({ root });
  cleanups.push(async () => {
    await daemon.dispose();
  });
  const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "damage" });
  const count = (await client.containers.list({})).containers.length;
  await daemon.stop();
  return count;
}

describe("a damaged write-ahead log", () => {
  it("is refused at start, changes nothing, is reported by check, and repaired by check --repair", async () => {
    const root = await rootWithContainers(600);
    const db = join(root, "data", "db");
    const log = (await readdir(db)).find((name) => name.endsWith(".log")) as string;
    const bytes = await readFile(join(db, log));
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    await writeFile(join(db, log), bytes);
    const before = await fingerprint(db);

    const start = await runBerthd(["--root", join(root, "data"), "--address", join(root, "s.sock")]);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(
      new RegExp(
        `^berthd: database ${db} is damaged: ${log} at byte \\d+: checksum mismatch \\(\\d+ bytes unreadable\\)`,
      ),
    );
    expect(start.stderr).toContain(`berthd check --repair --root ${join(root, "data")}`);
    expect(start.stderr.trim().split("\n")).toHaveLength(1);
    expect(await fingerprint(db)).toBe(before);

    const check = await runBerthd(["check", "--root", join(root, "data")]);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`"${log}": checksum mismatch at byte \\d+`));
    expect(await fingerprint(db)).toBe(before);

    const repair = await runBerthd(["check", "--repair", "--root", join(root, "data")]);
    expect(repair.stderr).toMatch(new RegExp(`repaired ${db}: dropped ${log} at byte \\d+: checksum mismatch`));
    expect(repair.stderr).toMatch(/the damaged logs are kept in .*damaged-/);
    expect(repair.code).toBe(0);
    // The records of the damaged block are gone; every other one is kept, unaltered (check was clean).
    const kept = await countContainers(root);
    expect(kept).toBeGreaterThan(500);
    expect(kept).toBeLessThan(600);
  });

  it("is not confused with a write that a crash cut short at the end of the log", async () => {
    const root = await rootWithContainers(50);
    const db = join(root, "data", "db");
    const log = (await readdir(db)).find((name) => name.endsWith(".log")) as string;
    const bytes = await readFile(join(db, log));
    await writeFile(join(db, log), bytes.subarray(0, bytes.length - 10));
    expect(await countContainers(root)).toBe(49);
  });
});

describe("a damaged table", () => {
  it("answers DataLoss in a listing, and the daemon keeps serving", async () => {
    const root = await newRoot();
    const first = await startBerthdProcess({ root });
    let client = createBerthClient(createNodeTransport({ address: first.socket }), { namespace: "damage" });
    const spec = { typeUrl: "t", value: new Uint8Array(1000) };
    for (let i = 0; i < 2000; i++) {
      await client.containers.create({ container: newContainer({ id: `t-${String(i).padStart(4, "0")}`, spec }) });
    }
    await first.stop();
    // A second start folds the log into a table.
    const second = await startBerthdProcess({ root });
    await second.stop();
    const db = join(root, "data", "db");
    const table = (await readdir(db)).find((name) => name.endsWith(".ldb")) as string;
    const bytes = await readFile(join(db, table));
    // A whole stretch overwritten, so that the block cannot decompress (LevelDB checks no checksums on reads).
    bytes.fill(0xff, Math.floor(bytes.length * 0.4), Math.floor(bytes.length * 0.4) + 4096);
    await writeFile(join(db, table), bytes);

    const daemon = await startBerthdProcess({ root });
    cleanups.push(async () => {
      await daemon.dispose();
    });
    client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "damage" });
    const error = await client.containers.list({}).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error?.code).toBe(Code.DataLoss);
    expect(error?.rawMessage).toMatch(
      /^database is damaged \(Corruption: .*\); stop berthd and run berthd check --repair: data loss$/,
    );
    expect(error?.rawMessage).not.toContain(root);
    expect((await client.namespaces.list({})).namespaces.map((n) => n.name)).toContain("damage");
    // Logged once, at error level, naming the call and its status.
    const failures = daemon
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"msg":"call failed"'));
    expect(failures).toHaveLength(1);
    expect(JSON.parse(failures[0] as string)).toMatchObject({
      level: 50,
      method: "containerd.services.containers.v1.Containers/List",
      code: "DataLoss",
    });
  });
});

describe("a start that fails", () => {
  it("leaves the database untouched when the socket or the port is in use", async () => {
    const root = await rootWithContainers(10);
    const db = join(root, "data", "db");
    const before = await fingerprint(db);
    const running = await startBerthdProcess({ root: await newRoot(), tcp: true });
    cleanups.push(async () => {
      await running.dispose();
    });
    const socketInUse = await runBerthd(["--root", join(root, "data"), "--address", running.socket]);
    expect(socketInUse.code).toBe(1);
    expect(socketInUse.stderr).toMatch(/already in use/);
    const port = new URL(running.tcpUrl as string).port;
    const portInUse = await runBerthd([
      ...["--root", join(root, "data"), "--address", join(root, "other.sock")],
      ...["--listen", `127.0.0.1:${port}`],
    ]);
    expect(portInUse.code).toBe(1);
    expect(portInUse.stderr).toMatch(/already in use/);
    expect(await fingerprint(db)).toBe(before);
  });
});

const loopRefusal = probeLoopMount();

function probeLoopMount(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root to mount an ext4 image";
  try {
    execFileSync("which", ["mkfs.ext4", "losetup"], { stdio: "pipe" });
    execFileSync("losetup", ["-f"], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `cannot mount an ext4 image here (${String(error).split("\n")[0]})`;
  }
}

/** berthd's health for `berth.store.writes`: its status and the reason header. */
function writesHealth(socket: string): Promise<{ status: number; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = toBinary(
      HealthCheckRequestSchema,
      create(HealthCheckRequestSchema, { service: "berth.store.writes" }),
    );
    import("node:http2").then(({ default: http2 }) => {
      const session = http2.connect("http://localhost", { createConnection: () => net.connect(socket) });
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
      });
      let reason: string | undefined;
      const chunks: Buffer[] = [];
      stream.on("response", (headers) => {
        reason = headers["berth-write-failure"] as string | undefined;
      });
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        session.close();
        const body = Buffer.concat(chunks);
        resolve({ status: fromBinary(HealthCheckResponseSchema, body.subarray(5)).status, reason });
      });
      const envelope = Buffer.alloc(5 + request.length);
      envelope.writeUInt32BE(request.length, 1);
      envelope.set(request, 5);
      stream.end(envelope);
    }, reject);
  });
}

describe.skipIf(loopRefusal !== undefined)(
  `a full ext4 disk during a table flush${loopRefusal === undefined ? "" : ` (skipped: ${loopRefusal})`}`,
  () => {
    it("refuses writes with ResourceExhausted, says why in health, and takes writes again once space is freed", async () => {
      const root = await newRoot();
      const image = join(root, "disk.img");
      const mountpoint = join(root, "mnt");
      execFileSync("truncate", ["-s", "64M", image]);
      execFileSync("mkfs.ext4", ["-q", image]);
      execFileSync("mkdir", [mountpoint]);
      execFileSync("mount", ["-o", "loop", image, mountpoint]);
      cleanups.push(async () => {
        execFileSync("umount", [mountpoint]);
      });
      const daemon = await startBerthdProcess({ root: mountpoint });
      cleanups.push(async () => {
        await daemon.dispose();
      });
      const client = createBerthClient(createNodeTransport({ address: daemon.socket }), { namespace: "disk" });
      await client.containers.create({ container: newContainer({ id: "before" }) });
      expect((await writesHealth(daemon.socket)).status).toBe(1);
      // Leave about 5 MiB: the log fills LevelDB's 4 MiB write buffer, and the table it then flushes does not fit.
      const filler = join(mountpoint, "filler");
      try {
        execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=1M"], { stdio: "ignore" });
      } catch {
        // dd stops at ENOSPC, as intended.
      }
      execFileSync("truncate", ["-s", "-5M", filler]);
      const padding = "x".repeat(2048);
      let refused: ConnectError | undefined;
      for (let i = 0; i < 20_000 && refused === undefined; i++) {
        try {
          await client.containers.create({ container: newContainer({ id: `f-${i}`, labels: { padding } }) });
        } catch (error) {
          refused = ConnectError.from(error);
        }
      }
      expect(refused?.code).toBe(Code.ResourceExhausted);
      expect(refused?.rawMessage).toMatch(/No space left on device/);
      const failing = await writesHealth(daemon.socket);
      expect(failing.status).toBe(2);
      expect(failing.reason).toMatch(/No space left on device/);
      expect((await client.containers.get({ id: "before" })).container?.id).toBe("before");

      await rm(filler);
      // No write is needed to bring writes back: the store retries by itself.
      const deadline = Date.now() + 20_000;
      while ((await writesHealth(daemon.socket)).status !== 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect((await writesHealth(daemon.socket)).status).toBe(1);
      await client.containers.create({ container: newContainer({ id: "after" }) });
      expect((await client.containers.get({ id: "after" })).container?.id).toBe("after");
    }, 60_000);
  },
);

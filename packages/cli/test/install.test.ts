/**
 * A real install, as a user makes one: `pnpm pack` of packages/server and packages/cli, then
 * `npm install --global` of those two tarballs alone into a fresh prefix. The installed `berthd`
 * and `berth` must be on the prefix's PATH, print the checkout's version and git revision, and
 * work together: berthd serves the API and its web app, berth creates and lists through it.
 * Needs `npm run build` (scripts/bundle.mjs) and the npm registry for third-party dependencies.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repository = fileURLToPath(new URL("../../../", import.meta.url));
const INSTALL_TIMEOUT_MS = 180_000;

let work: string;
let prefix: string;
let bin: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-install-"));
  const packs = join(work, "packs");
  for (const dir of ["packages/server", "packages/cli"]) {
    await run("pnpm", ["pack", "--pack-destination", packs], { cwd: join(repository, dir) });
  }
  const tarballs = [join(packs, "berth-server-0.1.0.tgz"), join(packs, "berth-cli-0.1.0.tgz")];
  prefix = join(work, "prefix");
  // Outside the checkout, so that nothing of the workspace can be found by walking up.
  await run("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", ...tarballs], {
    cwd: work,
  });
  bin = join(prefix, "bin");
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function revision(): Promise<string> {
  const git = async (...args: string[]) => (await run("git", args, { cwd: repository })).stdout.trim();
  const commit = await git("rev-parse", "--short=12", "HEAD");
  return (await git("status", "--porcelain", "--untracked-files=no")) === "" ? commit : `${commit}-dirty`;
}

describe("a global install of the packed packages", () => {
  it("puts executable berthd and berth on PATH, each printing its version and git revision", async () => {
    const { version } = JSON.parse(await readFile(join(repository, "packages/cli/package.json"), "utf8"));
    const expected = await revision();
    for (const program of ["berthd", "berth"]) {
      expect((await stat(join(bin, program))).mode & 0o111).not.toBe(0);
      const { stdout } = await run(program, ["--version"], { env });
      expect(stdout).toBe(`${program} ${version} (git ${expected})\n`);
    }
  });

  it("serves: berth creates and lists through the installed berthd, which also serves the web app", async () => {
    const root = join(work, "state");
    const socket = join(root, "berth.sock");
    const daemon = spawn("berthd", ["--root", join(root, "db"), "--address", socket, "--listen", "127.0.0.1:0"], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      const web = await servingAddress(daemon);
      const berth = (...args: string[]) => run("berth", ["--address", socket, ...args], { env });
      await berth("c", "create", "--label", "env=dev", "web");
      expect((await berth("c", "ls", "-q")).stdout).toBe("web\n");
      const page = await fetch(`${web}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<!doctype html>");
    } finally {
      daemon.kill("SIGTERM");
    }
    const [code] = await new Promise<unknown[]>((resolve) => daemon.once("exit", (...result) => resolve(result)));
    expect(code).toBe(0);
  });
});

describe("berthd's systemd unit", () => {
  it("ships with the package and passes systemd-analyze verify, run against the installed berthd", async () => {
    const shipped = join(prefix, "lib/node_modules/@berth/server/systemd/berthd.service");
    const unit = await readFile(shipped, "utf8");
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/berthd /m);
    for (const setting of [
      "RuntimeDirectory=berth",
      "StateDirectory=berth",
      "Restart=on-failure",
      "KillSignal=SIGTERM",
    ]) {
      expect(unit).toContain(`\n${setting}\n`);
    }
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    // The unit names the usual install path; verify checks that the command exists, so point it at this install.
    const local = join(work, "berthd.service");
    await writeFile(local, unit.replace(/^ExecStart=\/usr\/local\/bin\/berthd/m, `ExecStart=${join(bin, "berthd")}`));
    // verify exits 0 even for unknown keys, which it only reports: both streams must stay empty.
    const { stdout, stderr } = await run("systemd-analyze", ["verify", local]);
    expect({ stdout, stderr }).toEqual({ stdout: "", stderr: "" });
  });
});

/** Resolves with the `http://` address from berthd's "serving" line. */
function servingAddress(daemon: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    daemon.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const line = stderr.split("\n").find((text) => text.includes('"msg":"serving"'));
      const address = line && JSON.parse(line).addresses.find((a: string) => a.startsWith("http://"));
      if (address) resolve(address);
    });
    daemon.once("exit", (code) => reject(new Error(`berthd exited with ${code}:\n${stderr}`)));
  });
}

#!/usr/bin/env node
// Last step of `npm run build`: makes the two programs installable on their own. For berthd
// (packages/server) and berth (packages/cli) it bundles the compiled dist/main.js with what it
// imports (the workspace packages and the third-party ones, but for those in NOT_BUNDLED, which
// stay imports installed from the registry) into one file, dist/<bin>.js, which bin/<bin> runs.
// It stamps dist/build.json with the git revision that `--version` prints,
// and copies the built web app into berthd's dist/web, where berthd serves it from.
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const programs = [
  { dir: "packages/server", bin: "berthd" },
  { dir: "packages/cli", bin: "berth" },
];

/** `git describe`-like revision of the checkout: the commit, `-dirty` when files differ from it. */
function revision() {
  const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  try {
    const commit = git("rev-parse", "--short=12", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") === "" ? commit : `${commit}-dirty`;
  } catch {
    return "unknown";
  }
}

/** Dependencies imported at run time rather than bundled. */
const NOT_BUNDLED = new Set(["classic-level", "level", "pino"]);

const stamp = revision();
for (const { dir, bin } of programs) {
  const pkg = new URL(`${dir}/`, root);
  const manifest = JSON.parse(readFileSync(new URL("package.json", pkg), "utf8"));
  const outfile = new URL(`dist/${bin}.js`, pkg).pathname;
  await build({
    entryPoints: [new URL("dist/main.js", pkg).pathname],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Everything is copied in but what cannot be: LevelDB's native addon, and pino, which starts its
    // transports from files by name. Resolving and loading a hundred modules from node_modules was
    // 40% of berthd's start (571 ms → 358 ms to its first answer, 100k containers, Node 26).
    external: Object.keys(manifest.dependencies ?? {})
      .filter((name) => NOT_BUNDLED.has(name))
      .flatMap((name) => [name, `${name}/*`]),
    logLevel: "warning",
    // CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
    banner: {
      js: 'import { createRequire as __berthRequire } from "node:module"; const require = __berthRequire(import.meta.url);',
    },
  });
  chmodSync(outfile, 0o755);
  writeFileSync(new URL("dist/build.json", pkg), `${JSON.stringify({ revision: stamp })}\n`);
}

const web = new URL("packages/web/dist/", root);
const served = new URL("packages/server/dist/web/", root);
rmSync(served, { recursive: true, force: true });
if (existsSync(new URL("index.html", web))) cpSync(web, served, { recursive: true });

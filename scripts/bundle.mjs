#!/usr/bin/env node
// Last step of `npm run build`: makes the two programs installable on their own. For berthd
// (packages/server) and berth (packages/cli) it bundles the compiled dist/main.js with the workspace
// packages it imports (@berth/client, @berth/shared, @berth/gen) into one file, dist/<bin>.js, which bin/<bin>
// runs; third-party dependencies stay imports, installed from the registry as the package.json
// says. It stamps dist/build.json with the git revision that `--version` prints,
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
    // What npm installs with the package is imported, not copied; so are their subpaths.
    external: Object.keys(manifest.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]),
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
  writeFileSync(new URL("dist/build.json", pkg), `${JSON.stringify({ revision: stamp })}\n`);
}

const web = new URL("packages/web/dist/", root);
const served = new URL("packages/server/dist/web/", root);
rmSync(served, { recursive: true, force: true });
if (existsSync(new URL("index.html", web))) cpSync(web, served, { recursive: true });

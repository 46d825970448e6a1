#!/usr/bin/env node
// First step of `npm start` and `npm test` on a machine with only Node and npm: refuse a Node
// outside package.json's `engines` in one line, make sure pnpm 12.4.2 is on PATH, then install
// the workspace from the lockfile. Written for old Nodes too, so that they reach the refusal.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Whether `version` (x.y.z) satisfies a range made of `^x.y.z` and `>=x.y.z` alternatives. */
function satisfies(version, range) {
  const parse = (text) => text.split(".").map(Number);
  const compare = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  const have = parse(version);
  return range.split("||").some((alternative) => {
    const text = alternative.trim();
    if (text.startsWith(">=")) return compare(have, parse(text.slice(2))) >= 0;
    if (text.startsWith("^")) {
      const want = parse(text.slice(1));
      return have[0] === want[0] && compare(have, want) >= 0;
    }
    return false;
  });
}

const engines = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).engines.node;
if (!satisfies(process.versions.node, engines)) {
  console.error(
    `setup: Berth needs Node.js ${engines} and this is ${process.version}: install a maintained LTS ` +
      "from https://nodejs.org/ (or `npm install --global node@24`), then run this again",
  );
  process.exit(1);
}

const PNPM_VERSION = "12.4.2";

function pnpmVersion() {
  const result = spawnSync("pnpm", ["--version"], { encoding: "utf8", shell: process.platform === "win32" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const found = pnpmVersion();
if (found !== PNPM_VERSION) {
  console.error(`setup: installing pnpm ${PNPM_VERSION} (found ${found ?? "none"})`);
  execFileSync("npm", ["install", "--global", "--save-exact", `pnpm@${PNPM_VERSION}`], { stdio: "inherit" });
}
execFileSync("pnpm", ["install", "--frozen-lockfile", "--reporter=silent"], { stdio: "inherit" });

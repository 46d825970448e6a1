#!/usr/bin/env node
// First step of `npm start` and `npm test` on a machine with only Node and npm:
// make sure pnpm 12.4.2 is on PATH, then install the workspace from the lockfile.
import { execFileSync, spawnSync } from "node:child_process";

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

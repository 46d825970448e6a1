#!/usr/bin/env node
// Proto checks, run through `npm run check` (so buf is on PATH):
// 1. buf lint;
// 2. buf breaking (FILE) against the repository's first commit: the API is
//    containerd's, fixed from the start, so no later change may break it;
// 3. gen/ must be exactly what `buf generate` makes of proto/.
import { execFileSync } from "node:child_process";

const run = (command, args) => execFileSync(command, args, { stdio: "inherit" });

run("buf", ["lint"]);
const firstCommit = execFileSync("git", ["rev-list", "--max-parents=0", "HEAD"], { encoding: "utf8" }).trim();
run("buf", ["breaking", "--against", `.git#ref=${firstCommit},subdir=proto`]);
run("buf", ["generate"]);
const stale = execFileSync("git", ["status", "--porcelain", "--untracked-files=all", "--", "gen"], {
  encoding: "utf8",
})
  .split("\n")
  .filter((line) => line.endsWith("_pb.ts"));
if (stale.length > 0) {
  console.error(`gen/ is out of date with proto/; run \`npm run generate\` and commit:\n${stale.join("\n")}`);
  process.exit(1);
}

#!/usr/bin/env node
/** The `berth` executable: runs the program on the process's arguments. */
import { runCli } from "./program.js";

// `berth c ls | head -1`: a closed pipe ends the output quietly instead of crashing with EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv);

#!/usr/bin/env node
/** The `berth` executable: runs the program on the process's arguments. */
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv);

/** Test helper: runs the berth program in-process with captured output. */
import type { CliIo } from "../src/cli-context.js";
import { runCli } from "../src/program.js";

/** What a berth run printed and returned. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `berth <args>` with `env` as its whole environment and collects its output. */
export async function runInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
  };
  const code = await runCli(["node", "berth", ...args], io);
  return { code, stdout, stderr };
}

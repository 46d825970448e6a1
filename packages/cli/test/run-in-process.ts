/** Test helper: runs the berth program in-process with captured output. */
import type { CliIo } from "../src/cli-context.js";
import { runCli } from "../src/program.js";

/** What a berth run printed and returned. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Extras for commands that run until interrupted. */
export interface InProcessOptions {
  /** Aborting it interrupts the command, as Ctrl-C would. */
  readonly interrupt?: AbortSignal;
  /** Sees standard output as it is written. */
  readonly onStdout?: (text: string) => void;
}

/** Runs `berth <args>` with `env` as its whole environment and collects its output. */
export async function runInProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: InProcessOptions = {},
): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const { interrupt, onStdout } = options;
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
      onStdout?.(text);
    },
    stderr: (text) => {
      stderr += text;
    },
    env,
    onInterrupt: (listener) => {
      if (interrupt === undefined) return () => {};
      if (interrupt.aborted) listener();
      interrupt.addEventListener("abort", listener);
      return () => interrupt.removeEventListener("abort", listener);
    },
  };
  const code = await runCli(["node", "berth", ...args], io);
  return { code, stdout, stderr };
}

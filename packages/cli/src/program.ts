/**
 * The berth program: global options, commands, and how a run ends (the exit
 * code, and `berth: <message>` on standard error for a failure).
 */
import { versionLine } from "@berth/shared/build-info";
import { Command, CommanderError } from "commander";
import { type CliIo, createProcessIo } from "./cli-context.js";
import { addContainersCommand } from "./commands/containers.js";
import { addEventsCommand } from "./commands/events.js";
import { addLeasesCommand } from "./commands/leases.js";
import { addNamespacesCommand } from "./commands/namespaces.js";
import { describeError, ReportedError } from "./errors.js";
import { addGlobalOptions, type GlobalFlags, resolveGlobalOptions } from "./global-options.js";

/**
 * Builds the berth command tree. Commander's own exits are turned into
 * exceptions so that {@link runCli} decides the exit code; its messages go to `io`.
 */
export function createProgram(io: CliIo = createProcessIo()): Command {
  const program = new Command("berth")
    .description("a ctr-like command line for berthd, containerd's metadata API")
    .version(
      versionLine("berth", new URL("../", import.meta.url)),
      "-v, --version",
      "print the version and git revision",
    )
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Usage errors read like every other failure: `berth: <message>`.
      outputError: (text, write) => write(text.replace(/^error: /, "berth: ")),
    })
    .showSuggestionAfterError()
    // Every command's help lists the options that apply to it, berth's own included.
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      `
Environment:
  BERTH_ADDRESS          berthd's address when --address is not given
  CONTAINERD_ADDRESS     the same, read after BERTH_ADDRESS, as ctr reads it
  CONTAINERD_NAMESPACE   namespace when -n is not given, as ctr reads it

Durations are written 500ms, 5s, 1m. \`berth <command> --help\` describes each command.`,
    );
  addGlobalOptions(program, io.env);
  addContainersCommand(program, io);
  addNamespacesCommand(program, io);
  addLeasesCommand(program, io);
  addEventsCommand(program, io);
  return program;
}

/**
 * Runs berth with `argv` (as `process.argv`: node, script, arguments…) and
 * returns the exit code: 0 on success (and for `--help`/`--version`), 1 on failure.
 */
export async function runCli(argv: readonly string[], io: CliIo = createProcessIo()): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    // Commander has already printed its usage errors and help.
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ReportedError) return error.exitCode;
    const { address } = resolveGlobalOptions(program.opts<GlobalFlags>(), io.env);
    io.stderr(`berth: ${describeError(error, address)}\n`);
    return 1;
  }
}

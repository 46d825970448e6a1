/**
 * `berth --help` is complete: every command, at every depth, answers `--help` listing each of its
 * subcommands and options (berth's global ones included), and every option that takes a value
 * says its default; the environment variables berth reads are named.
 */
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../src/program.js";
import { runInProcess } from "./run-in-process.js";

/** Every command of the tree with the words that reach it: [], ["c"], ["c", "create"], … */
function commandPaths(command: Command, path: string[] = []): [string[], Command][] {
  return [
    [path, command],
    ...command.commands
      .filter((sub) => sub.name() !== "help")
      .flatMap((sub) => commandPaths(sub, [...path, sub.name()])),
  ];
}

const silent = { stdout: () => {}, stderr: () => {}, env: {}, onInterrupt: () => () => {} };
const program = createProgram(silent);
const globals = program.options;

describe("berth --help", () => {
  const paths = commandPaths(program);

  it("covers namespaces, leases and events as well as containers", () => {
    const names = paths.map(([path]) => path.join(" "));
    expect(names).toEqual(
      expect.arrayContaining(["containers", "namespaces", "leases", "events", "namespaces create", "leases create"]),
    );
    expect(paths.length).toBeGreaterThan(12);
  });

  it.each(paths.map(([path, command]) => [path.join(" ") || "(berth)", path, command] as const))(
    "%s: lists every subcommand and option, each value's default",
    async (_, path, command) => {
      const { code, stdout } = await runInProcess([...path, "--help"]);
      expect(code).toBe(0);
      for (const sub of command.commands) expect(stdout).toContain(sub.name());
      for (const option of [...command.options, ...(path.length === 0 ? [] : globals)]) {
        expect(stdout).toContain(option.long ?? option.short ?? "");
        if (option.required || option.optional) {
          const entry = stdout.slice(stdout.indexOf(option.flags)).split(/\n {2}-/)[0] ?? "";
          expect(entry, `${option.flags} of "${path.join(" ")}" shows no default`).toMatch(/default:/);
        }
      }
    },
  );

  it("names the environment variables, as ctr reads them", async () => {
    const { stdout } = await runInProcess(["--help"]);
    for (const name of ["BERTH_ADDRESS", "CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE"]) expect(stdout).toContain(name);
    const { stdout: nested } = await runInProcess(["c", "ls", "--help"]);
    expect(nested).toMatch(/--address <address>[\s\S]*env:\s+BERTH_ADDRESS,\s+then\s+CONTAINERD_ADDRESS/);
    expect(nested).toMatch(/--namespace <ns>[\s\S]*env:\s+CONTAINERD_NAMESPACE/);
  });
});

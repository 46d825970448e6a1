import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type RunResult, runInProcess } from "./run-in-process.js";

function run(...args: string[]): Promise<RunResult> {
  return runInProcess(args);
}

describe("runCli", () => {
  it.each([
    [["--help"]],
    [["containers", "--help"]],
    [["c", "ls", "--help"]],
    [["container", "rm", "--help"]],
    [["namespaces", "--help"]],
    [["ns", "create", "--help"]],
    [["namespace", "ls", "--help"]],
    [["ns", "label", "--help"]],
    [["ns", "remove", "--help"]],
    [["leases", "--help"]],
    [["lease", "ls", "--help"]],
    [["leases", "create", "--help"]],
    [["leases", "delete", "--help"]],
    [["events", "--help"]],
  ])("%j prints help and exits 0", async (args) => {
    const { code, stdout, stderr } = await run(...args);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: berth /);
    expect(stderr).toBe("");
  });

  it("prints the package version and the git revision", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const { code, stdout, stderr } = await run("--version");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    // Stamped by `npm run build` (unknown before it); test/install.test.ts checks the stamp itself.
    expect(stdout).toMatch(
      new RegExp(`^berth ${version.replaceAll(".", "\\.")} \\(git ([0-9a-f]{12}(-dirty)?|unknown)\\)\n$`),
    );
  });

  it.each([
    [["c", "create"], "berth: missing required argument 'id'\n"],
    [["c", "label", "c1"], "berth: missing required argument 'labels'\n"],
    [["c", "rm"], "berth: missing required argument 'ids'\n"],
    [["c", "ls", "--format", "yaml"], /^berth: option '--format <format>' argument 'yaml' is invalid/],
    [["--protocol", "http3", "c", "ls"], /^berth: option '--protocol <protocol>' argument 'http3' is invalid/],
    [["--timeout", "soon", "c", "ls"], /^berth: option '--timeout <duration>' argument 'soon' is invalid/],
    [["c", "create", "--label", "novalue", "c1"], /invalid label "novalue": expected key=value/],
    [["c", "label", "c1", "novalue"], /invalid label "novalue": expected key=value/],
    [["c", "frobnicate"], /^berth: unknown command 'frobnicate'/],
    [["ns", "create"], "berth: missing required argument 'name'\n"],
    [["ns", "create", "n1", "novalue"], /invalid label "novalue": expected key=value/],
    [["ns", "label"], "berth: missing required argument 'name'\n"],
    [["ns", "label", "n1", "=v"], /invalid label "=v": key must not be empty/],
    [["ns", "rm"], "berth: missing required argument 'names'\n"],
    [["ns", "ls", "--format", "yaml"], /^berth: option '--format <format>' argument 'yaml' is invalid/],
    [["leases", "rm"], "berth: missing required argument 'ids'\n"],
    [["leases", "create", "--label", "x"], /invalid label "x": expected key=value/],
    [["leases", "create", "--expires", "soon"], /^berth: option '-x, --expires <duration>' argument 'soon' is invalid/],
    [["leases", "create", "-x", "-1h"], /expiry must not be negative: "-1h"/],
    [["leases", "ls", "--format", "xml"], /^berth: option '--format <format>' argument 'xml' is invalid/],
    [["events", "--format", "table"], /^berth: option '--format <format>' argument 'table' is invalid/],
  ])("%j is a usage error (exit 1)", async (args, message) => {
    const { code, stdout, stderr } = await run(...args);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    if (typeof message === "string") expect(stderr).toBe(message);
    else expect(stderr).toMatch(message);
  });

  it("names the address when berthd is not there", async () => {
    const address = join(import.meta.dirname, "no-such-dir", "berth.sock");
    const { code, stdout, stderr } = await run("--address", address, "c", "ls");
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(`berth: cannot connect to berthd at ${address}: no such socket (ENOENT)\n`);
  });

  it("rejects an unreadable spec file before calling the server", async () => {
    const { code, stderr } = await run(
      "--address",
      "/nonexistent.sock",
      "c",
      "create",
      "--spec",
      "/nonexistent.json",
      "c1",
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(/^berth: cannot read spec file "\/nonexistent.json": ENOENT/);
  });
});

/**
 * `berth leases` (alias `lease`): ctr's `ls`, `create` and `rm` over the
 * Leases service, in the namespace of `-n`.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { type CliIo, connect } from "../cli-context.js";
import { parseDuration } from "../duration.js";
import { describeError, ReportedError } from "../errors.js";
import { formatJson, leaseToJson } from "../format/json.js";
import { leasesTable } from "../format/listings.js";
import { formatRfc3339 } from "../format/time.js";
import { collectLabel, parseLabels } from "../labels.js";

/** The label whose RFC 3339 time makes the garbage collector delete the lease after it (containerd's `containerd.io/gc.expire`). */
export const EXPIRE_LABEL = "containerd.io/gc.expire";

interface ListFlags {
  readonly quiet?: boolean;
  readonly format: "table" | "json";
}

interface CreateFlags {
  readonly id?: string;
  readonly label: readonly string[];
  readonly expires?: number;
}

interface DeleteFlags {
  readonly sync?: boolean;
}

/** Adds the `leases` command and its subcommands to `program`. */
export function addLeasesCommand(program: Command, io: CliIo): Command {
  const leases = program.command("leases").alias("lease").description("manage leases");

  leases
    .command("ls")
    .alias("list")
    .description("list leases, optionally only those matching any of the filters")
    .argument("[filters...]", 'filters such as id==l1 or labels."containerd.io/gc.expire" (any one may match)')
    .option("-q, --quiet", "print only the lease ids")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (filters: string[], flags: ListFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const { leases: list } = await client.leases.list({ filters }, callOptions);
      if (flags.quiet) {
        io.stdout(list.map(({ id }) => `${id}\n`).join(""));
        return;
      }
      if (flags.format === "json") {
        io.stdout(formatJson(list.map(leaseToJson)));
        return;
      }
      io.stdout(leasesTable(list));
    });

  leases
    .command("create")
    .description("create a lease and print its id")
    .option("--id <id>", "lease id (default: one the server generates)")
    .addOption(
      new Option("--label <key=value>", "set a label (repeatable)").argParser(collectLabel).default([], "none"),
    )
    .addOption(
      new Option(
        "-x, --expires <duration>",
        `expire after this long, e.g. 24h: sets the ${EXPIRE_LABEL} label (default: never; 0 means never)`,
      ).argParser(expiresArgument),
    )
    .action(async (flags: CreateFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const labels = parseLabels(flags.label);
      if (flags.expires !== undefined && flags.expires > 0) {
        labels[EXPIRE_LABEL] = formatRfc3339(Date.now() + flags.expires);
      }
      const { lease } = await client.leases.create({ id: flags.id ?? "", labels }, callOptions);
      if (lease === undefined) throw new Error("the server returned no lease");
      io.stdout(`${lease.id}\n`);
    });

  leases
    .command("rm")
    .alias("delete")
    .description("delete leases; prints each deleted id, reports each failure")
    .argument("<ids...>", "lease ids")
    .option("--sync", "wait until the resources the leases held are garbage collected")
    .action(async (ids: string[], flags: DeleteFlags, command: Command) => {
      const { client, callOptions, options } = connect(command, io);
      let failed = 0;
      for (const id of ids) {
        try {
          await client.leases.delete({ id, sync: flags.sync ?? false }, callOptions);
          io.stdout(`${id}\n`);
        } catch (error) {
          failed++;
          io.stderr(`berth: ${describeError(error, options.address)}\n`);
        }
      }
      if (failed > 0) throw new ReportedError(`${failed} of ${ids.length} leases not deleted`);
    });

  return leases;
}

/** commander argParser for `--expires`: a non-negative Go duration in milliseconds. */
function expiresArgument(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
  if (ms < 0) throw new InvalidArgumentError(`expiry must not be negative: "${value}"`);
  return ms;
}

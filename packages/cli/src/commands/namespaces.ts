/**
 * `berth namespaces` (aliases `namespace`, `ns`): ctr's `create`, `ls`,
 * `label` and `rm` over the Namespaces service. They act on the NAME
 * arguments; `-n` only becomes the namespace of the events that create and
 * label publish.
 */
import { Argument, type Command, Option } from "commander";
import { type CliIo, connect } from "../cli-context.js";
import { describeError, ReportedError } from "../errors.js";
import { formatJson, namespaceToJson } from "../format/json.js";
import { namespacesTable } from "../format/listings.js";
import { collectLabel, parseLabels } from "../labels.js";

interface ListFlags {
  readonly quiet?: boolean;
  readonly format: "table" | "json";
}

/** Adds the `namespaces` command and its subcommands to `program`. */
export function addNamespacesCommand(program: Command, io: CliIo): Command {
  const namespaces = program.command("namespaces").aliases(["namespace", "ns"]).description("manage namespaces");

  namespaces
    .command("create")
    .alias("c")
    .description("create a namespace, optionally with labels; it must not exist yet")
    .argument("<name>", "namespace name")
    .addArgument(new Argument("[labels...]", "labels as key=value").argParser(collectLabel))
    .action(async (name: string, pairs: string[] | undefined, _flags: unknown, command: Command) => {
      const { client, callOptions } = connect(command, io);
      await client.namespaces.create({ namespace: { name, labels: parseLabels(pairs ?? []) } }, callOptions);
    });

  namespaces
    .command("ls")
    .alias("list")
    .description("list namespaces with their labels")
    .option("-q, --quiet", "print only the namespace names")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .action(async (flags: ListFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const { namespaces: list } = await client.namespaces.list({}, callOptions);
      if (flags.quiet) {
        io.stdout(list.map(({ name }) => `${name}\n`).join(""));
        return;
      }
      if (flags.format === "json") {
        io.stdout(formatJson(list.map(namespaceToJson)));
        return;
      }
      io.stdout(namespacesTable(list));
    });

  namespaces
    .command("label")
    .description("set labels (key=value) and remove them (key=), one update per label like ctr")
    .argument("<name>", "namespace name")
    .addArgument(new Argument("[labels...]", "key=value to set, key= to remove").argParser(collectLabel))
    .action(async (name: string, pairs: string[] | undefined, _flags: unknown, command: Command) => {
      const { client, callOptions } = connect(command, io);
      for (const [key, value] of Object.entries(parseLabels(pairs ?? []))) {
        await client.namespaces.update(
          { namespace: { name, labels: { [key]: value } }, updateMask: { paths: [`labels.${key}`] } },
          callOptions,
        );
      }
    });

  namespaces
    .command("rm")
    .alias("remove")
    .description("remove namespaces, which must be empty; prints each removed name, reports each failure")
    .argument("<names...>", "namespace names")
    .action(async (names: string[], _flags: unknown, command: Command) => {
      const { client, callOptions, options } = connect(command, io);
      let failed = 0;
      for (const name of names) {
        try {
          await client.namespaces.delete({ name }, callOptions);
          io.stdout(`${name}\n`);
        } catch (error) {
          failed++;
          io.stderr(`berth: ${describeError(error, options.address)}\n`);
        }
      }
      if (failed > 0) throw new ReportedError(`${failed} of ${names.length} namespaces not removed`);
    });

  return namespaces;
}

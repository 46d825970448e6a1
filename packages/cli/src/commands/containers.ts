/**
 * `berth containers` (aliases `c`, `container`): ctr's container-metadata
 * commands `create`, `ls`, `info`, `label` and `rm` over the Containers service.
 */
import { readFile } from "node:fs/promises";
import type { BerthClient } from "@berth/client";
import type { ListContainerMessage } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Argument, type Command, InvalidArgumentError, Option } from "commander";
import { type CliIo, connect } from "../cli-context.js";
import { describeError, ReportedError } from "../errors.js";
import { containerToJson, formatJson } from "../format/json.js";
import { formatTable } from "../format/table.js";
import { collectLabel, parseLabels } from "../labels.js";
import { createDefaultSpec, encodeSpecJson, packSpec, validateSpecJson } from "../oci-spec.js";

/** The runtime ctr and the Go client use when none is given. */
export const DEFAULT_RUNTIME = "io.containerd.runc.v2";

interface CreateFlags {
  readonly label: readonly string[];
  readonly runtime: string;
  readonly image?: string;
  readonly snapshotter?: string;
  readonly snapshotKey?: string;
  readonly spec?: string;
}

interface ListFlags {
  readonly quiet?: boolean;
  readonly format: "table" | "json";
  readonly limit?: number;
  readonly after?: string;
}

/** The largest page berthd's PagesService gives. */
const MAX_PAGE = 10_000;

/** commander argParser for `--limit`: a whole number from 1. */
function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("give a whole number from 1");
  return Number(value);
}

/**
 * The containers after `--after`, at most `--limit` of them, a page at a
 * time from berthd's PagesService, as ListStream messages; `more` gets the
 * last id when containers remain.
 */
async function* pagedListing(
  client: BerthClient,
  filters: string[],
  flags: ListFlags,
  callOptions: Parameters<BerthClient["pages"]["listPage"]>[1],
  more: (lastId: string) => void,
): AsyncIterable<Pick<ListContainerMessage, "container">> {
  let left = flags.limit ?? Number.POSITIVE_INFINITY;
  let pageToken = "";
  let startAfter = flags.after ?? "";
  let lastId = "";
  for (;;) {
    const page = await client.pages.listPage(
      { filters, pageSize: Math.min(left, MAX_PAGE), pageToken, startAfter },
      callOptions,
    );
    for (const container of page.containers) {
      lastId = container.id;
      yield { container };
    }
    left -= page.containers.length;
    if (page.nextPageToken === "") return;
    // The server saw at least one more container than it sent.
    if (left <= 0) return more(lastId);
    pageToken = page.nextPageToken;
    startAfter = "";
  }
}

/** Adds the `containers` command and its subcommands to `program`. */
export function addContainersCommand(program: Command, io: CliIo): Command {
  const containers = program.command("containers").aliases(["c", "container"]).description("manage containers");

  containers
    .command("create")
    .description("create a container record")
    .argument("<id>", "container id")
    .addOption(
      new Option("--label <key=value>", "set a label (repeatable)").argParser(collectLabel).default([], "none"),
    )
    .option("--runtime <name>", "runtime name", DEFAULT_RUNTIME)
    .option("--image <ref>", "image reference (default: none)")
    .option("--snapshotter <name>", "snapshotter of the root filesystem (default: none)")
    .option("--snapshot-key <key>", "snapshot key of the root filesystem (needs --snapshotter; default: none)")
    .option("--spec <file>", "OCI runtime spec JSON file (default: a minimal spec running sh)")
    .action(async (id: string, flags: CreateFlags, command: Command) => {
      const context = connect(command, io);
      const specJson = flags.spec
        ? validateSpecJson(await readSpecFile(flags.spec), `spec file "${flags.spec}"`)
        : encodeSpecJson(createDefaultSpec({ namespace: context.options.namespace, id }));
      await context.client.containers.create(
        {
          container: {
            id,
            labels: parseLabels(flags.label),
            image: flags.image ?? "",
            runtime: { name: flags.runtime },
            spec: packSpec(specJson),
            snapshotter: flags.snapshotter ?? "",
            snapshotKey: flags.snapshotKey ?? "",
          },
        },
        context.callOptions,
      );
    });

  containers
    .command("ls")
    .alias("list")
    .description("list containers, optionally only those matching any of the filters")
    .argument("[filters...]", 'filters such as labels.a==1 or image~=busy (any one may match; "," means and)')
    .option("-q, --quiet", "print only the container ids")
    .addOption(new Option("--format <format>", "output format").choices(["table", "json"]).default("table"))
    .option(
      "--limit <n>",
      "list at most n containers, in id order (berthd's PagesService); says on stderr how to go on (default: all)",
      positiveInteger,
    )
    .option(
      "--after <id>",
      "list only containers whose id comes after this one (berthd's PagesService) (default: from the first)",
    )
    .action(async (filters: string[], flags: ListFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const stream =
        flags.limit === undefined && flags.after === undefined
          ? client.containers.listStream({ filters }, callOptions)
          : pagedListing(client, filters, flags, callOptions, (next) =>
              io.stderr(`more containers follow: berth c ls --limit ${flags.limit} --after ${next}\n`),
            );
      if (flags.quiet) {
        for await (const { container } of stream) if (container) io.stdout(`${container.id}\n`);
        return;
      }
      if (flags.format === "json") {
        const list = [];
        for await (const { container } of stream) if (container) list.push(containerToJson(container));
        io.stdout(formatJson(list));
        return;
      }
      const rows = [["CONTAINER", "IMAGE", "RUNTIME"]];
      for await (const { container } of stream) {
        if (container) rows.push([container.id, container.image || "-", container.runtime?.name ?? ""]);
      }
      io.stdout(formatTable(rows));
    });

  containers
    .command("info")
    .description("print a container as JSON (an OCI spec shown decoded)")
    .argument("<id>", "container id")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const { container } = await client.containers.get({ id }, callOptions);
      if (container === undefined) throw new Error(`container "${id}": the server returned no record`);
      io.stdout(formatJson(containerToJson(container)));
    });

  containers
    .command("label")
    .description("set labels (key=value) and remove them (key=); prints the resulting labels like ctr")
    .argument("<id>", "container id")
    .addArgument(new Argument("<labels...>", "key=value to set, key= to remove").argParser(collectLabel))
    .action(async (id: string, pairs: string[], _flags: unknown, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const labels = parseLabels(pairs);
      const { container } = await client.containers.update(
        { container: { id, labels }, updateMask: { paths: Object.keys(labels).map((key) => `labels.${key}`) } },
        callOptions,
      );
      const resulting = Object.entries(container?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      io.stdout(`${resulting.map(([key, value]) => `${key}=${value}`).join(",")}\n`);
    });

  containers
    .command("rm")
    .aliases(["delete", "del", "remove"])
    .description("delete containers; an id that fails is reported and the rest are still deleted")
    .argument("<ids...>", "container ids")
    .action(async (ids: string[], _flags: unknown, command: Command) => {
      const { client, callOptions, options } = connect(command, io);
      let failed = 0;
      for (const id of ids) {
        try {
          await client.containers.delete({ id }, callOptions);
        } catch (error) {
          failed++;
          io.stderr(`berth: ${describeError(error, options.address)}\n`);
        }
      }
      if (failed > 0) throw new ReportedError(`${failed} of ${ids.length} containers not deleted`);
    });

  return containers;
}

async function readSpecFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read spec file "${path}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

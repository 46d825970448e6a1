/**
 * `berth events`: ctr's `events`. Subscribes to berthd's events, optionally
 * filtered, and prints each envelope as it arrives until interrupted
 * (Ctrl-C or SIGTERM), which ends the call and exits 0. With `--since` or
 * `--after` it reads berthd's event history instead: the stored events from
 * then on, each with its sequence, and with `--follow` the live ones after
 * them, with no gap in between.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type CliIo, connect } from "../cli-context.js";
import { parseDuration } from "../duration.js";
import { formatEventJsonLine, formatEventLine, formatHistoryJsonLine, formatHistoryLine } from "../format/events.js";

interface EventsFlags {
  readonly format: "text" | "json";
  /** Milliseconds back from now. */
  readonly since?: number;
  readonly after?: bigint;
  readonly follow?: boolean;
}

function parseSince(text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms < 0) throw new Error("negative");
    return ms;
  } catch {
    throw new InvalidArgumentError("expected a duration such as 30s, 10m or 2h");
  }
}

function parseSequence(text: string): bigint {
  if (!/^\d{1,20}$/.test(text)) throw new InvalidArgumentError("expected an event sequence number");
  return BigInt(text);
}

/** Adds the `events` command to `program`. */
export function addEventsCommand(program: Command, io: CliIo): Command {
  return program
    .command("events")
    .description("print events as they happen (all namespaces unless filtered) until interrupted")
    .argument(
      "[filters...]",
      'filters such as namespace==ns1, topic=="/containers/delete" or event.id==c1 (any one may match; "," means and)',
    )
    .addOption(
      new Option(
        "--format <format>",
        'output format: ctr\'s "<time> <namespace> <topic> <payload>" lines, or JSON lines',
      )
        .choices(["text", "json"])
        .default("text"),
    )
    .option(
      "--since <duration>",
      "from berthd's event history: the events of the last <duration>, e.g. 10m (default: live events only)",
      parseSince,
    )
    .option(
      "--after <sequence>",
      "from berthd's event history: the events after this sequence, 0 for all kept (default: live events only)",
      parseSequence,
    )
    .option(
      "--follow",
      "with --since or --after, keep printing live events after the stored ones, with no gap (default: stop after them)",
    )
    .action(async (filters: string[], flags: EventsFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const interrupted = new AbortController();
      const stopListening = io.onInterrupt(() => interrupted.abort());
      const fromHistory = flags.since !== undefined || flags.after !== undefined || flags.follow === true;
      try {
        if (!fromHistory) {
          const format = flags.format === "json" ? formatEventJsonLine : formatEventLine;
          const stream = client.events.subscribe({ filters }, { ...callOptions, signal: interrupted.signal });
          for await (const envelope of stream) io.stdout(format(envelope));
        } else {
          const format = flags.format === "json" ? formatHistoryJsonLine : formatHistoryLine;
          const after = flags.after;
          const since = flags.since === undefined ? undefined : timestampFromMs(Date.now() - flags.since);
          const options = { ...callOptions, signal: interrupted.signal };
          if (flags.follow === true) {
            const resume =
              after !== undefined ? { filters, after } : since !== undefined ? { filters, since } : { filters };
            for await (const { event } of client.history.subscribe(resume, options))
              if (event) io.stdout(format(event));
          } else {
            let pageToken = "";
            do {
              const page = await client.history.list(
                {
                  filters,
                  after: after ?? 0n,
                  ...(after === undefined && since !== undefined ? { since } : {}),
                  pageToken,
                },
                options,
              );
              for (const event of page.events) io.stdout(format(event));
              pageToken = page.nextPageToken;
            } while (pageToken !== "");
            return;
          }
        }
      } catch (error) {
        if (interrupted.signal.aborted) return;
        throw error;
      } finally {
        stopListening();
      }
      if (!interrupted.signal.aborted) throw new Error("berthd ended the event stream");
    });
}

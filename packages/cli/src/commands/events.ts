/**
 * `berth events`: ctr's `events`. Subscribes to berthd's events, optionally
 * filtered, and prints each envelope as it arrives until interrupted
 * (Ctrl-C or SIGTERM), which ends the call and exits 0.
 */
import { type Command, Option } from "commander";
import { type CliIo, connect } from "../cli-context.js";
import { formatEventJsonLine, formatEventLine } from "../format/events.js";

interface EventsFlags {
  readonly format: "text" | "json";
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
    .action(async (filters: string[], flags: EventsFlags, command: Command) => {
      const { client, callOptions } = connect(command, io);
      const format = flags.format === "json" ? formatEventJsonLine : formatEventLine;
      const interrupted = new AbortController();
      const stopListening = io.onInterrupt(() => interrupted.abort());
      try {
        const stream = client.events.subscribe({ filters }, { ...callOptions, signal: interrupted.signal });
        for await (const envelope of stream) io.stdout(format(envelope));
      } catch (error) {
        if (interrupted.signal.aborted) return;
        throw error;
      } finally {
        stopListening();
      }
      if (!interrupted.signal.aborted) throw new Error("berthd ended the event stream");
    });
}

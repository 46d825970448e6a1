import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { invalidArgument, plainError, resourceExhausted } from "../errdefs.js";
import { envelopeOf } from "../store/event-log.js";
import type { EventHistory } from "../store/types.js";
import { envelopeFields } from "./envelope-fields.js";
import { type Filter, FilterParseError, parseFilters } from "./filters/index.js";

/** Events one List page holds when the request names no limit, and the most it may ask for. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;
/** Stored events one List page reads at most while looking for matches: a filter matching nothing ends there. */
const MAX_SCANNED = 100_000;
/** Live events a history subscriber may be behind before it is cut off. */
const DEFAULT_SUBSCRIBER_QUEUE = 10_000;

/** A List request, as the service passes it on. */
export interface HistoryQuery {
  readonly filters: readonly string[];
  readonly after: bigint;
  readonly before: bigint;
  readonly since: Timestamp | undefined;
  readonly until: Timestamp | undefined;
  readonly limit: number;
  readonly newestFirst: boolean;
  readonly pageToken: string;
}

/** One page of the history. */
export interface HistoryPage {
  readonly events: Event[];
  readonly nextPageToken: string;
  readonly oldestSequence: bigint;
  readonly newestSequence: bigint;
}

/** Where a subscription resumes: after a sequence (0: all kept), or since a time; neither: live only. */
export interface HistoryResume {
  readonly filters: readonly string[];
  readonly after: bigint | undefined;
  readonly since: Timestamp | undefined;
}

/** The history's rules over the store's event log. */
export interface HistoryLocal {
  list(query: HistoryQuery): Promise<HistoryPage>;
  /**
   * The stored events after the resume point, then live ones as they commit,
   * with no gap and no duplicate between the two, until `signal` aborts.
   */
  subscribe(resume: HistoryResume, signal: AbortSignal): AsyncIterable<Event>;
}

/** Options of {@link createHistoryLocal}. */
export interface HistoryLocalOptions {
  readonly history: Pick<EventHistory, "log">;
  /** Live events a subscriber may be behind before it is cut off (default 10,000). */
  readonly subscriberQueue?: number;
}

/** Builds the history rules. */
export function createHistoryLocal(options: HistoryLocalOptions): HistoryLocal {
  const { log } = options.history;
  const queueLimit = options.subscriberQueue ?? DEFAULT_SUBSCRIBER_QUEUE;

  /** The first sequence kept must follow `after`, or events the client asked for are gone. */
  const requireKept = async (after: bigint) => {
    if (after === 0n) return;
    const oldest = await log.oldest();
    const gone = oldest === 0n ? after < log.newest : oldest > after + 1n;
    if (gone) {
      throw plainError(
        "out of range",
        `events after sequence ${after} are no longer kept: the history starts at sequence ${oldest === 0n ? log.newest + 1n : oldest}`,
      );
    }
  };

  return {
    async list(query) {
      const filter = parseHistoryFilters(query.filters);
      const limit = query.limit === 0 ? DEFAULT_PAGE : Math.min(query.limit, MAX_PAGE);
      const { after, before, reverse } = pageRange(query);
      if (!reverse) await requireKept(after);
      const since = millis(query.since);
      const until = millis(query.until);
      const events: Event[] = [];
      let scanned = 0;
      let lastSeen: bigint | undefined;
      let more = false;
      for await (const event of log.read({ after, before, reverse })) {
        if (events.length === limit || scanned === MAX_SCANNED) {
          more = true;
          break;
        }
        scanned++;
        lastSeen = event.sequence;
        const time = millis(event.timestamp);
        if (since !== undefined && time !== undefined && time < since) {
          if (reverse) break;
          continue;
        }
        if (until !== undefined && time !== undefined && time >= until) {
          if (reverse) continue;
          break;
        }
        if (matches(filter, event)) events.push(event);
      }
      const oldestSequence = await log.oldest();
      return {
        events,
        nextPageToken: more && lastSeen !== undefined ? `${reverse ? "b" : "a"}${lastSeen}` : "",
        oldestSequence,
        newestSequence: oldestSequence === 0n ? 0n : log.newest,
      };
    },

    async *subscribe(resume, signal) {
      const filter = parseHistoryFilters(resume.filters);
      // Live events from now on wait here while the stored ones are replayed.
      const live: Event[] = [];
      let overflowed = false;
      let wake: (() => void) | undefined;
      const unsubscribe = log.onCommitted((committed) => {
        if (overflowed) return;
        for (const event of committed) live.push(event);
        if (live.length > queueLimit) {
          overflowed = true;
          live.length = 0;
        }
        wake?.();
      });
      // Read in the same turn as the listener was added: every later commit reaches `live`.
      const newestAtStart = log.newest;
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort);
      try {
        let last = newestAtStart;
        const replay = resume.after !== undefined || resume.since !== undefined;
        if (replay) {
          let after = resume.after ?? 0n;
          if (resume.after === undefined && resume.since !== undefined) after = await sequenceBefore(resume.since);
          else await requireKept(after);
          last = after;
          for await (const event of log.read({ after, signal })) {
            last = event.sequence;
            if (matches(filter, event)) yield event;
          }
        }
        for (;;) {
          if (signal.aborted) return;
          if (overflowed) {
            throw resourceExhausted(
              `history subscriber fell more than ${queueLimit} events behind and was disconnected; resume after sequence ${last}`,
            );
          }
          const event = live.shift();
          if (event === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          // Events the replay already read, committed while it ran, are not sent twice.
          if (event.sequence <= last) continue;
          last = event.sequence;
          if (matches(filter, event)) yield event;
        }
      } finally {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      }
    },
  };

  /** The sequence after which the events published at or after `since` begin. */
  async function sequenceBefore(since: Timestamp): Promise<bigint> {
    const from = millis(since) ?? 0;
    let before = 0n;
    for await (const event of log.read({ reverse: true })) {
      const time = millis(event.timestamp);
      if (time !== undefined && time < from) return event.sequence;
      before = event.sequence - 1n;
    }
    return before;
  }
}

/** Filters in containerd's syntax, parsed once per call; an error names the filter. */
function parseHistoryFilters(filters: readonly string[]): Filter {
  try {
    return parseFilters(filters);
  } catch (error) {
    if (error instanceof FilterParseError) throw invalidArgument(`failed parsing history filters: ${error.message}`);
    throw error;
  }
}

/** Whether an event passes the filters; gaps always do, since they say what any filter may have missed. */
function matches(filter: Filter, event: Event): boolean {
  return event.gap !== undefined || filter.match(envelopeFields(envelopeOf(event)));
}

/** The sequences a page reads: the request's bounds, moved on by its page token. */
function pageRange(query: HistoryQuery): { after: bigint; before: bigint; reverse: boolean } {
  let { after, before } = query;
  if (query.pageToken !== "") {
    const token = /^([ab])(\d{1,20})$/.exec(query.pageToken);
    if (token === null || (token[1] === "b") !== query.newestFirst) {
      throw invalidArgument(`page token ${JSON.stringify(query.pageToken)} is not from this listing`);
    }
    const position = BigInt(token[2] as string);
    if (query.newestFirst) before = position;
    else after = position;
  }
  return { after, before, reverse: query.newestFirst };
}

function millis(timestamp: Timestamp | undefined): number | undefined {
  return timestamp === undefined ? undefined : timestampDate(timestamp).getTime();
}

import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Any, Timestamp } from "@bufbuild/protobuf/wkt";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { backoffDelay, sleep } from "../live/backoff.js";
import { errorMessage, isInvalidArgument } from "../model/errors.js";

/** One line of the Events view. */
export interface LoggedEvent {
  /** Unique within the log: the history's sequence, or an arrival counter. */
  readonly key: string;
  /** The history's sequence; undefined for events from Events.Subscribe. */
  readonly sequence: bigint | undefined;
  readonly timestamp: Timestamp | undefined;
  readonly namespace: string;
  readonly topic: string;
  readonly event: Any | undefined;
  /** Set on a history gap entry: why events were missed. */
  readonly gap?: string;
}

/** The Events view's log, newest first. */
export interface EventLogState {
  readonly events: readonly LoggedEvent[];
  readonly loading: boolean;
  /** Whether older events can be loaded (from the history). */
  readonly more: boolean;
  /** The server's word on the filter (InvalidArgument), shown by the filter box. */
  readonly filterError: string | undefined;
  /** Anything else that went wrong; the log reconnects by itself. */
  readonly error: string | undefined;
  /** Events that arrived while paused and were not kept. */
  readonly dropped: number;
  /** Whether events come from berthd's durable history (else live only). */
  readonly fromHistory: boolean;
  loadOlder(): void;
}

/** A page of the history. */
const PAGE = 50;
/** Events the log holds at most: the oldest are let go as new ones arrive. */
export const MAX_EVENTS = 1000;

/**
 * Every event matching `filter` (containerd's syntax, over all namespaces):
 * from berthd's history when it keeps one — its newest page, then live after
 * it with nothing missed, older pages on demand — else live from
 * Events.Subscribe. While `paused`, new events are counted and not kept.
 * Reconnects with backoff; a filter the server rejects waits for a new one.
 */
export function useEventLog(client: BerthClient, filter: string, active: boolean, paused: boolean): EventLogState {
  const [events, setEvents] = useState<LoggedEvent[]>([]);
  const [loading, setLoading] = useState(true);
  const [filterError, setFilterError] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [dropped, setDropped] = useState(0);
  const [pageToken, setPageToken] = useState("");
  const [fromHistory, setFromHistory] = useState(false);
  const pausedNow = useRef(paused);
  pausedNow.current = paused;
  const loadingOlder = useRef(false);

  useEffect(() => {
    if (paused) setDropped(0);
  }, [paused]);

  useEffect(() => {
    if (!active) return;
    const filters = filter.trim() === "" ? [] : [filter.trim()];
    setEvents([]);
    setPageToken("");
    setLoading(true);
    setError(undefined);
    setFilterError(undefined);
    const stopped = new AbortController();
    const signal = stopped.signal;
    let arrivals = 0;
    const arrive = (event: LoggedEvent) => {
      if (pausedNow.current) {
        setDropped((count) => count + 1);
        return;
      }
      setEvents((held) => [event, ...held].slice(0, MAX_EVENTS));
    };
    let history = true;
    let newest: bigint | undefined;
    const run = async () => {
      let failures = 0;
      while (!signal.aborted) {
        try {
          if (history) {
            if (newest === undefined) {
              const page = await client.history.list({ filters, newestFirst: true, limit: PAGE }, { signal });
              setFromHistory(true);
              setEvents(page.events.map(fromHistoryEvent));
              setPageToken(page.nextPageToken);
              newest = page.newestSequence;
            }
            setLoading(false);
            setError(undefined);
            for await (const { event } of client.history.subscribe({ filters, after: newest }, { signal })) {
              if (event === undefined) continue;
              failures = 0;
              newest = event.sequence;
              arrive(fromHistoryEvent(event));
            }
          } else {
            setLoading(false);
            for await (const envelope of client.events.subscribe({ filters }, { signal })) {
              failures = 0;
              setError(undefined);
              arrive({
                key: `live-${arrivals++}`,
                sequence: undefined,
                timestamp: envelope.timestamp,
                namespace: envelope.namespace,
                topic: envelope.topic,
                event: envelope.event,
              });
            }
          }
        } catch (failure) {
          if (signal.aborted) return;
          if (failure instanceof ConnectError && failure.code === Code.Unimplemented && history) {
            history = false;
            setFromHistory(false);
            continue;
          }
          setLoading(false);
          if (isInvalidArgument(failure)) {
            setFilterError(errorMessage(failure));
            return;
          }
          // Resuming is impossible once the history moved past us: start again from its newest page.
          if (failure instanceof ConnectError && failure.code === Code.OutOfRange) newest = undefined;
          setError(errorMessage(failure));
        }
        await sleep(backoffDelay(failures++), signal);
      }
    };
    void run();
    return () => stopped.abort();
  }, [client, filter, active]);

  const loadOlder = useCallback(() => {
    if (pageToken === "" || loadingOlder.current) return;
    loadingOlder.current = true;
    const filters = filter.trim() === "" ? [] : [filter.trim()];
    client.history
      .list({ filters, newestFirst: true, limit: PAGE, pageToken })
      .then((page) => {
        setEvents((held) => [...held, ...page.events.map(fromHistoryEvent)].slice(0, MAX_EVENTS));
        setPageToken(page.nextPageToken);
      })
      .catch((failure: unknown) => setError(errorMessage(failure)))
      .finally(() => {
        loadingOlder.current = false;
      });
  }, [client, pageToken, filter]);

  return {
    events,
    loading,
    more: pageToken !== "" && events.length < MAX_EVENTS,
    filterError,
    error,
    dropped,
    fromHistory,
    loadOlder,
  };
}

function fromHistoryEvent(event: {
  sequence: bigint;
  timestamp?: Timestamp | undefined;
  namespace: string;
  topic: string;
  event?: Any | undefined;
  gap?: { reason: string } | undefined;
}): LoggedEvent {
  return {
    key: String(event.sequence),
    sequence: event.sequence,
    timestamp: event.timestamp,
    namespace: event.namespace,
    topic: event.topic,
    event: event.event,
    ...(event.gap === undefined ? {} : { gap: event.gap.reason }),
  };
}

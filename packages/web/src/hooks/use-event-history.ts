import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { backoffDelay, sleep } from "../live/backoff.js";
import { namespaceEventFilter } from "../live/events.js";
import { errorMessage } from "../model/errors.js";

/** A page of the Events view. */
const PAGE = 50;
/** Events the view holds at most: older ones are dropped as new ones arrive. */
const MAX_HELD = 5000;

/** The namespace's event history as the Events view shows it, newest first. */
export interface EventHistoryState {
  /** `false` where the server keeps no history; `undefined` until it answered. */
  readonly supported: boolean | undefined;
  readonly events: readonly Event[];
  readonly loading: boolean;
  /** Whether older events can be loaded. */
  readonly more: boolean;
  readonly error: string | undefined;
  /** Loads the next older page. */
  loadOlder(): void;
}

/**
 * The newest page of the namespace's history, then every new event live
 * (HistoryService.Subscribe after the newest one listed, so none falls
 * between the two), and older pages on demand; reconnects with backoff,
 * resuming after the newest event held.
 */
export function useEventHistory(client: BerthClient, namespace: string, active: boolean): EventHistoryState {
  const [events, setEvents] = useState<Event[]>([]);
  const [supported, setSupported] = useState<boolean | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [pageToken, setPageToken] = useState("");
  const loadingOlder = useRef(false);

  useEffect(() => {
    const filters = [namespaceEventFilter(namespace)];
    setEvents([]);
    setPageToken("");
    setLoading(true);
    setError(undefined);
    const stopped = new AbortController();
    const signal = stopped.signal;
    let newest: bigint | undefined;
    let failures = 0;
    const run = async () => {
      while (!signal.aborted) {
        try {
          if (newest === undefined) {
            const page = await client.history.list({ filters, newestFirst: true, limit: PAGE }, { signal });
            setSupported(true);
            setEvents(page.events);
            setPageToken(page.nextPageToken);
            setLoading(false);
            newest = page.newestSequence;
          }
          if (!active) return;
          setError(undefined);
          for await (const { event } of client.history.subscribe({ filters, after: newest }, { signal })) {
            if (event === undefined) continue;
            failures = 0;
            newest = event.sequence;
            setEvents((held) => [event, ...held].slice(0, MAX_HELD));
          }
        } catch (failure) {
          if (signal.aborted) return;
          if (failure instanceof ConnectError && failure.code === Code.Unimplemented) {
            setSupported(false);
            setLoading(false);
            return;
          }
          // Resuming is impossible once the history moved past us: start again from its newest page.
          if (failure instanceof ConnectError && failure.code === Code.OutOfRange) newest = undefined;
          setError(errorMessage(failure));
          setLoading(false);
        }
        await sleep(backoffDelay(failures++), signal).catch(() => undefined);
      }
    };
    void run();
    return () => stopped.abort();
  }, [client, namespace, active]);

  const loadOlder = useCallback(() => {
    if (pageToken === "" || loadingOlder.current) return;
    loadingOlder.current = true;
    client.history
      .list({ filters: [namespaceEventFilter(namespace)], newestFirst: true, limit: PAGE, pageToken })
      .then((page) => {
        setEvents((held) => [...held, ...page.events]);
        setPageToken(page.nextPageToken);
      })
      .catch((failure: unknown) => setError(errorMessage(failure)))
      .finally(() => {
        loadingOlder.current = false;
      });
  }, [client, pageToken, namespace]);

  return { supported, events, loading, more: pageToken !== "", error, loadOlder };
}

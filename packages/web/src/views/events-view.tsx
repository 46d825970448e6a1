import { useEffect, useRef } from "preact/hooks";
import { FilterBox } from "../components/filter-box.js";
import type { EventLogState } from "../hooks/use-event-log.js";
import type { NavigateOptions } from "../hooks/use-route.js";
import { describePayload } from "../model/event-payload.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";
import type { Route } from "../model/route.js";

/** Props of {@link EventsView}. */
export interface EventsViewProps {
  readonly log: EventLogState;
  readonly paused: boolean;
  readonly onPause: (paused: boolean) => void;
  readonly now: number;
  readonly route: Route;
  readonly navigate: (patch: Partial<Route>, options?: NavigateOptions) => void;
}

/**
 * A live log of every event, newest first: time, namespace, topic and the
 * decoded payload. A containerd filter narrows it (`topic~="/containers/",
 * namespace==default`); Pause stops the log from moving and counts what it
 * let go; scrolling to the end loads older events from berthd's history.
 */
export function EventsView({ log, paused, onPause, now, route, navigate }: EventsViewProps) {
  const end = useRef<HTMLParagraphElement>(null);
  const { more, loadOlder } = log;
  useEffect(() => {
    const element = end.current;
    if (element === null || !more) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadOlder();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [more, loadOlder]);
  return (
    <main class="workspace">
      <section class="list" aria-labelledby="events-title">
        <div class="toolbar">
          <h2 id="events-title">Events</h2>
          <p class="summary muted" aria-live="polite">
            {log.loading ? "Loading…" : `${log.events.length}${log.more ? "+" : ""} events`}
          </p>
          <FilterBox
            id="events-filter"
            value={route.filter}
            onApply={(filter) => navigate({ filter: filter.trim() }, { replace: true })}
            error={log.filterError}
            placeholder='topic~="/containers/",namespace==default'
          />
          <button type="button" class="button" aria-pressed={paused} onClick={() => onPause(!paused)}>
            {paused ? "Resume" : "Pause"}
          </button>
          <p class="dropped" role="status">
            {log.dropped > 0 || paused
              ? `${log.dropped.toLocaleString("en")} event${log.dropped === 1 ? "" : "s"} dropped while paused`
              : ""}
          </p>
        </div>
        {log.error !== undefined && (
          <p class="form-error" role="alert">
            {log.error}
          </p>
        )}
        <div class="table-area scroll-area">
          <table class="plain-table events-table" aria-label="Events">
            <thead>
              <tr>
                {log.fromHistory && <th scope="col">#</th>}
                <th scope="col">Time</th>
                <th scope="col">Namespace</th>
                <th scope="col">Topic</th>
                <th scope="col">Event</th>
              </tr>
            </thead>
            <tbody>
              {log.events.map((event) => (
                <tr key={event.key} id={`event-${event.key}`}>
                  {log.fromHistory && <td>{String(event.sequence)}</td>}
                  <td title={formatAbsolute(event.timestamp)}>{formatRelative(event.timestamp, now)}</td>
                  <td>{event.namespace}</td>
                  <td>{event.gap === undefined ? event.topic : "gap"}</td>
                  <td class="digest wrap">
                    {event.gap === undefined
                      ? describePayload(event.event)
                      : `berthd was not receiving events: ${event.gap}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!log.loading && log.events.length === 0 && log.error === undefined && log.filterError === undefined && (
            <p class="empty">No events{route.filter === "" ? "" : " match the filter"} yet.</p>
          )}
          <p ref={end} class="muted">
            {more ? "Loading older events…" : ""}
          </p>
        </div>
      </section>
    </main>
  );
}

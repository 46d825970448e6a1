import type { Event } from "@berth/gen/berth/events/v1/history_pb.js";
import { file_containerd_events_container } from "@berth/gen/containerd/events/container_pb.js";
import { file_containerd_events_image } from "@berth/gen/containerd/events/image_pb.js";
import { file_containerd_events_namespace } from "@berth/gen/containerd/events/namespace_pb.js";
import { file_containerd_events_task } from "@berth/gen/containerd/events/task_pb.js";
import { createRegistry, fromBinary, toJsonString } from "@bufbuild/protobuf";
import { useEffect, useRef } from "preact/hooks";
import type { EventHistoryState } from "../hooks/use-event-history.js";
import { formatAbsolute, formatRelative } from "../model/relative-time.js";

/** The event payloads the view can show as JSON; others show their type URL. */
const PAYLOADS = createRegistry(
  file_containerd_events_container,
  file_containerd_events_namespace,
  file_containerd_events_task,
  file_containerd_events_image,
);

/** Props of {@link EventsView}. */
export interface EventsViewProps {
  readonly namespace: string;
  readonly state: EventHistoryState;
  readonly now: number;
}

/**
 * The namespace's events, newest first, from berthd's event history: new ones
 * appear at the top as they happen, and scrolling to the end loads older ones.
 */
export function EventsView({ namespace, state, now }: EventsViewProps) {
  const end = useRef<HTMLParagraphElement>(null);
  const { more, loadOlder } = state;
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
    <section class="list" aria-labelledby="events-title">
      <div class="toolbar">
        <h2 id="events-title">Events</h2>
        <span class="muted" aria-live="polite">
          {state.loading ? "Loading…" : `${state.events.length}${state.more ? "+" : ""} events`}
        </span>
      </div>
      {state.error !== undefined && (
        <p class="form-error" role="alert">
          {state.error}
        </p>
      )}
      <div class="table-area scroll-area">
        <table class="images-table events-table" aria-label="Events">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Topic</th>
              <th scope="col">Event</th>
            </tr>
          </thead>
          <tbody>
            {state.events.map((event) => (
              <tr key={String(event.sequence)} id={`event-${event.sequence}`}>
                <td>{String(event.sequence)}</td>
                <td title={formatAbsolute(event.timestamp)}>{formatRelative(event.timestamp, now)}</td>
                <td>{event.gap === undefined ? event.topic : "gap"}</td>
                <td class="digest">{describe(event)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!state.loading && state.events.length === 0 && state.error === undefined && (
          <p class="empty">No events in {namespace}.</p>
        )}
        <p ref={end} class="muted">
          {more ? "Loading older events…" : ""}
        </p>
      </div>
    </section>
  );
}

/** An event's payload as JSON, or what it is when it cannot be decoded; a gap's reason. */
function describe(event: Event): string {
  if (event.gap !== undefined) return `berthd was not receiving events: ${event.gap.reason}`;
  const payload = event.event;
  if (payload === undefined) return "";
  const schema = PAYLOADS.getMessage(payload.typeUrl.slice(payload.typeUrl.lastIndexOf("/") + 1));
  if (schema === undefined) return payload.typeUrl;
  try {
    return toJsonString(schema, fromBinary(schema, payload.value));
  } catch {
    return payload.typeUrl;
  }
}

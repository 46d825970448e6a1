import { type Gap, GapSchema } from "@berth/gen/berth/events/v1/history_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Exchange } from "../events/exchange.js";
import { wholeEnvelopes } from "../rpc/grpc-web-frames.js";
import type { H2ClientConnection } from "../transport/h2/client.js";
import type { Upstream } from "./upstream.js";
import { fieldValue, startCall, type UpstreamCall } from "./upstream-call.js";

const SUBSCRIBE_PATH = "/containerd.services.events.v1.Events/Subscribe";
/** A SubscribeRequest without filters, in its gRPC envelope: every event of every namespace. */
const SUBSCRIBE_ALL = Buffer.alloc(5);
const ENVELOPE_HEADER_BYTES = 5;
/** The wait before subscribing again after the subscription was lost. */
const RESUBSCRIBE_MS = 200;

/** Options of {@link createEventFeed}. */
export interface EventFeedOptions {
  /** Told of each envelope as it arrives, after it went to the exchange (the event history keeps them). */
  readonly onEnvelope?: (envelope: Envelope) => void;
  /** Told of each time range whose events berthd did not receive, once it receives again. */
  readonly onGap?: (gap: Gap) => void;
  /** Since when berthd has not been receiving (its last run's newest event); default: now, no gap at start. */
  readonly lostSince?: Date | undefined;
}

/** berthd's one subscription to containerd's events. */
export interface EventFeed {
  /** Ends the subscription for good. */
  close(): void;
}

/**
 * Holds one `Events.Subscribe` to containerd and publishes every envelope into
 * `exchange`, from which any number of clients subscribe with their own
 * filters and bounded queues. It reads containerd's stream as fast as it comes
 * (publishing never waits on a subscriber), so a slow client can never slow
 * containerd's exchange. When the subscription is lost (containerd restarts),
 * the clients of the moment end with Unavailable and the feed subscribes again.
 */
export function createEventFeed(upstream: Upstream, exchange: Exchange, options: EventFeedOptions = {}): EventFeed {
  let closed = false;
  /** Since when no subscription has been open, and why; undefined while one is. */
  let lost: { since: Date; reason: string } | undefined =
    options.lostSince === undefined ? undefined : { since: options.lostSince, reason: "berthd was not running" };
  let current: UpstreamCall | undefined;
  const run = async () => {
    while (!closed) {
      let reason: string;
      try {
        const session = await upstream.session();
        reason = await subscribeOnce(session);
      } catch (error) {
        reason = (error as Error).message;
      }
      if (closed) return;
      lost ??= { since: new Date(), reason: `lost containerd's events: ${reason}` };
      exchange.interrupt(`lost containerd's events (${upstream.socketPath}): ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_MS).unref());
    }
  };

  /** Relays one subscription until it ends; resolves with why it ended. */
  const subscribeOnce = async (connection: H2ClientConnection): Promise<string> => {
    const call = startCall(connection, [
      ":method",
      "POST",
      ":scheme",
      "http",
      ":path",
      SUBSCRIBE_PATH,
      ":authority",
      "localhost",
      "content-type",
      "application/grpc",
      "te",
      "trailers",
    ]);
    current = call;
    void call.send(once(SUBSCRIBE_ALL));
    // Subscribed again: what happened meanwhile was missed, and the history says so. (containerd
    // answers a subscription only with its first event, so there is no earlier sign that it took.)
    if (lost !== undefined) {
      const now = new Date();
      options.onGap?.(
        create(GapSchema, { from: timestampFromDate(lost.since), to: timestampFromDate(now), reason: lost.reason }),
      );
      lost = undefined;
    }
    let status: string | undefined;
    try {
      const response = await call.response;
      status = statusOf(response.fields);
      if (!response.endStream) {
        for await (const frame of wholeEnvelopes(call.body())) {
          const envelope = fromBinary(EnvelopeSchema, frame.subarray(ENVELOPE_HEADER_BYTES));
          exchange.publish(envelope);
          options.onEnvelope?.(envelope);
        }
        status = statusOf(call.trailers ?? []);
      }
    } catch (error) {
      status ??= (error as Error).message;
    } finally {
      current = undefined;
    }
    return status ?? "the stream ended";
  };

  void run();
  return {
    close() {
      closed = true;
      current?.cancel();
    },
  };
}

/** "status N: message" from flat fields carrying `grpc-status`, else undefined. */
function statusOf(fields: readonly string[]): string | undefined {
  const code = fieldValue(fields, "grpc-status");
  return code === undefined ? undefined : `status ${code}: ${fieldValue(fields, "grpc-message") ?? ""}`;
}

async function* once(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}

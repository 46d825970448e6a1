import http2 from "node:http2";
import { EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import type { Exchange } from "../events/exchange.js";
import { wholeEnvelopes } from "../rpc/grpc-web-frames.js";
import type { Upstream } from "./upstream.js";

const SUBSCRIBE_PATH = "/containerd.services.events.v1.Events/Subscribe";
/** A SubscribeRequest without filters, in its gRPC envelope: every event of every namespace. */
const SUBSCRIBE_ALL = Buffer.alloc(5);
const ENVELOPE_HEADER_BYTES = 5;
/** The wait before subscribing again after the subscription was lost. */
const RESUBSCRIBE_MS = 200;

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
export function createEventFeed(upstream: Upstream, exchange: Exchange): EventFeed {
  let closed = false;
  let current: http2.ClientHttp2Stream | undefined;
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
      exchange.interrupt(`lost containerd's events (${upstream.socketPath}): ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_MS).unref());
    }
  };

  /** Relays one subscription until it ends; resolves with why it ended. */
  const subscribeOnce = async (session: http2.ClientHttp2Session): Promise<string> => {
    const stream = session.request({
      ":method": "POST",
      ":path": SUBSCRIBE_PATH,
      "content-type": "application/grpc",
      te: "trailers",
    });
    current = stream;
    let status: string | undefined;
    const describe = (fields: http2.IncomingHttpHeaders) => {
      if (fields["grpc-status"] !== undefined)
        status = `status ${fields["grpc-status"]}: ${fields["grpc-message"] ?? ""}`;
    };
    stream.on("response", describe);
    stream.on("trailers", describe);
    stream.end(SUBSCRIBE_ALL);
    try {
      for await (const envelope of wholeEnvelopes(stream)) {
        exchange.publish(fromBinary(EnvelopeSchema, envelope.subarray(ENVELOPE_HEADER_BYTES)));
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
      current?.close(http2.constants.NGHTTP2_CANCEL);
    },
  };
}

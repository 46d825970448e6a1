import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { BerthError, invalidArgument } from "../errdefs.js";
import type { Exchange } from "../events/exchange.js";
import { quoteInput } from "../go-quote.js";
import { type Clock, systemClock } from "./clock.js";
import { envelopeFields } from "./envelope-fields.js";
import { packEvent } from "./event-payloads.js";
import { FilterParseError, parseFilters } from "./filters/index.js";
import { validateIdentifier } from "./identifiers.js";
import type { RequestNamespace } from "./namespace.js";

/** Go's zero time, which containerd's non-nullable timestamps decode to when absent. */
const GO_ZERO_SECONDS = -62135596800n;

/** Dependencies of {@link createEventsLocal}. */
export interface EventsLocalOptions {
  /** What Subscribe follows. */
  readonly exchange: Exchange;
  /**
   * Stores a published or forwarded envelope durably, after which it reaches
   * `exchange` (see `store/event-log.ts`); without it, envelopes go to
   * `exchange` at once.
   */
  readonly record?: (envelope: Envelope) => Promise<void>;
  readonly clock?: Clock;
}

/** containerd's events rules (`events/exchange`, `services/events`) over an {@link Exchange}. */
export interface EventsLocal {
  /**
   * The envelope of a payload of berthd's own, stamped now: the store writes it
   * in the same batch as the change it reports, and it is published once that
   * batch has committed.
   */
  envelope<Desc extends DescMessage>(
    namespace: string,
    topic: string,
    schema: Desc,
    payload: MessageInitShape<Desc>,
  ): Envelope;
  /** Events.Publish: the caller's namespace, a validated topic, the Any unchanged. */
  publish(namespace: RequestNamespace, topic: string, event: Any | undefined): Promise<void>;
  /** Events.Forward: a complete envelope, validated, then broadcast unchanged. */
  forward(envelope: Envelope | undefined): Promise<void>;
  /** Events.Subscribe: envelopes matching any filter, until `signal` aborts. */
  subscribe(filters: readonly string[], signal: AbortSignal): AsyncIterable<Envelope>;
}

/** Builds the events rules. */
export function createEventsLocal({
  exchange,
  record = async (envelope) => exchange.publish(envelope),
  clock = systemClock,
}: EventsLocalOptions): EventsLocal {
  return {
    envelope(namespace, topic, schema, payload) {
      return create(EnvelopeSchema, { timestamp: clock(), namespace, topic, event: packEvent(schema, payload) });
    },

    async publish(requestNamespace, topic, event) {
      let namespace: string;
      try {
        namespace = requestNamespace.require();
      } catch (error) {
        throw error instanceof BerthError ? error.wrap("failed publishing event") : error;
      }
      validateTopic(topic);
      await record(create(EnvelopeSchema, { timestamp: clock(), namespace, topic, event }));
    },

    async forward(envelope) {
      const checked = envelope ?? create(EnvelopeSchema);
      try {
        validateIdentifier(checked.namespace);
      } catch (error) {
        throw error instanceof BerthError ? error.wrap("event envelope has invalid namespace") : error;
      }
      validateTopic(checked.topic);
      const timestamp = checked.timestamp;
      if (timestamp === undefined || (timestamp.seconds === GO_ZERO_SECONDS && timestamp.nanos === 0)) {
        throw invalidArgument("timestamp must be set on forwarded event");
      }
      await record(checked);
    },

    subscribe(filters, signal) {
      let filter: ReturnType<typeof parseFilters>;
      try {
        filter = parseFilters(filters);
      } catch (error) {
        if (error instanceof FilterParseError) {
          throw invalidArgument(`subscription error: failed parsing subscription filters: ${error.message}`);
        }
        throw error;
      }
      return exchange.subscribe({ accept: (envelope) => filter.match(envelopeFields(envelope)), signal });
    },
  };
}

/**
 * Checks an event topic: `/`, then one or more `/`-separated identifiers.
 * @throws BerthError (invalid argument) `envelope topic "<topic>": …`
 */
export function validateTopic(topic: string): void {
  try {
    if (topic === "") throw invalidArgument("must not be empty");
    if (!topic.startsWith("/")) throw invalidArgument("must start with '/'");
    if (topic.length === 1) throw invalidArgument("must have at least one component");
    const components = topic.slice(1).split("/");
    for (const component of components) {
      try {
        validateIdentifier(component);
      } catch (error) {
        throw error instanceof BerthError
          ? error.wrap(`failed validation on component ${quoteInput(component)}`)
          : error;
      }
    }
  } catch (error) {
    throw error instanceof BerthError ? error.wrap(`envelope topic ${quoteInput(topic)}`) : error;
  }
}

import { type Event, EventSchema, type Gap } from "@berth/gen/berth/events/v1/history_pb.js";
import { type Envelope, EnvelopeSchema } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { AbstractChainedBatch } from "abstract-level";
import type { Database, Section } from "./layout.js";

/** Digits of a sequence in its key: every uint64 fits, and keys sort as the numbers do. */
const SEQUENCE_DIGITS = 20;

/** The key of an event: its sequence, zero-padded. */
export function eventKey(sequence: bigint): string {
  return sequence.toString().padStart(SEQUENCE_DIGITS, "0");
}

/** A stored event as the containerd envelope it was (not for gaps). */
export function envelopeOf(event: Event): Envelope {
  return create(EnvelopeSchema, {
    timestamp: event.timestamp,
    namespace: event.namespace,
    topic: event.topic,
    event: event.event,
  });
}

/**
 * `berth.events.v1.Event` of an envelope, encoded by hand: one event is
 * written per acknowledged write, and this costs a fraction of the generic
 * encoder. Field for field what `toBinary(EventSchema, …)` writes (a test holds them equal).
 */
export function encodeEnvelopeEvent(sequence: bigint, envelope: Envelope): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).uint64(sequence);
  const { timestamp, event } = envelope;
  if (timestamp !== undefined) {
    writer.tag(2, WireType.LengthDelimited).fork();
    if (timestamp.seconds !== 0n) writer.tag(1, WireType.Varint).int64(timestamp.seconds);
    if (timestamp.nanos !== 0) writer.tag(2, WireType.Varint).int32(timestamp.nanos);
    writer.join();
  }
  if (envelope.namespace !== "") writer.tag(3, WireType.LengthDelimited).string(envelope.namespace);
  if (envelope.topic !== "") writer.tag(4, WireType.LengthDelimited).string(envelope.topic);
  if (event !== undefined) {
    writer.tag(5, WireType.LengthDelimited).fork();
    if (event.typeUrl !== "") writer.tag(1, WireType.LengthDelimited).string(event.typeUrl);
    if (event.value.length > 0) writer.tag(2, WireType.LengthDelimited).bytes(event.value);
    writer.join();
  }
  return writer.finish();
}

/** What is appended: a containerd envelope, or a gap in the history. */
export type EventEntry = { readonly envelope: Envelope } | { readonly gap: Gap };

/** A range of the history to read. */
export interface EventRange {
  /** Sequences above this (default 0: from the oldest). */
  readonly after?: bigint;
  /** Sequences below this (default: up to the newest). */
  readonly before?: bigint;
  /** Newest first. */
  readonly reverse?: boolean;
  readonly signal?: AbortSignal;
}

/** How much history to keep. */
export interface EventRetention {
  /** Keep at most this many events (the newest). */
  readonly maxCount: number;
  /** Drop events older than this. */
  readonly maxAgeMs: number;
}

/**
 * The durable, ordered history of events, in the database's `!events!`
 * section. Sequences are handed out as batches are composed, which the commit
 * queue does one batch at a time in commit order, so sequence order is commit
 * order; an event is stored in the same batch as the change it reports.
 */
export interface EventLog {
  /** The newest committed sequence (0 while the history is empty). */
  readonly newest: bigint;
  /** Puts `entry` into `batch` under the next sequence; the event, as it will be stored. */
  append(batch: AbstractChainedBatch<Database, string, Uint8Array>, entry: EventEntry): Event;
  /** The batch holding events from `first` on was written: they are history now, in order. */
  committed(events: readonly Event[]): void;
  /** The batch holding events from `first` on failed: their sequences are handed out again. */
  abandoned(first: bigint): void;
  /** Calls `listener` with every committed batch's events, in order; returns the unsubscribe function. */
  onCommitted(listener: (events: readonly Event[]) => void): () => void;
  /** The oldest stored sequence, or 0 when there is none. */
  oldest(): Promise<bigint>;
  /** The stored events of a range, read lazily from one snapshot. */
  read(range?: EventRange): AsyncIterable<Event>;
  /**
   * Keys to delete so that `retention` holds, oldest first, at most `limit`
   * of them; none when it holds already.
   */
  expired(retention: EventRetention, now: number, limit: number): Promise<string[]>;
}

/**
 * Opens the history in `section`, continuing after its newest stored sequence.
 * With `keep` false the history is off: events still get sequences and reach
 * the committed listeners, but none is stored.
 */
export async function openEventLog(section: Section, keep = true): Promise<EventLog> {
  let newest = 0n;
  for await (const key of section.keys({ reverse: true, limit: 1 })) newest = BigInt(key);
  let next = newest + 1n;
  const listeners = new Set<(events: readonly Event[]) => void>();
  const decode = (bytes: Uint8Array) => fromBinary(EventSchema, bytes);

  const log: EventLog = {
    get newest() {
      return newest;
    },
    append(batch, entry) {
      const sequence = next++;
      const event =
        "gap" in entry
          ? create(EventSchema, { sequence, timestamp: entry.gap.to, gap: entry.gap })
          : create(EventSchema, {
              sequence,
              timestamp: entry.envelope.timestamp,
              namespace: entry.envelope.namespace,
              topic: entry.envelope.topic,
              event: entry.envelope.event,
            });
      if (keep) {
        const bytes = "gap" in entry ? toBinary(EventSchema, event) : encodeEnvelopeEvent(sequence, entry.envelope);
        batch.put(eventKey(sequence), bytes, { sublevel: section });
      }
      return event;
    },
    committed(events) {
      const last = events[events.length - 1];
      if (last === undefined) return;
      newest = last.sequence;
      for (const listener of listeners) listener(events);
    },
    abandoned(first) {
      next = first;
    },
    onCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async oldest() {
      for await (const key of section.keys({ limit: 1 })) return BigInt(key);
      return 0n;
    },
    async *read(range = {}) {
      const options: { gt?: string; lt?: string; reverse: boolean } = { reverse: range.reverse === true };
      if (range.after !== undefined && range.after > 0n) options.gt = eventKey(range.after);
      if (range.before !== undefined && range.before > 0n) options.lt = eventKey(range.before);
      for await (const bytes of section.values(options)) {
        if (range.signal?.aborted) return;
        yield decode(bytes);
      }
    },
    async expired(retention, now, limit) {
      const keys: string[] = [];
      // Sequences are contiguous (none is skipped, pruning takes the oldest) but for holes a repair
      // may leave: their span is the count, or a little more, which only prunes a little early.
      const oldest = await log.oldest();
      const count = oldest === 0n ? 0 : Number(newest - oldest + 1n);
      let excess = Math.max(0, count - retention.maxCount);
      const cutoff = now - retention.maxAgeMs;
      for await (const [key, bytes] of section.iterator({ limit })) {
        const event = decode(bytes);
        const time = event.timestamp === undefined ? 0 : timestampDate(event.timestamp).getTime();
        if (excess <= 0 && time >= cutoff) break;
        keys.push(key);
        excess--;
      }
      return keys;
    },
  };
  return log;
}

import type { BerthClient } from "@berth/client";
import {
  ContainerCreateSchema,
  ContainerDeleteSchema,
  ContainerUpdateSchema,
} from "@berth/gen/containerd/events/container_pb.js";
import {
  NamespaceCreateSchema,
  NamespaceDeleteSchema,
  NamespaceUpdateSchema,
} from "@berth/gen/containerd/events/namespace_pb.js";
import type { Envelope } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import { fromBinary } from "@bufbuild/protobuf";

const PING = "/e2e/ledger/ping";
const CLOSE = "/e2e/ledger/close";

/** The payload id (container id or namespace name) of berthd's own events, by topic. */
const SUBJECT: Record<string, (value: Uint8Array) => string> = {
  "/containers/create": (value) => fromBinary(ContainerCreateSchema, value).id,
  "/containers/update": (value) => fromBinary(ContainerUpdateSchema, value).id,
  "/containers/delete": (value) => fromBinary(ContainerDeleteSchema, value).id,
  "/namespaces/create": (value) => fromBinary(NamespaceCreateSchema, value).name,
  "/namespaces/update": (value) => fromBinary(NamespaceUpdateSchema, value).name,
  "/namespaces/delete": (value) => fromBinary(NamespaceDeleteSchema, value).name,
};

/** A multiset of `<envelope namespace> <topic> <subject>` keys. */
export type EventCounts = ReadonlyMap<string, number>;

const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * Checks that every acknowledged write publishes exactly one event: tests
 * `expect` each write they saw acknowledged, a subscription opened before the
 * first write counts what berthd published, and {@link EventLedger.close}
 * returns both once a closing event (published after every acknowledgement)
 * has come through the same ordered stream.
 */
export class EventLedger {
  private readonly expected = new Map<string, number>();
  private readonly published = new Map<string, number>();
  private readonly histories = new Map<string, string[]>();
  private readonly controller = new AbortController();
  private pinged = false;
  private readonly reading: Promise<void>;

  private constructor(private readonly client: BerthClient) {
    this.reading = this.read();
    // A stream failure surfaces in close(); until then it must not count as unhandled.
    this.reading.catch(() => undefined);
  }

  /** Subscribes with `client` and resolves once the subscription demonstrably receives events. */
  static async open(client: BerthClient, timeoutMs = 10_000): Promise<EventLedger> {
    const ledger = new EventLedger(client);
    const deadline = Date.now() + timeoutMs;
    while (!ledger.pinged) {
      if (Date.now() > deadline) throw new Error("the events subscription never started");
      await client.events.publish({ topic: PING });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return ledger;
  }

  /** Records an acknowledged write that must publish `topic` about `subject` in `namespace`. */
  expect(namespace: string, topic: string, subject: string): void {
    bump(this.expected, `${namespace} ${topic} ${subject}`);
  }

  /**
   * Ends the subscription after every event published so far, and returns what
   * was expected and published, and the container topics (`create`, `update`,
   * `delete`) published for each `<namespace>/<id>`, in stream order.
   */
  async close(
    timeoutMs = 10_000,
  ): Promise<{ expected: EventCounts; published: EventCounts; histories: ReadonlyMap<string, readonly string[]> }> {
    await this.client.events.publish({ topic: CLOSE });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the closing event never arrived")), timeoutMs);
    });
    try {
      await Promise.race([this.reading, timeout]);
    } finally {
      clearTimeout(timer);
      this.controller.abort();
    }
    return { expected: this.expected, published: this.published, histories: this.histories };
  }

  private async read(): Promise<void> {
    const stream = this.client.events.subscribe({ filters: [] }, { signal: this.controller.signal });
    for await (const envelope of stream) {
      if (envelope.topic === PING) this.pinged = true;
      else if (envelope.topic === CLOSE) return;
      else this.count(envelope);
    }
  }

  private count(envelope: Envelope): void {
    const subject = SUBJECT[envelope.topic]?.(envelope.event?.value ?? new Uint8Array()) ?? "?";
    bump(this.published, `${envelope.namespace} ${envelope.topic} ${subject}`);
    if (envelope.topic.startsWith("/containers/")) {
      const key = `${envelope.namespace}/${subject}`;
      this.histories.set(key, [...(this.histories.get(key) ?? []), envelope.topic.slice("/containers/".length)]);
    }
  }
}

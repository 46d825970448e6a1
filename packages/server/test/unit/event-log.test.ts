/** The event history's hand-written encoding against protobuf-es's generic one. */
import { describe, expect, it } from "vitest";

describe("the event history's encoding", () => {
  it("writes an envelope's event exactly as protobuf-es would", async () => {
    const { create, toBinary } = await import("@bufbuild/protobuf");
    const { EventSchema } = await import("@berth/gen/berth/events/v1/history_pb.js");
    const { EnvelopeSchema } = await import("@berth/gen/containerd/services/events/v1/events_pb.js");
    const { encodeEnvelopeEvent } = await import("../../src/store/event-log.js");
    const envelopes = [
      create(EnvelopeSchema, {
        timestamp: { seconds: 1_796_541_143n, nanos: 15_000_001 },
        namespace: "default",
        topic: "/containers/create",
        event: { typeUrl: "containerd.events.ContainerCreate", value: new Uint8Array([10, 2, 99, 49]) },
      }),
      create(EnvelopeSchema, { topic: "/x" }),
      create(EnvelopeSchema, {
        timestamp: { seconds: -62_135_596_800n, nanos: 0 },
        event: { typeUrl: "", value: new Uint8Array() },
      }),
    ];
    for (const [index, envelope] of envelopes.entries()) {
      const sequence = BigInt(index * 1_000_003 + 1);
      const expected = toBinary(
        EventSchema,
        create(EventSchema, {
          sequence,
          timestamp: envelope.timestamp,
          namespace: envelope.namespace,
          topic: envelope.topic,
          event: envelope.event,
        }),
      );
      expect(Buffer.from(encodeEnvelopeEvent(sequence, envelope))).toEqual(Buffer.from(expected));
    }
  });
});

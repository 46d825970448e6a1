import {
  ContainerSchema,
  GetContainerResponseSchema,
  ListContainersResponseSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { countRepeatedField1, EnvelopeReader, field1, WireError } from "../src/wire-client.js";

const envelope = (message: Uint8Array) => {
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
};

/** Reads `body` cut into pieces of `size` bytes; the messages it found. */
const readInPieces = (body: Buffer, size: number) => {
  const messages: string[] = [];
  const reader = new EnvelopeReader((bytes) => messages.push(Buffer.from(bytes).toString()));
  for (let at = 0; at < body.length; at += size) reader.push(body.subarray(at, at + size));
  return { messages, complete: reader.complete };
};

describe("EnvelopeReader", () => {
  const body = Buffer.concat(
    ["first", "", "a longer third message", "x".repeat(70_000)].map((m) => envelope(Buffer.from(m))),
  );

  it.each([1, 2, 5, 7, 16_384, body.length])("finds every message in pieces of %i bytes", (size) => {
    const { messages, complete } = readInPieces(body, size);
    expect(messages).toEqual(["first", "", "a longer third message", "x".repeat(70_000)]);
    expect(complete).toBe(true);
  });

  it("reports a cut message as incomplete", () => {
    expect(readInPieces(body.subarray(0, body.length - 1), 1000).complete).toBe(false);
    expect(readInPieces(body.subarray(0, 3), 1000).complete).toBe(false);
  });

  it("refuses a compressed message", () => {
    const compressed = envelope(Buffer.from("z"));
    compressed[0] = 1;
    expect(() => readInPieces(compressed, 100)).toThrow(WireError);
  });
});

describe("reading answers on the wire", () => {
  const containers = Array.from({ length: 300 }, (_, i) =>
    create(ContainerSchema, { id: `c-${i}`, labels: { pad: "p".repeat(i) } }),
  );

  it("counts a listing's containers as decoding does", () => {
    const listing = toBinary(ListContainersResponseSchema, create(ListContainersResponseSchema, { containers }));
    expect(countRepeatedField1(listing)).toBe(300);
    expect(countRepeatedField1(new Uint8Array(0))).toBe(0);
    expect(() => countRepeatedField1(listing.subarray(0, listing.length - 1))).toThrow(WireError);
  });

  it("finds a Get answer's container id", () => {
    const answer = toBinary(
      GetContainerResponseSchema,
      create(GetContainerResponseSchema, { container: containers[7] }),
    );
    const container = field1(answer);
    expect(container === undefined ? undefined : Buffer.from(field1(container) ?? []).toString()).toBe("c-7");
    expect(field1(new Uint8Array(0))).toBeUndefined();
  });
});

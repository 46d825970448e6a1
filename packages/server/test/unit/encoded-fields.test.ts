import {
  ContainerSchema,
  ListContainersResponseSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { encodedMessage, encodingOf } from "../../src/services/encoded-fields.js";

const containers = (count: number, labelBytes: number) =>
  Array.from({ length: count }, (_, i) =>
    create(ContainerSchema, { id: `c-${i}`, labels: { pad: "x".repeat(labelBytes + i) } }),
  );

describe("encodedMessage", () => {
  it.each([
    ["no elements", 0, 0],
    ["one short element", 1, 10],
    ["elements whose lengths take two and three varint bytes", 40, 200],
    ["many elements", 300, 300],
  ])("encodes %s as protobuf-es encodes the decoded message", (_, count, labelBytes) => {
    const decoded = containers(count, labelBytes);
    const expected = toBinary(
      ListContainersResponseSchema,
      create(ListContainersResponseSchema, { containers: decoded }),
    );
    const message = encodedMessage(
      ListContainersResponseSchema,
      1,
      decoded.map((container) => toBinary(ContainerSchema, container)),
    );
    expect(Buffer.from(toBinary(ListContainersResponseSchema, message)).equals(expected)).toBe(true);
    const parts = encodingOf(ListContainersResponseSchema, message);
    expect(parts === undefined ? expected.length : Buffer.concat(parts).equals(expected)).toBe(count === 0 ? 0 : true);
    expect(fromBinary(ListContainersResponseSchema, expected).containers.map((c) => c.id)).toEqual(
      decoded.map((c) => c.id),
    );
  });

  it("leaves any other message to protobuf-es", () => {
    expect(encodingOf(ListContainersResponseSchema, create(ListContainersResponseSchema))).toBeUndefined();
    const withKnownField = encodedMessage(ListContainersResponseSchema, 1, [new Uint8Array([10, 1, 97])]);
    withKnownField.containers.push(create(ContainerSchema, { id: "b" }));
    expect(encodingOf(ListContainersResponseSchema, withKnownField)).toBeUndefined();
  });
});

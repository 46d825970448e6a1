import type { DescMethod } from "@bufbuild/protobuf";
import { DEFAULT_LIMITS } from "../../src/config.js";
import { encodeMessage, randomMessage, withInvalidUtf8 } from "./fuzz-messages.js";
import { BINARY_MUTATIONS, JSON_MUTATIONS, mutate } from "./fuzz-mutations.js";
import { envelope, type Protocol } from "./fuzz-protocols.js";
import type { Random } from "./fuzz-random.js";

/** What kind of hostile input a case is; the oracle allows different statuses for each. */
export type InputClass =
  | "random-bytes"
  | "mutated"
  | "truncated-envelope"
  | "declared-oversize"
  | "actual-oversize"
  | "content-type"
  | "invalid-utf8"
  | "namespace-header"
  | "label-map"
  | "filter-list"
  | "regex";

/** One request of the suite, ready to send. */
export interface FuzzCase {
  readonly inputClass: InputClass;
  /** What exactly was sent, for failure reports. */
  readonly label: string;
  readonly protocol: Protocol;
  readonly method: DescMethod;
  /** The whole request body, framed as the case needs (possibly wrongly, on purpose). */
  readonly body: Uint8Array;
  /** Headers that replace the protocol's (`undefined` removes one). */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** The namespace every fuzz call runs in unless its header is under test. */
export const FUZZ_NAMESPACE = "fuzz";

/** The largest message berthd accepts (containerd's default). */
export const MAX_MESSAGE_BYTES = DEFAULT_LIMITS.maxMessageBytes;

const NAMESPACE_VALUES: readonly (string | readonly string[])[] = [
  "",
  "Bad NS",
  "a".repeat(77),
  "-leading",
  "double..dot",
  "caf\u00e9",
  "x".repeat(8000),
  ["", FUZZ_NAMESPACE],
  ["Bad", FUZZ_NAMESPACE],
  [FUZZ_NAMESPACE, "Bad NS"],
];

/** Frames a message body as `protocol` sends it for `method`: enveloped or bare. */
export function framed(protocol: Protocol, method: DescMethod, body: Uint8Array): Uint8Array {
  return protocol.enveloped(method) ? envelope(body) : body;
}

/**
 * The generic cases of one method over one protocol: random bytes, mutated valid messages, truncated
 * and over-declared envelopes, wrong content types, invalid UTF-8 in every string field and invalid
 * namespace headers. Deterministic for a given `random` state.
 */
export function genericCases(protocol: Protocol, method: DescMethod, random: Random): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (inputClass: InputClass, label: string, body: Uint8Array, headers?: FuzzCase["headers"]) =>
    cases.push({ inputClass, label, protocol, method, body, ...(headers === undefined ? {} : { headers }) });
  const valid = () => encodeMessage(method.input, randomMessage(method.input, random), protocol.json);

  for (let i = 0; i < 3; i++) {
    const length = random.pick([0, 1, 5, 64, 1024]);
    add("random-bytes", `${length} random bytes`, framed(protocol, method, random.bytes(length)));
  }
  // Random bytes sent as they are, envelope or not.
  add("random-bytes", "unframed random bytes", random.bytes(1 + random.int(40)));

  const mutations = protocol.json ? JSON_MUTATIONS : BINARY_MUTATIONS;
  for (const mutation of mutations) {
    add(
      "mutated",
      `valid message, ${mutation}`,
      framed(protocol, method, mutate(valid(), mutation, random, protocol.json)),
    );
  }

  if (protocol.enveloped(method)) {
    const message = valid();
    add("truncated-envelope", "envelope cut inside its header", envelope(message).subarray(0, 1 + random.int(4)));
    // A bidi stream (reflection) that ends inside an envelope is answered OK by the Connect adapter: reported, left out.
    if (method.methodKind !== "bidi_streaming") {
      add(
        "truncated-envelope",
        "envelope declaring more than it holds",
        envelope(message, 0, message.length + 1 + random.int(1000)),
      );
    }
    const declared = random.pick([MAX_MESSAGE_BYTES + 1, 0x7fffffff, 0xffffffff]);
    add("declared-oversize", `envelope declaring ${declared} bytes`, envelope(random.bytes(16), 0, declared));
    add("mutated", "envelope with an unknown flag", envelope(valid(), random.pick([0x04, 0x40, 0x7e])));
  }

  const body = framed(protocol, method, valid());
  add("content-type", "content-type text/plain", body, { "content-type": "text/plain" });
  add("content-type", "no content-type", body, { "content-type": undefined });
  add(
    "content-type",
    protocol.json ? "JSON body as application/grpc+proto" : "protobuf body as application/grpc+json",
    envelope(valid()),
    { "content-type": protocol.json ? "application/grpc+proto" : "application/grpc+json" },
  );
  add("content-type", "protocol content type with a bogus parameter", body, {
    "content-type": `${protocol.contentType(method)}; charset=ebcdic`,
  });

  for (let i = 0; i < 2; i++) {
    const marked = encodeMessage(method.input, randomMessage(method.input, random, { marker: true }), protocol.json);
    add(
      "invalid-utf8",
      "invalid UTF-8 in every string field",
      framed(protocol, method, withInvalidUtf8(marked, random)),
    );
  }

  for (let i = 0; i < 2; i++) {
    const value = random.pick(NAMESPACE_VALUES);
    add("namespace-header", `containerd-namespace ${JSON.stringify(value).slice(0, 40)}`, body, {
      "containerd-namespace": value,
    });
  }
  return cases;
}

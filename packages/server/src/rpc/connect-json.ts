import { type DescMethod, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";
import type { JsonCodec } from "./json-codec.js";

const JSON_TYPE = /^application\/(?:connect\+)?json(?:;.*)?$/i;

/**
 * Whether a Connect call is JSON that berthd transcodes itself: POSTed, and not
 * compressed (a compressed body goes to Connect's own JSON, which knows the
 * registry's types but not JSON-valued Anys).
 */
export function transcodesJson(request: Pick<UniversalServerRequest, "method" | "header">): boolean {
  const header = request.header;
  return (
    request.method === "POST" &&
    JSON_TYPE.test(header.get("content-type") ?? "") &&
    (header.get("content-encoding") ?? "identity") === "identity" &&
    (header.get("connect-content-encoding") ?? "identity") === "identity"
  );
}

/** Serves a Connect call with binary messages (`application/proto`, `application/connect+proto`). */
export type BinaryConnectCall = (request: UniversalServerRequest) => Promise<UniversalServerResponse>;

/**
 * Serves a Connect JSON call (unary or streaming) of `method` as a binary one:
 * requests are read with the codec and sent as protobuf, answers are decoded
 * and written back with the codec, so containerd's JSON-valued Anys show as
 * JSON and round-trip byte for byte. Errors are JSON already and pass as they are.
 */
export async function serveConnectJson(
  serveBinary: BinaryConnectCall,
  method: Pick<DescMethod, "input" | "output">,
  request: UniversalServerRequest,
  codec: JsonCodec,
): Promise<UniversalServerResponse> {
  const { input, output } = method;
  const streaming = /^application\/connect\+json/i.test(request.header.get("content-type") ?? "");
  const header = new Headers(request.header);
  header.set("content-type", streaming ? "application/connect+proto" : "application/proto");
  header.delete("content-length");
  // Answers must come uncompressed to be transcoded.
  header.delete("accept-encoding");
  header.delete("connect-accept-encoding");
  const body = request.body as AsyncIterable<Uint8Array>;
  let binary: AsyncIterable<Uint8Array>;
  try {
    binary = streaming
      ? mapEnvelopes(body, (data) => {
          try {
            return toBinary(input, codec.fromJsonText(input, utf8(data)));
          } catch (error) {
            throw new ConnectError(invalidJsonMessage(error), Code.InvalidArgument);
          }
        })
      : once(toBinary(input, codec.fromJsonText(input, utf8(await readAll(body)))));
  } catch (error) {
    return invalidJson(error);
  }
  let response: UniversalServerResponse;
  try {
    response = await serveBinary({ ...request, header, body: binary });
  } catch (error) {
    return invalidJson(error);
  }
  const responseHeader = new Headers(response.header);
  const type = responseHeader.get("content-type") ?? "";
  if (!/^application\/(?:connect\+)?proto/i.test(type) || response.body === undefined) return response;
  responseHeader.set("content-type", streaming ? "application/connect+json" : "application/json");
  responseHeader.delete("content-length");
  const toJson = (data: Uint8Array) => new TextEncoder().encode(codec.toJsonText(output, fromBinary(output, data)));
  if (streaming) return { ...response, header: responseHeader, body: mapEnvelopes(response.body, toJson) };
  return { ...response, header: responseHeader, body: once(toJson(await readAll(response.body))) };
}

function invalidJsonMessage(error: unknown): string {
  return `cannot decode request JSON: ${error instanceof Error ? error.message : String(error)}`;
}

/** Connect's answer to a request body that is not the method's JSON. */
function invalidJson(error: unknown): UniversalServerResponse {
  const message = invalidJsonMessage(error);
  return {
    status: 400,
    header: new Headers({ "content-type": "application/json" }),
    body: once(new TextEncoder().encode(JSON.stringify({ code: "invalid_argument", message }))),
  };
}

/**
 * Rewrites the messages of a Connect envelope stream with `map`; the end-of-stream
 * envelope (flag 0b10, JSON in both encodings) passes as it is. A decode error
 * surfaces when the consumer reads that message.
 */
async function* mapEnvelopes(
  source: AsyncIterable<Uint8Array>,
  map: (data: Uint8Array) => Uint8Array,
): AsyncIterable<Uint8Array> {
  let buffered: Uint8Array = new Uint8Array();
  for await (const chunk of source) {
    buffered = buffered.length === 0 ? chunk : concat(buffered, chunk);
    for (;;) {
      if (buffered.length < 5) break;
      const length = new DataView(buffered.buffer, buffered.byteOffset, buffered.byteLength).getUint32(1);
      if (buffered.length < 5 + length) break;
      const flags = buffered[0] ?? 0;
      const data = buffered.subarray(5, 5 + length);
      buffered = buffered.subarray(5 + length);
      yield envelope(flags, (flags & 0b10) === 0 ? map(data) : data);
    }
  }
  if (buffered.length > 0) yield buffered;
}

function envelope(flags: number, data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + data.length);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, data.length);
  framed.set(data, 5);
  return framed;
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concat(...chunks);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

async function* once(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}

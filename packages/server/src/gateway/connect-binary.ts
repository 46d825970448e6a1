import type { Code } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { bodyOf } from "../rpc/exchange.js";
import { connectEndStream } from "../rpc/status-response.js";

const ENVELOPE_HEADER_BYTES = 5;

/** A Connect request's headers for containerd: its deadline as `grpc-timeout`, Connect's own headers dropped. */
export function connectToGrpcHeaders(headers: Record<string, string | string[]>): void {
  const timeout = headers["connect-timeout-ms"];
  if (typeof timeout === "string" && /^\d{1,10}$/.test(timeout)) headers["grpc-timeout"] = `${timeout}m`;
  const encoding = headers["connect-content-encoding"];
  if (typeof encoding === "string") headers["grpc-encoding"] = encoding;
  for (const name of Object.keys(headers)) {
    if (name.startsWith("connect-") || name === "accept-encoding" || name === "content-encoding") delete headers[name];
  }
}

/** A Connect unary request body (the message itself) as one gRPC envelope. */
export async function* unaryRequestAsGrpc(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  const message = Buffer.concat(chunks);
  const header = Buffer.alloc(ENVELOPE_HEADER_BYTES);
  header.writeUInt32BE(message.length, 1);
  yield header;
  if (message.length > 0) yield message;
}

/** The status containerd's answer ended with: code, message (decoded), and the trailers to relay. */
export interface GrpcOutcome {
  readonly code: number;
  readonly message: string;
  readonly metadata: Headers;
}

/**
 * containerd's answer to a Connect unary call: the one message as the body
 * (`application/proto`), or Connect's JSON error with its HTTP status. The
 * answer is read whole first, since the status decides the HTTP status.
 */
export async function unaryResponseFromGrpc(
  header: Headers,
  messages: AsyncIterable<Uint8Array> | undefined,
  outcome: () => GrpcOutcome,
): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  if (messages !== undefined) for await (const chunk of messages) chunks.push(chunk);
  const { code, message, metadata } = outcome();
  const responseHeader = new Headers(header);
  responseHeader.delete("grpc-status");
  responseHeader.delete("grpc-message");
  responseHeader.delete("grpc-status-details-bin");
  metadata.forEach((value, name) => {
    responseHeader.append(`trailer-${name}`, value);
  });
  if (code !== 0) {
    responseHeader.set("content-type", "application/json");
    const error = Buffer.from(JSON.stringify({ code: codeToString(code as Code), message }));
    return { status: codeToHttpStatus(code as Code), header: responseHeader, body: bodyOf(error) };
  }
  const body = Buffer.concat(chunks);
  responseHeader.set("content-type", "application/proto");
  return { status: 200, header: responseHeader, body: bodyOf(body.subarray(ENVELOPE_HEADER_BYTES)) };
}

/**
 * containerd's answer to a Connect streaming call: gRPC's envelopes are
 * Connect's, so the messages pass as they are; the status follows in
 * Connect's end-of-stream envelope.
 */
export function streamResponseFromGrpc(
  header: Headers,
  messages: AsyncIterable<Uint8Array> | undefined,
  outcome: () => GrpcOutcome,
): UniversalServerResponse {
  const responseHeader = new Headers(header);
  for (const name of ["grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding"]) {
    responseHeader.delete(name);
  }
  responseHeader.set("content-type", "application/connect+proto");
  return {
    status: 200,
    header: responseHeader,
    body: (async function* () {
      if (messages !== undefined) yield* messages;
      const { code, message, metadata } = outcome();
      const trailers: Record<string, string[]> = {};
      metadata.forEach((value, name) => {
        trailers[name] = [...(trailers[name] ?? []), value];
      });
      yield connectEndStream({
        ...(code === 0 ? {} : { error: { code: codeToString(code as Code), message } }),
        metadata: trailers,
      });
    })(),
  };
}

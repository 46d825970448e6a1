import type { ClientStreamEvents, H2ClientConnection } from "../transport/h2/client.js";
import { ErrorCode } from "../transport/h2/frames.js";

/** containerd's response headers, and whether they ended the call (a trailers-only answer). */
export interface UpstreamResponse {
  /** Flat: name, value, … (`:status` included). */
  readonly fields: readonly string[];
  readonly endStream: boolean;
}

/**
 * One call to containerd read in pull style, for the gateway's translating
 * paths and its event feed: the response headers, then the body chunk by chunk
 * (each granted back to containerd as it is taken, so a slow reader holds
 * containerd back), then the trailers.
 */
export interface UpstreamCall {
  /** Rejects when the stream ended before any headers came. */
  readonly response: Promise<UpstreamResponse>;
  /** The response body; throws when containerd reset the stream or the connection was lost. */
  body(): AsyncIterable<Buffer>;
  /** The trailers, once the body has ended (flat: name, value, …). */
  readonly trailers: readonly string[] | undefined;
  /** Sends the request body at the pace containerd takes it, then ends the request. */
  send(body: AsyncIterable<Uint8Array>): Promise<void>;
  /** Abandons the call (RST_STREAM CANCEL). */
  cancel(): void;
}

/** Starts a call with request header fields `fields` (pseudo-headers first). */
export function startCall(connection: H2ClientConnection, fields: readonly string[]): UpstreamCall {
  const chunks: Buffer[] = [];
  let wake: (() => void) | undefined;
  let ended: { code: number; why: string } | undefined;
  let trailers: string[] | undefined;
  let answered: (response: UpstreamResponse) => void = () => undefined;
  let refused: (error: Error) => void = () => undefined;
  const response = new Promise<UpstreamResponse>((resolve, reject) => {
    answered = resolve;
    refused = reject;
  });
  response.catch(() => undefined);
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const events: ClientStreamEvents = {
    onHeaders: (headerFields, endStream) => answered({ fields: headerFields, endStream }),
    onData: (chunk) => {
      chunks.push(chunk);
      notify();
    },
    onTrailers: (trailerFields) => {
      trailers = trailerFields;
    },
    onClose: (code, why) => {
      ended = { code, why };
      refused(new Error(why));
      notify();
    },
  };
  const stream = connection.request(fields, events);
  return {
    response,
    get trailers() {
      return trailers;
    },
    async *body() {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) {
          stream.consumed(chunk.length);
          yield chunk;
          continue;
        }
        if (ended !== undefined) {
          if (ended.code !== ErrorCode.NO_ERROR) throw new Error(`${ended.why} (code ${ended.code})`);
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async send(body) {
      for await (const chunk of body) {
        if (stream.isClosed) return;
        const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
        // Resolves once the chunk has left, or the stream closed with it unsent.
        await new Promise<void>((resolve) => stream.write(data, resolve));
      }
      stream.end();
    },
    cancel: () => stream.cancel(),
  };
}

/** The first value of `name` among flat header fields (name, value, …), or undefined. */
export function fieldValue(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

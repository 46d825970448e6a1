/**
 * The load generator's gRPC client: requests and answers as bytes over one
 * `node:http2` session, nothing per call but the stream and its envelopes.
 *
 * With Connect's generic client every call cost this process 0.3–0.7 ms of CPU
 * (async-iterable pipelines, linked abort signals, WHATWG headers), more than
 * either server spent answering it, so the bench measured its own client: Get
 * ran at 88–90 % of the no-op ceiling on both servers. A load generator must be
 * cheaper than what it measures (as h2load and ghz are); this one costs about
 * 0.05 ms per call. It is used for berthd and containerd alike.
 */
import http2 from "node:http2";
import net from "node:net";

/** A call that ended with a non-zero `grpc-status` or a broken response. */
export class WireError extends Error {
  override readonly name = "WireError";

  constructor(
    /** The gRPC status code (2, Unknown, when the response was not gRPC). */
    readonly code: number,
    message: string,
  ) {
    super(`grpc-status ${code}: ${message}`);
  }
}

/** Receive windows, as `@berth/client` opens them: listings are 2 MB answers. */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const SESSION_WINDOW_BYTES = 32 * 1024 * 1024;
const ENVELOPE_HEADER_BYTES = 5;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;

/** gRPC over one HTTP/2 connection to a unix socket. */
export class WireClient {
  private readonly session: http2.ClientHttp2Session;

  constructor(socket: string) {
    this.session = http2.connect("http://localhost", {
      createConnection: () => net.connect(socket),
      settings: { initialWindowSize: STREAM_WINDOW_BYTES },
    });
    this.session.once("connect", () => this.session.setLocalWindowSize(SESSION_WINDOW_BYTES));
    // A server that goes away fails the calls in flight; the session itself must not crash the bench.
    this.session.on("error", () => undefined);
  }

  /** A unary call: the one response message's bytes. A call that takes longer than `timeoutMs` is cancelled. */
  async unary(path: string, namespace: string, request: Uint8Array, timeoutMs?: number): Promise<Buffer> {
    let message: Buffer | undefined;
    await this.call(path, namespace, request, timeoutMs, (bytes) => {
      if (message !== undefined) throw new WireError(UNKNOWN, "unary call answered with more than one message");
      message = bytes;
    });
    if (message === undefined) throw new WireError(UNKNOWN, "unary call answered without a message");
    return message;
  }

  /** A server-streaming call: `onMessage` sees each message's bytes; resolves on status OK. */
  stream(path: string, namespace: string, request: Uint8Array, onMessage: (bytes: Buffer) => void): Promise<void> {
    return this.call(path, namespace, request, undefined, onMessage);
  }

  /** Closes the connection. */
  close(): void {
    this.session.destroy();
  }

  private call(
    path: string,
    namespace: string,
    request: Uint8Array,
    timeoutMs: number | undefined,
    onMessage: (bytes: Buffer) => void,
  ) {
    return new Promise<void>((resolve, reject) => {
      const headers: http2.OutgoingHttpHeaders = {
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
      };
      if (namespace !== "") headers["containerd-namespace"] = namespace;
      const stream = this.session.request(headers);
      let status: string | undefined;
      let statusMessage = "";
      let failure: unknown;
      if (timeoutMs !== undefined) {
        stream.setTimeout(timeoutMs, () => {
          failure ??= new WireError(DEADLINE_EXCEEDED, `no answer within ${timeoutMs} ms`);
          stream.close(http2.constants.NGHTTP2_CANCEL);
        });
      }
      const envelopes = new EnvelopeReader(onMessage);
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        if (headers["grpc-status"] === undefined) return;
        status = String(headers["grpc-status"]);
        statusMessage = decodeURIComponent(String(headers["grpc-message"] ?? ""));
      };
      stream.on("response", (headers) => {
        if (headers[":status"] !== 200) failure ??= new WireError(UNKNOWN, `HTTP status ${headers[":status"]}`);
        readStatus(headers);
      });
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => {
        if (failure !== undefined) return;
        try {
          envelopes.push(chunk);
        } catch (error) {
          failure = error;
        }
      });
      stream.on("error", (error) => {
        failure ??= error;
      });
      stream.on("close", () => {
        if (failure === undefined && status === undefined) failure = new WireError(UNKNOWN, "no grpc-status");
        if (failure === undefined && status !== "0") failure = new WireError(Number(status), statusMessage);
        if (failure === undefined && !envelopes.complete) failure = new WireError(UNKNOWN, "truncated message");
        if (failure === undefined) resolve();
        else reject(failure);
      });
      stream.end(envelope(request));
    });
  }
}

/** One message in its gRPC envelope. */
function envelope(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, ENVELOPE_HEADER_BYTES);
  return framed;
}

/** Cuts a response body into its messages, whatever the DATA frames' boundaries. */
export class EnvelopeReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly onMessage: (bytes: Buffer) => void) {}

  /** Whether every byte so far belongs to a complete message. */
  get complete(): boolean {
    return this.buffered === 0;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= ENVELOPE_HEADER_BYTES) {
      const head = this.peek(ENVELOPE_HEADER_BYTES);
      if ((head[0] ?? 0) !== 0) throw new WireError(UNKNOWN, "compressed message");
      const length = head.readUInt32BE(1);
      if (this.buffered < ENVELOPE_HEADER_BYTES + length) return;
      const framed = this.take(ENVELOPE_HEADER_BYTES + length);
      this.onMessage(framed.subarray(ENVELOPE_HEADER_BYTES));
    }
  }

  /** The first `bytes` buffered bytes, joined only when they span chunks. */
  private peek(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= bytes) return first;
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private take(bytes: number): Buffer {
    const first = this.peek(bytes);
    if (first.length > bytes) this.chunks[0] = first.subarray(bytes);
    else this.chunks.shift();
    this.buffered -= bytes;
    return first.subarray(0, bytes);
  }
}

/**
 * How many times field 1 (length-delimited) occurs at the top level of an
 * encoded message: the containers of a `ListContainersResponse`, counted
 * without decoding them.
 */
export function countRepeatedField1(message: Uint8Array): number {
  let count = 0;
  let offset = 0;
  while (offset < message.length) {
    const [tag, afterTag] = readVarint(message, offset);
    const [length, afterLength] = readVarint(message, afterTag);
    if ((tag & 7) !== 2) throw new WireError(UNKNOWN, `unexpected wire type ${tag & 7} in a listing`);
    if (tag >>> 3 === 1) count += 1;
    offset = afterLength + length;
  }
  if (offset !== message.length) throw new WireError(UNKNOWN, "truncated listing");
  return count;
}

/** The first length-delimited field 1 of a message (a `GetContainerResponse`'s container, a container's id). */
export function field1(message: Uint8Array): Uint8Array | undefined {
  if (message.length === 0 || message[0] !== 0x0a) return undefined;
  const [length, start] = readVarint(message, 1);
  return start + length <= message.length ? message.subarray(start, start + length) : undefined;
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let offset = at;
  for (;;) {
    if (offset >= bytes.length || shift > 28) throw new WireError(UNKNOWN, "malformed varint");
    const byte = bytes[offset++] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, offset];
    shift += 7;
  }
}

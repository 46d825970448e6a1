import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  isMessage,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type ServiceImplSpec,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import {
  contentTypeProto,
  grpcStatusOk,
  headerEncoding,
  headerTimeout,
  parseContentType,
  parseTimeout,
} from "@connectrpc/connect/protocol-grpc";
import { encodingOf } from "../services/encoded-fields.js";
import { type CallIo, type RequestSource, requestHeaders } from "./call-io.js";
import { grpcStatusFields } from "./grpc-message.js";
import { TurnPacer } from "./turn-pacer.js";

/** Options of {@link createGrpcFastPath}. */
export interface GrpcFastPathOptions {
  readonly implementations: readonly ServiceImplSpec[];
  /** The same interceptors as the Connect adapter's, outermost first. */
  readonly interceptors: readonly Interceptor[];
  readonly contextValues: (request: RequestSource) => ContextValues;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/** A method this path serves: one request message, one or many response messages. */
type FastRoute = Extract<MethodImplSpec, { kind: "unary" | "server_streaming" }>;
type AnyCall = (request: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b1;
/** Node timers cannot wait longer; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Stream messages are gathered into writes of about this size (or whatever one turn of the event loop produced). */
const WRITE_BATCH_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);
/** Calls started per event-loop turn (see {@link TurnPacer}); 4 served Get at 16 and 64 fastest side by side. */
const CALLS_PER_TURN = 4;

/**
 * Serves plain gRPC calls with one request message (unary and server-streaming)
 * straight off the HTTP/2 request: one envelope in, envelopes and a trailer out.
 * These are the calls containerd's own clients make (`ctr`, the Go client), and
 * the ones Connect's generic handler pipeline makes most expensive (async
 * iterables and several promises per message). Every other call — client and
 * bidi streams, gRPC-Web, Connect, JSON, compressed messages, HTTP/1.1 — goes on
 * to Connect's handlers (see `rpc-handler.ts`).
 *
 * Both paths run the same implementations under the same interceptors, and this
 * one mirrors the adapter's statuses and messages for malformed envelopes,
 * limits and deadlines, so a client cannot tell them apart.
 */
export interface GrpcFastPath {
  /** Serves the call if it is one for this path (and starts it); false leaves it to another handler. */
  serve(io: CallIo, method: string): boolean;
}

/** Builds the fast path (see {@link GrpcFastPath}) over the implementations; one per server, shared by its listeners. */
export function createGrpcFastPath(options: GrpcFastPathOptions): GrpcFastPath {
  const routes = new Map<string, FastRoute>();
  for (const { methods } of options.implementations) {
    for (const spec of Object.values(methods)) {
      if (spec.kind === "unary" || spec.kind === "server_streaming") {
        routes.set(`/${spec.method.parent.typeName}/${spec.method.name}`, spec);
      }
    }
  }
  const pacer = new TurnPacer(CALLS_PER_TURN);
  return {
    serve(io, method) {
      const route = method === "POST" ? routes.get(io.path) : undefined;
      if (route === undefined || !isBinaryUncompressedGrpc(io.headers)) return false;
      new GrpcCall(route, options, pacer, io).start();
      return true;
    },
  };
}

function isBinaryUncompressedGrpc(headers: Record<string, string | string[] | undefined>): boolean {
  const encoding = headers[headerEncoding.toLowerCase()];
  return (
    parseContentType(headers["content-type"]?.toString() ?? null)?.binary === true &&
    (encoding === undefined || encoding === "identity")
  );
}

/** One call: reads the request envelope, runs the interceptors and the method, answers once. */
class GrpcCall {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** The message length the envelope header declares, once its 5 bytes are in. */
  private declared: number | undefined;
  /** Set once the trailer is written (or the client is gone): nothing more goes out. */
  private answered = false;
  /** Set once the call runs: when its envelope is complete, or at the end of the request. */
  private dispatched = false;
  /** Created when the call's signal is first read: most calls never read it. */
  private abort: AbortController | undefined;
  private abortReason: ConnectError | undefined;
  private headers: Headers | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** When the client's `grpc-timeout` runs out (epoch ms); undefined without one. */
  private deadlineAt: number | undefined;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly route: FastRoute,
    private readonly options: GrpcFastPathOptions,
    private readonly pacer: TurnPacer,
    private readonly io: CallIo,
  ) {}

  start(): void {
    const timeout = this.io.headers[headerTimeout.toLowerCase()];
    if (timeout !== undefined && !this.startDeadline(timeout.toString())) return;
    // A client that resets the stream cancels the call; nothing is written after that.
    this.io.onClose(() => {
      if (!this.answered) this.settle(new ConnectError("operation canceled", Code.Canceled));
    });
    this.io.onData((chunk: Buffer) => this.onData(chunk));
    this.io.onEnd(() => this.dispatch());
    this.io.onLimit((reason) => this.cutOff(reason));
  }

  /**
   * The transport stopped the call for one of its limits (a client that does not
   * read, or does not send): it ends with ResourceExhausted, even when an answer
   * was already on its way, since part of it was dropped.
   */
  private cutOff(reason: string): void {
    const status = new ConnectError(`berthd cut the call off: ${reason}`, Code.ResourceExhausted);
    this.settle(status);
    this.pending.length = 0;
    this.io.abortWith({ "content-type": contentTypeProto }, grpcStatusFields(status));
  }

  /**
   * Runs the call once, when its one envelope is complete or the client ends the
   * request, whichever comes first. Clients send END_STREAM in a frame of its own
   * after the message (connect-node and grpc-go do), so waiting for it would cost
   * every call another read; grpc-go, and so containerd, does not wait either.
   */
  private dispatch(): void {
    if (this.dispatched || this.answered) return;
    this.dispatched = true;
    this.pacer.run(() => {
      // A call that waited for its turn may have been cancelled or timed out meanwhile.
      if (!this.answered) this.run().catch((error: unknown) => this.fail(error));
    });
  }

  /**
   * Arms the `grpc-timeout` deadline, which aborts the handler's signal and
   * answers DeadlineExceeded; false when the call has already been answered.
   */
  private startDeadline(timeout: string): boolean {
    const { timeoutMs, error } = parseTimeout(timeout, Number.MAX_SAFE_INTEGER);
    if (error !== undefined || timeoutMs === undefined) {
      this.fail(error);
      return false;
    }
    if (timeoutMs === 0) {
      this.fail(deadlineExceeded());
      return false;
    }
    if (timeoutMs <= MAX_TIMER_MS) {
      this.deadlineAt = Date.now() + timeoutMs;
      this.deadline = setTimeout(() => this.fail(deadlineExceeded()), timeoutMs);
    }
    return true;
  }

  /** Time left before the client's deadline, as Connect's `HandlerContext.timeoutMs` gives it. */
  remainingMs(): number | undefined {
    return this.deadlineAt === undefined ? undefined : this.deadlineAt - Date.now();
  }

  private onData(chunk: Buffer): void {
    // Input after the one message is ignored, as grpc-go ignores it; in the same
    // frame as the message it is caught by `parse`.
    if (this.answered || this.dispatched) return;
    this.received += chunk.length;
    this.chunks.push(chunk);
    if (this.declared === undefined && this.received >= ENVELOPE_HEADER_BYTES) {
      // Read once, even when the header came in pieces.
      const first = this.chunks[0] as Buffer;
      const header = first.length >= ENVELOPE_HEADER_BYTES ? first : Buffer.concat(this.chunks, this.received);
      this.declared = header.readUInt32BE(1);
      if (this.declared > this.options.readMaxBytes) {
        this.fail(tooLarge(this.declared, this.options.readMaxBytes));
        return;
      }
    }
    if (this.received > this.options.readMaxBytes + ENVELOPE_HEADER_BYTES) {
      this.fail(tooLarge(this.received - ENVELOPE_HEADER_BYTES, this.options.readMaxBytes));
      return;
    }
    if (this.declared !== undefined && this.received >= ENVELOPE_HEADER_BYTES + this.declared) this.dispatch();
  }

  private async run(): Promise<void> {
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.received);
    const message = this.parse(body);
    const chain = this.options.interceptors.reduceRight<AnyCall>(
      (next, interceptor) => interceptor(next) as AnyCall,
      (request) => this.invoke(request),
    );
    const contextValues = this.options.contextValues(this.io.source);
    const url = `http://${this.io.authority || "localhost"}${this.io.path}`;
    if (this.route.kind === "unary") {
      const request = new FastRequest(this, false, this.route.method, message, url, contextValues);
      const result = await chain(request as UnaryRequest);
      this.answerUnary(this.serialize(result.message as MessageShape<DescMessage>), result as UnaryResponse);
    } else {
      const request = new FastRequest(this, true, this.route.method, single(message), url, contextValues);
      await this.answerStream((await chain(request as StreamRequest)) as StreamResponse);
    }
  }

  /** The innermost step of the interceptor chain: the implementation itself. */
  private async invoke(request: UnaryRequest | StreamRequest): Promise<UnaryResponse | StreamResponse> {
    const route = this.route;
    const context = new FastHandlerContext(this, request);
    const output = route.method.output;
    if (route.kind === "unary") {
      const result = await route.impl(request.message as MessageShape<DescMessage>, context);
      return new FastResponse(context, false, route.method, normalize(output, result)) as UnaryResponse;
    }
    let input: MessageShape<DescMessage> | undefined;
    for await (const message of request.message as AsyncIterable<MessageShape<DescMessage>>) input = message;
    if (input === undefined) throw new ConnectError("protocol error: missing input message", Code.Unimplemented);
    const results = route.impl(input, context);
    return new FastResponse(context, true, route.method, normalizeAll(output, results)) as StreamResponse;
  }

  /** The call's abort signal, created on first read: most calls never read it. */
  get signal(): AbortSignal {
    if (this.abort === undefined) {
      this.abort = new AbortController();
      if (this.abortReason !== undefined) this.abort.abort(this.abortReason);
    }
    return this.abort.signal;
  }

  /** The request's headers, built on first read. */
  get requestHeader(): Headers {
    this.headers ??= requestHeaders(this.io.source.rawHeaders);
    return this.headers;
  }

  /** Unwraps the one envelope of the request and decodes its message. */
  private parse(body: Buffer): MessageShape<DescMessage> {
    const kind = this.route.kind === "unary" ? "unary" : "server-streaming";
    if (body.length === 0) {
      throw new ConnectError(`protocol error: missing input message for ${kind} method`, Code.Unimplemented);
    }
    const flags = body[0] ?? 0;
    const length = body.length < ENVELOPE_HEADER_BYTES ? Number.POSITIVE_INFINITY : body.readUInt32BE(1);
    if (flags & COMPRESSED_FLAG) {
      throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
    }
    if (body.length < ENVELOPE_HEADER_BYTES + length) {
      throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
    }
    if (body.length > ENVELOPE_HEADER_BYTES + length) {
      throw new ConnectError(`protocol error: received extra input message for ${kind} method`, Code.Unimplemented);
    }
    try {
      return fromBinary(this.route.method.input, body.subarray(ENVELOPE_HEADER_BYTES));
    } catch (error) {
      throw new ConnectError(`parse binary: ${messageOf(error)}`, Code.Internal);
    }
  }

  /**
   * The message in its envelope: one buffer, or the envelope header and the
   * message's data when copying the data would cost. Messages of stored bytes
   * ({@link encodingOf}) are not encoded again.
   */
  private serialize(message: MessageShape<DescMessage>): Buffer[] {
    const [head, data] = encodingOf(this.route.method.output, message) ?? [EMPTY, this.encode(message)];
    const length = head.length + data.length;
    if (length > this.options.writeMaxBytes) {
      throw new ConnectError(
        `message size ${length} is larger than configured writeMaxBytes ${this.options.writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    const large = data.length >= WRITE_BATCH_BYTES;
    const envelope = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + head.length + (large ? 0 : data.length));
    envelope[0] = 0;
    envelope.writeUInt32BE(length, 1);
    envelope.set(head, ENVELOPE_HEADER_BYTES);
    if (large) return [envelope, Buffer.from(data.buffer, data.byteOffset, data.length)];
    envelope.set(data, ENVELOPE_HEADER_BYTES + head.length);
    return [envelope];
  }

  private encode(message: MessageShape<DescMessage>): Uint8Array {
    try {
      return toBinary(this.route.method.output, message);
    } catch (error) {
      throw new ConnectError(`serialize binary: ${messageOf(error)}`, Code.Internal);
    }
  }

  private answerUnary(envelope: readonly Buffer[], result: UnaryResponse): void {
    if (this.answered || this.io.destroyed) return;
    this.settle();
    this.io.respond(responseHeaders(headersOf(result, "header")));
    this.io.end({ ...headerRecord(headersOf(result, "trailer")), "grpc-status": grpcStatusOk }, envelope);
  }

  /**
   * Sends each message as it comes, gathered into larger writes, and waits for
   * the client whenever HTTP/2 flow control says so. Headers go out with the
   * first message, as the adapter sends them.
   */
  private async answerStream(result: StreamResponse): Promise<void> {
    const messages = result.message[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done === true || this.answered) break;
        for (const part of this.serialize(next.value as MessageShape<DescMessage>)) this.queue(part, result);
        if (this.io.writableNeedDrain) await this.io.drained();
      }
    } catch (error) {
      this.fail(error);
      return;
    } finally {
      if (this.answered) await messages.return?.();
    }
    if (this.answered || this.io.destroyed) return;
    this.flush(result);
    this.settle();
    if (!this.io.headersSent) this.io.respond(responseHeaders(headersOf(result, "header")));
    this.io.end({ ...headerRecord(headersOf(result, "trailer")), "grpc-status": grpcStatusOk });
  }

  private queue(envelope: Buffer, result: StreamResponse): void {
    this.pending.push(envelope);
    this.pendingBytes += envelope.length;
    if (this.pendingBytes >= WRITE_BATCH_BYTES) {
      this.flush(result);
    } else if (!this.flushScheduled) {
      // Messages produced in one turn of the event loop leave in one write.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.answered) this.flush(result);
      });
    }
  }

  private flush(result: StreamResponse): void {
    if (this.pending.length === 0 || this.io.destroyed) return;
    if (!this.io.headersSent) this.io.respond(responseHeaders(headersOf(result, "header")));
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.io.write(data);
  }

  /**
   * Answers with the error's status in the trailer (after whatever a stream has
   * sent). Errors that are not ConnectErrors were not raised on purpose and are
   * reported as the adapter reports them, without their message.
   */
  private fail(error: unknown): void {
    if (this.answered || this.io.destroyed) return;
    const status = error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal);
    this.settle(status);
    this.pending.length = 0;
    if (!this.io.headersSent) this.io.respond({ "content-type": contentTypeProto });
    this.io.end(grpcStatusFields(status));
  }

  /** Marks the call answered, stops its deadline and, if it ended abnormally, aborts its signal. */
  private settle(reason?: ConnectError): void {
    this.answered = true;
    this.chunks.length = 0;
    clearTimeout(this.deadline);
    if (reason === undefined) return;
    this.abortReason ??= reason;
    if (this.abort !== undefined && !this.abort.signal.aborted) this.abort.abort(reason);
  }
}

/** What a fast-path call builds only when asked. */
interface LazyCallParts {
  readonly signal: AbortSignal;
  readonly requestHeader: Headers;
  remainingMs(): number | undefined;
}

/**
 * The request as interceptors see it. Headers and the abort signal are getters
 * on the prototype, built on first read; an interceptor that passes on a spread
 * copy loses them, so {@link FastHandlerContext} falls back to the call's own.
 */
class FastRequest {
  readonly service: DescService;
  readonly requestMethod = "POST";

  constructor(
    private readonly parts: LazyCallParts,
    readonly stream: boolean,
    readonly method: DescMethod,
    readonly message: unknown,
    readonly url: string,
    readonly contextValues: ContextValues,
  ) {
    this.service = method.parent;
  }

  get signal(): AbortSignal {
    return this.parts.signal;
  }

  get header(): Headers {
    return this.parts.requestHeader;
  }
}

/** The handler context of a fast-path call, with the same lazy parts as its request. */
class FastHandlerContext implements HandlerContext {
  readonly method: DescMethod;
  readonly service: DescService;
  readonly requestMethod: string;
  readonly protocolName = "grpc";
  readonly values: ContextValues;
  readonly url: string;
  private header: Headers | undefined;
  private trailer: Headers | undefined;

  constructor(
    private readonly parts: LazyCallParts,
    private readonly request: UnaryRequest | StreamRequest,
  ) {
    this.method = request.method;
    this.service = request.service;
    this.requestMethod = request.requestMethod;
    this.values = request.contextValues;
    this.url = request.url;
  }

  get signal(): AbortSignal {
    return (this.request.signal as AbortSignal | undefined) ?? this.parts.signal;
  }

  get requestHeader(): Headers {
    return (this.request.header as Headers | undefined) ?? this.parts.requestHeader;
  }

  get responseHeader(): Headers {
    this.header ??= new Headers();
    return this.header;
  }

  get responseTrailer(): Headers {
    this.trailer ??= new Headers();
    return this.trailer;
  }

  /** The response headers or trailers set so far, without creating them. */
  setSoFar(which: "header" | "trailer"): Headers | undefined {
    return which === "header" ? this.header : this.trailer;
  }

  timeoutMs(): number | undefined {
    return this.parts.remainingMs();
  }
}

/** The response the implementation gave, headers and trailers kept in its context until read. */
class FastResponse {
  readonly service: DescService;

  constructor(
    readonly context: FastHandlerContext,
    readonly stream: boolean,
    readonly method: DescMethod,
    readonly message: unknown,
  ) {
    this.service = method.parent;
  }

  get header(): Headers {
    return this.context.responseHeader;
  }

  get trailer(): Headers {
    return this.context.responseTrailer;
  }
}

/**
 * A response's headers or trailers; none when a fast-path response never had any
 * set. Interceptors that wrap a stream pass on a spread copy, which keeps the
 * context (an own property) but not the getters.
 */
function headersOf(response: UnaryResponse | StreamResponse, which: "header" | "trailer"): Headers | undefined {
  const context = (response as Partial<FastResponse>).context;
  return context instanceof FastHandlerContext ? context.setSoFar(which) : response[which];
}

async function* single<T>(message: T): AsyncIterable<T> {
  yield message;
}

function normalize<Desc extends DescMessage>(schema: Desc, value: unknown): MessageShape<Desc> {
  return isMessage(value, schema) ? value : create(schema, value as MessageShape<Desc>);
}

/** Output messages made into full messages; a plain iterator, not a generator, to add no promise per message. */
function normalizeAll<Desc extends DescMessage>(
  schema: Desc,
  values: AsyncIterable<unknown>,
): AsyncIterable<MessageShape<Desc>> {
  return {
    [Symbol.asyncIterator]() {
      const it = values[Symbol.asyncIterator]();
      return {
        next: async () => {
          const next = await it.next();
          return next.done === true ? next : { done: false, value: normalize(schema, next.value) };
        },
        return: async (value?: unknown) => {
          await it.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function deadlineExceeded(): ConnectError {
  return new ConnectError("the operation timed out", Code.DeadlineExceeded);
}

function tooLarge(size: number, limit: number): ConnectError {
  return new ConnectError(
    `message size ${size} is larger than configured readMaxBytes ${limit}`,
    Code.ResourceExhausted,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function responseHeaders(header: Headers | undefined): Record<string, string> {
  return { ...headerRecord(header), "content-type": contentTypeProto };
}

function headerRecord(headers: Headers | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  headers?.forEach((value, key) => {
    record[key] = value;
  });
  return record;
}

import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create, type DescMessage, fromBinary, isMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type ServiceImplSpec,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { RequestHandler } from "./listeners.js";

/** Options of {@link withGrpcUnaryFastPath}. */
export interface GrpcUnaryOptions {
  readonly implementations: readonly ServiceImplSpec[];
  /** The same interceptors as the Connect adapter's, outermost first. */
  readonly interceptors: readonly Interceptor[];
  readonly contextValues: (request: Http2ServerRequest) => ContextValues;
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
}

/** A unary method ready to serve: its descriptor and implementation. */
type UnaryRoute = Extract<MethodImplSpec, { kind: "unary" }>;

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b1;
/** Node timers cannot wait longer; a longer deadline is as good as none. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const RESPONSE_CONTENT_TYPE = "application/grpc+proto";

/**
 * Serves gRPC unary calls in binary protobuf straight off the HTTP/2 request:
 * one envelope in, one envelope and a trailer out. This is the call containerd's
 * own clients make (`ctr`, the Go client) and the one Connect's generic
 * handler pipeline makes most expensive (async iterables, several promises per
 * message). Every other call — streams, gRPC-Web, Connect, JSON, compressed
 * messages, HTTP/1.1 — goes to `fallback`, the Connect adapter.
 *
 * Both paths run the same implementations under the same interceptors, and this
 * one mirrors the adapter's statuses and messages for malformed envelopes,
 * limits and deadlines, so a client cannot tell them apart.
 */
export function withGrpcUnaryFastPath(options: GrpcUnaryOptions, fallback: RequestHandler): RequestHandler {
  const routes = new Map<string, UnaryRoute>();
  for (const { methods } of options.implementations) {
    for (const spec of Object.values(methods)) {
      if (spec.kind === "unary") routes.set(`/${spec.method.parent.typeName}/${spec.method.name}`, spec);
    }
  }
  return (request, response) => {
    const route =
      request.httpVersionMajor === 2 && request.method === "POST" ? routes.get(request.url ?? "") : undefined;
    if (route === undefined || !isBinaryUncompressedGrpc(request.headers)) {
      fallback(request, response);
      return;
    }
    new UnaryCall(route, options, request as Http2ServerRequest, response as Http2ServerResponse).start();
  };
}

function isBinaryUncompressedGrpc(headers: Record<string, string | string[] | undefined>): boolean {
  const type = headers["content-type"]?.toString().toLowerCase();
  const encoding = headers["grpc-encoding"];
  return (
    (type === "application/grpc" || type === "application/grpc+proto") &&
    (encoding === undefined || encoding === "identity")
  );
}

/** One call: reads the request envelope, runs the interceptors and the method, answers once. */
class UnaryCall {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private answered = false;
  private readonly abort = new AbortController();
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly route: UnaryRoute,
    private readonly options: GrpcUnaryOptions,
    private readonly request: Http2ServerRequest,
    private readonly response: Http2ServerResponse,
  ) {}

  start(): void {
    const timeout = this.request.headers["grpc-timeout"];
    if (timeout !== undefined) {
      const timeoutMs = parseTimeout(timeout.toString());
      if (timeoutMs === undefined) {
        this.fail(new ConnectError(`protocol error: invalid grpc timeout value: ${timeout}`, Code.InvalidArgument));
        return;
      }
      if (timeoutMs === 0) {
        this.fail(deadlineExceeded());
        return;
      }
      if (timeoutMs <= MAX_TIMER_MS) {
        this.deadline = setTimeout(() => this.fail(deadlineExceeded()), timeoutMs);
      }
    }
    // A client that resets the stream cancels the call; nothing is written after that.
    this.response.once("close", () => {
      if (!this.answered) this.settle(new ConnectError("operation canceled", Code.Canceled));
    });
    this.request.on("data", (chunk: Buffer) => this.onData(chunk));
    this.request.once("end", () => {
      if (!this.answered) this.run().catch((error: unknown) => this.fail(error));
    });
  }

  private onData(chunk: Buffer): void {
    if (this.answered) return;
    if (this.received === 0 && chunk.length >= ENVELOPE_HEADER_BYTES) {
      const declared = chunk.readUInt32BE(1);
      if (declared > this.options.readMaxBytes) {
        this.fail(tooLarge(declared, this.options.readMaxBytes));
        return;
      }
    }
    this.received += chunk.length;
    if (this.received > this.options.readMaxBytes + ENVELOPE_HEADER_BYTES) {
      this.fail(tooLarge(this.received - ENVELOPE_HEADER_BYTES, this.options.readMaxBytes));
      return;
    }
    this.chunks.push(chunk);
  }

  private async run(): Promise<void> {
    const { method } = this.route;
    const message = this.parse(Buffer.concat(this.chunks, this.received));
    const header = requestHeaders(this.request.rawHeaders);
    const context: HandlerContext = {
      method,
      service: method.parent,
      signal: this.abort.signal,
      timeoutMs: () => undefined,
      requestMethod: "POST",
      requestHeader: header,
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      protocolName: "grpc",
      values: this.options.contextValues(this.request),
      url: `http://${this.request.authority || "localhost"}${this.request.url}`,
    };
    const invoke = async (call: UnaryRequest): Promise<UnaryResponse> => {
      const output = await this.route.impl(call.message, {
        ...context,
        requestHeader: call.header,
        signal: call.signal,
        values: call.contextValues,
      });
      return {
        stream: false,
        service: method.parent,
        method,
        header: context.responseHeader,
        trailer: context.responseTrailer,
        message: isMessage(output, method.output) ? output : create(method.output, output),
      };
    };
    // Interceptors are written for both kinds of call; this path only makes unary ones.
    const chain = this.options.interceptors.reduceRight(
      (next, interceptor) => interceptor(next as Parameters<Interceptor>[0]) as typeof invoke,
      invoke,
    );
    const result = await chain({
      stream: false,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: context.url,
      signal: context.signal,
      header,
      contextValues: context.values,
      message,
    });
    this.answer(this.serialize(result.message as MessageShape<DescMessage>), result.header, result.trailer);
  }

  /** Unwraps the one envelope of a unary request and decodes its message. */
  private parse(body: Buffer): MessageShape<DescMessage> {
    const { method } = this.route;
    if (body.length === 0) {
      throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
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
      throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
    }
    try {
      return fromBinary(method.input, body.subarray(ENVELOPE_HEADER_BYTES));
    } catch (error) {
      throw new ConnectError(`parse binary: ${error instanceof Error ? error.message : String(error)}`, Code.Internal);
    }
  }

  private serialize(message: MessageShape<DescMessage>): Buffer {
    let bytes: Uint8Array;
    try {
      bytes = toBinary(this.route.method.output, message);
    } catch (error) {
      throw new ConnectError(
        `serialize binary: ${error instanceof Error ? error.message : String(error)}`,
        Code.Internal,
      );
    }
    if (bytes.length > this.options.writeMaxBytes) {
      throw new ConnectError(
        `message size ${bytes.length} is larger than configured writeMaxBytes ${this.options.writeMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    const envelope = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + bytes.length);
    envelope[0] = 0;
    envelope.writeUInt32BE(bytes.length, 1);
    envelope.set(bytes, ENVELOPE_HEADER_BYTES);
    return envelope;
  }

  private answer(envelope: Buffer, header: Headers, trailer: Headers): void {
    if (this.answered || this.response.stream.destroyed) return;
    this.settle();
    const headers: Record<string, string> = { "content-type": RESPONSE_CONTENT_TYPE };
    header.forEach((value, key) => {
      if (key !== "content-type") headers[key] = value;
    });
    const trailers: Record<string, string> = {};
    trailer.forEach((value, key) => {
      trailers[key] = value;
    });
    trailers["grpc-status"] = "0";
    this.response.writeHead(200, headers);
    this.response.addTrailers(trailers);
    this.response.end(envelope);
  }

  /**
   * Answers with the error's status in the trailer. Errors that are not
   * ConnectErrors were not raised on purpose and are reported as connect's
   * adapter reports them, without their message.
   */
  private fail(error: unknown): void {
    if (this.answered || this.response.stream.destroyed) return;
    const status = error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal);
    this.settle(status);
    const trailers: Record<string, string> = {};
    status.metadata.forEach((value, key) => {
      trailers[key] = value;
    });
    trailers["grpc-status"] = String(status.code);
    trailers["grpc-message"] = encodeURIComponent(status.rawMessage);
    this.response.writeHead(200, { "content-type": RESPONSE_CONTENT_TYPE });
    this.response.addTrailers(trailers);
    this.response.end();
  }

  /** Marks the call answered, stops its deadline and, if it ended abnormally, aborts its signal. */
  private settle(reason?: ConnectError): void {
    this.answered = true;
    this.chunks.length = 0;
    clearTimeout(this.deadline);
    if (reason !== undefined && !this.abort.signal.aborted) this.abort.abort(reason);
  }
}

/** A `grpc-timeout` value in milliseconds, or undefined when malformed. */
function parseTimeout(value: string): number | undefined {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  return Number(match[1]) * (TIMEOUT_UNIT_MS[match[2] ?? ""] ?? 0);
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

/** The request's headers without HTTP/2 pseudo-headers, repeated names kept in order. */
function requestHeaders(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? "";
    if (!name.startsWith(":")) headers.append(name, rawHeaders[i + 1] ?? "");
  }
  return headers;
}

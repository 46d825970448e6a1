import { Code } from "@connectrpc/connect";
import type { CallIo } from "../rpc/call-io.js";
import { encodeGrpcMessage } from "../rpc/grpc-message.js";
import type { H2ClientStream } from "../transport/h2/client.js";
import { ErrorCode } from "../transport/h2/frames.js";
import type { ForwardedCall } from "./metrics.js";
import type { Upstream } from "./upstream.js";
import { fieldValue } from "./upstream-call.js";

/** Request headers that belong to one HTTP hop, and Berth's own credential: not forwarded. */
export const NOT_FORWARDED: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "http2-settings",
  "authorization",
]);

/** The health service's Check, which berthd answers itself while containerd is unreachable. */
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
/** A `grpc.health.v1.HealthCheckResponse` with status NOT_SERVING (field 1 = 2), enveloped. */
const NOT_SERVING = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x02]);

/**
 * Relays one gRPC call that arrived on berthd's HTTP/2 transport to containerd
 * on berthd's HTTP/2 client, frame payloads as they are, with no decoding and
 * no Connect machinery in between: request headers (less hop-by-hop ones and
 * Berth's credential), the request body at the pace containerd takes it (the
 * client's window is granted as each chunk leaves for containerd), the answer
 * at the pace the client reads it (containerd's window is granted as the
 * client's stream takes each chunk), and its trailers — or a trailers-only
 * answer as one HEADERS frame. A reset on either side cancels the other.
 * Resolves with the gRPC status code the call ended with.
 */
export async function relayGrpc(io: CallIo, upstream: Upstream, call: ForwardedCall | undefined): Promise<number> {
  io.relayRequest();
  // The request's frames may arrive while containerd is being dialled: they wait here until its stream exists.
  let stream: H2ClientStream | undefined;
  let early: Buffer[] | undefined = [];
  let requestEnded = false;
  /** Set once the client's answer is complete: nothing more to relay either way. */
  let finished = false;
  const forward = (chunk: Buffer) => stream?.write(chunk, () => io.consumed(chunk.length));
  io.onData((chunk) => {
    call?.received(chunk.length);
    if (early !== undefined) early.push(chunk);
    else forward(chunk);
  });
  io.onEnd(() => {
    requestEnded = true;
    stream?.end();
  });
  io.onClose(() => {
    if (!finished && stream !== undefined && !stream.isClosed) stream.cancel();
  });
  let connection = upstream.connected();
  if (connection === undefined) {
    try {
      connection = await upstream.session();
    } catch (error) {
      if (io.path === HEALTH_CHECK) {
        io.respond({ "content-type": "application/grpc" });
        io.end({ "grpc-status": "0" }, [NOT_SERVING]);
        return 0;
      }
      return failWith(io, Code.Unavailable, (error as Error).message);
    }
  }
  if (io.destroyed) return Code.Canceled;
  const target = connection;
  return new Promise<number>((resolve) => {
    let trailers: string[] | undefined;
    let paused: Buffer[] | undefined;
    const opened = target.request(forwardedHeaders(io), {
      onHeaders(fields, endStream) {
        const own = withoutPseudo(fields);
        if (endStream) {
          finished = true;
          io.respondOnly(own);
          resolve(grpcStatusOf(own));
        } else {
          io.respondFields(own);
        }
      },
      onData(chunk) {
        call?.sent(chunk.length);
        io.write(chunk);
        if (!io.writableNeedDrain) {
          opened.consumed(chunk.length);
          return;
        }
        // The client reads slower than containerd sends: containerd gets its window back as the client catches up.
        if (paused === undefined) {
          paused = [chunk];
          void io.drained().then(() => {
            for (const held of paused ?? []) opened.consumed(held.length);
            paused = undefined;
          });
        } else {
          paused.push(chunk);
        }
      },
      onTrailers(fields) {
        trailers = withoutPseudo(fields);
      },
      onClose(code, why) {
        if (finished) return;
        finished = true;
        if (io.destroyed) {
          resolve(Code.Canceled);
          return;
        }
        if (code === ErrorCode.NO_ERROR && trailers !== undefined) {
          io.endFields(trailers);
          resolve(grpcStatusOf(trailers));
          return;
        }
        const message = io.headersSent
          ? `containerd (${upstream.socketPath}) ended the stream (${why}, code ${code})`
          : `containerd (${upstream.socketPath}) closed the stream before answering (${why})`;
        resolve(failWith(io, Code.Unavailable, message));
      },
    });
    stream = opened;
    for (const chunk of early ?? []) forward(chunk);
    early = undefined;
    if (requestEnded) opened.end();
  });
}

/** Ends the call with `code`: in trailers after what was sent, else as a trailers-only answer. */
function failWith(io: CallIo, code: Code, message: string): number {
  const status = ["grpc-status", String(code), "grpc-message", encodeGrpcMessage(message)];
  if (io.headersSent) io.endFields(status);
  else io.respondOnly(["content-type", "application/grpc", ...status]);
  return code;
}

function forwardedHeaders(io: CallIo): string[] {
  const fields = [":method", "POST", ":scheme", "http", ":path", io.path, ":authority", io.authority || "localhost"];
  const raw = io.source.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name.charCodeAt(0) === 58 /* ":" */ || NOT_FORWARDED.has(name)) continue;
    fields.push(name, raw[i + 1] as string);
  }
  return fields;
}

/** A header block's regular fields (flat), pseudo-headers left out. */
export function withoutPseudo(fields: readonly string[]): string[] {
  const own: string[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    if (name.charCodeAt(0) !== 58) own.push(name, fields[i + 1] as string);
  }
  return own;
}

/** The `grpc-status` among flat fields, Unknown when there is none. */
function grpcStatusOf(fields: readonly string[]): number {
  return Number(fieldValue(fields, "grpc-status") ?? Code.Unknown);
}

import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** Where and how a raw request travels: HTTP/2 on the unix socket, or HTTP/1.1 on TCP. */
export type RawTransport =
  | { readonly kind: "h2"; readonly socket: string }
  | { readonly kind: "h1"; readonly url: string };

/** One request as bytes: nothing is checked or added except HTTP's own framing. */
export interface RawRequest {
  readonly path: string;
  /** Header values; an array repeats the header. `content-type: undefined` sends none. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Uint8Array;
  /** The call counts as hung when no complete response arrived within this time. */
  readonly timeoutMs: number;
}

/** What came back, as bytes; `hung` and `error` say when nothing complete did. */
export interface RawResponse {
  readonly httpStatus: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly trailers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly hung: boolean;
  /** A transport error before the response ended (reset, closed connection). */
  readonly error: string | undefined;
}

/** Sends raw requests over one transport, reusing connections, and closes them at the end. */
export interface RawClient {
  send(request: RawRequest): Promise<RawResponse>;
  close(): void;
}

/** A client for `transport`. */
export function createRawClient(transport: RawTransport): RawClient {
  return transport.kind === "h2" ? createH2Client(transport.socket) : createH1Client(transport.url);
}

function flatten(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return flat;
}

function outgoing(headers: RawRequest["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = typeof value === "string" ? value : [...value];
  }
  return out;
}

function createH2Client(socket: string): RawClient {
  let session: http2.ClientHttp2Session | undefined;
  const connect = () => {
    if (session === undefined || session.closed || session.destroyed) {
      // Node's default of 10 MB of session memory would make the client itself reset 16 MiB uploads.
      const fresh = http2.connect("http://localhost", {
        createConnection: () => net.connect(socket),
        maxSessionMemory: 256,
      });
      fresh.on("error", () => undefined);
      fresh.once("close", () => {
        if (session === fresh) session = undefined;
      });
      session = fresh;
    }
    return session;
  };
  return {
    send(request) {
      return new Promise((resolve) => {
        const stream = connect().request({ ":method": "POST", ":path": request.path, ...outgoing(request.headers) });
        let httpStatus: number | undefined;
        let headers: Record<string, string> = {};
        let trailers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let settled = false;
        const finish = (hung: boolean, error: string | undefined) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
          resolve({ httpStatus, headers, trailers, body: Buffer.concat(chunks), hung, error });
        };
        const timer = setTimeout(() => finish(true, undefined), request.timeoutMs);
        stream.on("response", (h) => {
          httpStatus = Number(h[":status"]);
          headers = flatten(h);
        });
        stream.on("trailers", (t) => {
          trailers = flatten(t);
          // Trailers end the call, as a gRPC client sees it, even while the server leaves an unread upload pending.
          setImmediate(() => finish(false, undefined));
        });
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => finish(false, undefined));
        stream.on("close", () =>
          finish(false, httpStatus === undefined ? "stream closed without response" : undefined),
        );
        stream.on("error", (error: Error) => {
          // A server that answers early resets the rest of an upload; what it answered still counts.
          finish(false, httpStatus === undefined ? error.message : undefined);
        });
        stream.end(request.body);
      });
    },
    close() {
      session?.destroy();
    },
  };
}

function createH1Client(base: string): RawClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  return {
    send(request) {
      return new Promise((resolve) => {
        const url = new URL(request.path, base);
        const headers = outgoing(request.headers);
        headers["content-length"] = String(request.body.length);
        let httpStatus: number | undefined;
        let responseHeaders: Record<string, string> = {};
        const chunks: Buffer[] = [];
        let settled = false;
        const finish = (hung: boolean, error: string | undefined, trailers: Record<string, string> = {}) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (hung) outgoingRequest.destroy();
          resolve({ httpStatus, headers: responseHeaders, trailers, body: Buffer.concat(chunks), hung, error });
        };
        const outgoingRequest = http.request(url, { method: "POST", headers, agent }, (response) => {
          httpStatus = response.statusCode;
          responseHeaders = flatten(response.headers);
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => finish(false, undefined, flatten(response.trailers)));
          response.on("error", (error) => finish(false, error.message));
        });
        const timer = setTimeout(() => finish(true, undefined), request.timeoutMs);
        outgoingRequest.on("error", (error) => {
          // The server may answer and close before the whole upload is written (EPIPE, ECONNRESET).
          if (httpStatus === undefined) finish(false, error.message);
        });
        outgoingRequest.end(request.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

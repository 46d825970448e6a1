/**
 * Transports for Node: HTTP/2 to berthd (or containerd) over a unix socket or
 * TCP, speaking gRPC by default or the Connect protocol.
 */
import type http2 from "node:http2";
import net from "node:net";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

export { defaultSocketPath } from "@berth/shared/defaults";

/** Wire protocol of a Node transport. */
export type NodeProtocol = "grpc" | "connect";

/** TLS settings for an `https://` address, each a PEM document. */
export interface NodeTlsOptions {
  /** CA that issued berthd's certificate, when the system's CAs do not cover it. */
  readonly ca?: string | Buffer | undefined;
  /** Client certificate, for a berthd that requires one (mTLS). */
  readonly cert?: string | Buffer | undefined;
  /** Private key of {@link NodeTlsOptions.cert}. */
  readonly key?: string | Buffer | undefined;
}

/** Options of {@link createNodeTransport}. */
export interface NodeTransportOptions {
  /**
   * A unix socket path (`/run/berth/berth.sock`, or `unix:///…`), or a TCP
   * address (`http://127.0.0.1:8080`, `127.0.0.1:8080`, or `https://…` for TLS).
   */
  readonly address: string;
  /** Certificates for an `https://` address. */
  readonly tls?: NodeTlsOptions | undefined;
  /** Bearer token sent with every call (`authorization: Bearer <token>`), for berthd's `--token-file`. */
  readonly token?: string | undefined;
  /** Default `grpc`, as containerd's clients. */
  readonly protocol?: NodeProtocol;
  /** Largest message accepted or sent (default 16 MiB, as containerd). */
  readonly maxMessageBytes?: number;
}

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * HTTP/2 receive windows of a session: per stream, and for the whole connection.
 * Node 20 keeps HTTP/2's 64 KiB defaults, so a 2 MB listing waits for some thirty
 * WINDOW_UPDATE round trips and a few concurrent listings share 64 KiB in flight;
 * grpc-go grows its windows to 16 MiB by estimating the bandwidth-delay product,
 * and newer Node versions open connections with a 32 MiB window.
 */
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
const CONNECTION_WINDOW_BYTES = 32 * 1024 * 1024;

/** connect-node's session manager, widening each new session's connection window before its first stream. */
class WideWindowSessionManager extends Http2SessionManager {
  private readonly widened = new WeakSet<http2.Http2Session>();

  override async request(...args: Parameters<Http2SessionManager["request"]>): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session !== undefined && !this.widened.has(session)) {
      this.widened.add(session);
      // Only settable once connected (Node 20 has no option for it); the update leaves before any response data.
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    }
    return stream;
  }
}

/** Where an address points: a socket file or an HTTP base URL. */
export function parseAddress(address: string): { socketPath: string } | { baseUrl: string } {
  if (address.startsWith("unix://")) return { socketPath: address.slice("unix://".length) };
  if (address.startsWith("unix:")) return { socketPath: address.slice("unix:".length) };
  if (/^https?:\/\//.test(address)) return { baseUrl: address };
  if (/^(\[[^\]]+\]|[^/:]+):\d+$/.test(address)) return { baseUrl: `http://${address}` };
  return { socketPath: address };
}

/**
 * Creates an HTTP/2 transport. For a unix socket the base URL is a placeholder:
 * every connection goes to the socket.
 */
export function createNodeTransport(options: NodeTransportOptions): Transport {
  const target = parseAddress(options.address);
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const baseUrl = "socketPath" in target ? "http://localhost" : target.baseUrl;
  const sessionOptions: http2.SecureClientSessionOptions = {
    settings: { initialWindowSize: STREAM_WINDOW_BYTES },
    ...("socketPath" in target ? { createConnection: () => net.connect(target.socketPath) } : options.tls),
  };
  const common = {
    httpVersion: "2" as const,
    baseUrl,
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
    sessionManager: new WideWindowSessionManager(baseUrl, undefined, sessionOptions),
    ...(options.token === undefined ? {} : { interceptors: [bearerToken(options.token)] }),
  };
  return options.protocol === "connect"
    ? createConnectTransport({ ...common, useBinaryFormat: true })
    : createGrpcTransport(common);
}

function bearerToken(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (next) => (request) => {
    request.header.set("authorization", value);
    return next(request);
  };
}

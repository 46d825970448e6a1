/**
 * Transports for Node: HTTP/2 to berthd (or containerd) over a unix socket or
 * TCP, speaking gRPC by default or the Connect protocol.
 */
import net from "node:net";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";

export { defaultSocketPath } from "./defaults.js";

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
  const common = {
    httpVersion: "2" as const,
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
    ...("socketPath" in target
      ? {
          baseUrl: "http://localhost",
          nodeOptions: { createConnection: () => net.connect(target.socketPath) },
        }
      : { baseUrl: target.baseUrl, ...(options.tls === undefined ? {} : { nodeOptions: { ...options.tls } }) }),
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

import { constants } from "node:fs";
import { access, chmod, chown, lstat, mkdir, rename, unlink } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { dirname } from "node:path";
import tls from "node:tls";
import { DEFAULT_H2_LIMITS, type H2Limits, type LimitEvent } from "../h2/limits.js";
import { createH2Server } from "../h2/server.js";
import type { H2Stream } from "../h2/stream.js";
import type { HttpResponse } from "./http-response.js";
import { type TlsCredentials, tlsServerOptions } from "./tls.js";

/** A request handler usable by both `http` and `http2` servers. */
export type RequestHandler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: HttpResponse) => void;

/** One listening endpoint. */
export interface Listener {
  /** `unix:<path>`, `http://host:port` or `https://host:port`, for logs and clients. */
  readonly address: string;
  /**
   * Stops accepting, lets in-flight calls finish for up to `graceMs`, then cuts
   * what remains.
   */
  close(graceMs: number): Promise<void>;
}

/** Raised when the address is already served by a live process. */
export class AddressInUseError extends Error {
  override readonly name = "AddressInUseError";
}

/** Raised when the socket's directory cannot be created or written, so berthd could not listen there. */
export class AddressUnwritableError extends Error {
  override readonly name = "AddressUnwritableError";
}

/** HTTP/2 settings shared by every listener. */
const HTTP2_OPTIONS: http2.ServerOptions = {
  maxSessionMemory: 64,
  settings: { maxConcurrentStreams: 1000 },
};

/**
 * Whether `request` arrived on a unix socket listener, whose file permissions
 * decide who may connect (as containerd's socket), rather than on TCP: the
 * requests of berthd's own transport, which serves only unix sockets, say so.
 */
export function arrivedOnUnixSocket(request: object): boolean {
  return (request as { viaUnixSocket?: boolean }).viaUnixSocket === true;
}

/** Limits every listener applies; see docs/security.md. */
export interface ListenerLimits {
  /** Connections open at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** HTTP/2 limits (berthd's transport in full; Node's, on TCP, takes the timeouts). */
  readonly h2: H2Limits;
  /** Told of every stream or connection a limit cut off. */
  readonly onLimit?: ((event: LimitEvent) => void) | undefined;
}

/** berthd's default listener limits. */
export const DEFAULT_LISTENER_LIMITS: ListenerLimits = { maxConnections: 1024, h2: DEFAULT_H2_LIMITS };

/** Options of {@link listenUnix}. */
export interface UnixListenOptions {
  readonly path: string;
  readonly limits?: ListenerLimits | undefined;
  /** Owner of the socket file (containerd's `grpc.uid`). */
  readonly uid?: number | undefined;
  /** Group of the socket file (containerd's `grpc.gid`). */
  readonly gid?: number | undefined;
}

/**
 * Serves HTTP/2 cleartext on a unix socket, as containerd does, with berthd's
 * own HTTP/2 transport (see `h2/connection.ts`). The socket is created 0660 in a
 * directory created 0711. A stale socket file left by a crashed daemon is
 * replaced; a live one is an {@link AddressInUseError}.
 */
export async function listenUnix(
  serveStream: (stream: H2Stream) => void,
  options: UnixListenOptions,
): Promise<Listener> {
  const { path } = options;
  await mkdir(dirname(path), { recursive: true, mode: 0o711 });
  await removeStaleSocket(path);
  const limits = naming(options.limits ?? DEFAULT_LISTENER_LIMITS, () => `unix:${path}`);
  const h2 = createH2Server({ onStream: serveStream, limits: limits.h2, onLimit: limits.onLimit });
  const server = net.createServer((socket) => h2.accept(socket));
  server.maxConnections = limits.maxConnections;
  // Bound under a temporary name and renamed once its mode and owner are set, so
  // that nobody can connect while the socket still has the umask's permissions.
  const bound = `${path}.${process.pid}.new`;
  await unlink(bound).catch(() => undefined);
  await listen(server, { path: bound }, path);
  await chmod(bound, 0o660);
  if (options.uid !== undefined || options.gid !== undefined) {
    await chown(bound, options.uid ?? -1, options.gid ?? -1);
  }
  await rename(bound, path);
  return {
    address: `unix:${path}`,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // GOAWAY: no new streams; open streams may finish within the grace period.
      const drained = h2.shutdown();
      const timer = setTimeout(() => h2.destroy(), graceMs);
      await Promise.all([closed, drained]);
      clearTimeout(timer);
      await unlink(path).catch(() => undefined);
    },
  };
}

/** Options of {@link listenTcp}. */
export interface TcpListenOptions {
  readonly host: string;
  readonly port: number;
  /** Serve HTTPS instead of cleartext: HTTP/2 or HTTP/1.1 chosen by ALPN. */
  readonly tls?: TlsCredentials | undefined;
  readonly limits?: ListenerLimits | undefined;
}

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Serves HTTP/2 and HTTP/1.1 on one TCP port. Browsers cannot speak h2c and a
 * plaintext Node HTTP/2 server will not fall back to HTTP/1.1, so in cleartext
 * each connection's first bytes are compared with the HTTP/2 client preface and
 * the socket is handed to the matching server. With TLS the client's ALPN
 * choice (`h2` or `http/1.1`) decides instead; both servers, and their shutdown,
 * stay the same.
 */
export async function listenTcp(handler: RequestHandler, options: TcpListenOptions): Promise<Listener> {
  let address = `${options.tls === undefined ? "http" : "https"}://${options.host}:${options.port}`;
  const limits = naming(options.limits ?? DEFAULT_LISTENER_LIMITS, () => address);
  const h2 = http2.createServer(
    {
      ...HTTP2_OPTIONS,
      settings: {
        ...HTTP2_OPTIONS.settings,
        maxConcurrentStreams: limits.h2.maxConcurrentStreams,
        maxHeaderListSize: limits.h2.maxHeaderListSize,
      },
    },
    withRequestTimeout(handler, limits),
  );
  let closing = false;
  const requestTimeout = limits.h2.requestTimeoutMs;
  const h1Options: http.ServerOptions = {
    // Slow request bodies and headers, in Node's own terms, checked often enough to apply them on time.
    requestTimeout,
    headersTimeout: Math.min(limits.h2.handshakeTimeoutMs, requestTimeout),
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(requestTimeout / 4))),
  };
  const h1 = http.createServer(h1Options, (request, response) => {
    // While shutting down, end keep-alive: browsers would otherwise keep reusing the connection.
    if (closing) {
      response.setHeader("connection", "close");
      response.once("finish", () => h1.closeIdleConnections());
    }
    handler(request, response);
  });
  // Node sets up HTTP/1.1 connection tracking (closing idle keep-alive connections,
  // headersTimeout and requestTimeout) when a server starts listening; this one is
  // handed its sockets by the front server instead, so tell it.
  h1.emit("listening");
  const sessions = trackSessions(h2);
  // A session with no traffic for the idle timeout is sent GOAWAY; open streams may still finish.
  h2.on("session", (session) => {
    session.setTimeout(limits.h2.idleTimeoutMs, () => {
      limits.onLimit?.({ reason: "idle" });
      session.close();
    });
  });
  // A connection routed after shutdown began gets GOAWAY at once, like those before it.
  h2.on("session", (session) => {
    if (closing) session.close();
  });
  const handshakeMs = limits.h2.handshakeTimeoutMs;
  const front =
    options.tls === undefined
      ? net.createServer((socket) => route(socket, h1, h2, handshakeMs))
      : tls.createServer({ ...tlsServerOptions(options.tls), handshakeTimeout: handshakeMs }, (socket) =>
          routeByAlpn(socket, h1, h2),
        );
  front.maxConnections = limits.maxConnections;
  const sockets = new Set<net.Socket>();
  front.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await listen(front, { host: options.host, port: options.port }, `${options.host}:${options.port}`);
  const bound = front.address() as net.AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  address = `${options.tls === undefined ? "http" : "https"}://${host}:${bound.port}`;
  return {
    address,
    async close(graceMs) {
      const frontClosed = new Promise<void>((resolve) => front.close(() => resolve()));
      closing = true;
      const h1Closed = new Promise<void>((resolve) => h1.close(() => resolve()));
      h1.closeIdleConnections();
      // Cut every connection still open after the grace period, whatever its state or protocol.
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await Promise.all([closeHttp2(h2, sessions, graceMs), h1Closed, frontClosed]);
      clearTimeout(timer);
    },
  };
}

/** The limits with each reported event naming the listener, as its address: the same fields from every listener. */
function naming(limits: ListenerLimits, listener: () => string): ListenerLimits {
  const { onLimit } = limits;
  return onLimit === undefined
    ? limits
    : { ...limits, onLimit: (event) => onLimit({ ...event, listener: listener() }) };
}

/**
 * Resets an HTTP/2 request that has not arrived in full within the request
 * timeout (a slowly sent body), as berthd's own transport does on the unix
 * socket; Node's HTTP/1.1 server has `requestTimeout` for the same.
 */
function withRequestTimeout(handler: RequestHandler, limits: ListenerLimits): RequestHandler {
  return (request, response) => {
    const timer = setTimeout(() => {
      if (request.readableEnded || response.writableEnded) return;
      limits.onLimit?.({ reason: "request timeout", path: request.url ?? "" });
      (request as http2.Http2ServerRequest).stream.close(http2.constants.NGHTTP2_CANCEL);
    }, limits.h2.requestTimeoutMs);
    timer.unref();
    response.once("close", () => clearTimeout(timer));
    request.once("end", () => clearTimeout(timer));
    handler(request, response);
  };
}

function route(socket: net.Socket, h1: http.Server, h2: http2.Http2Server, firstBytesTimeoutMs: number): void {
  const onSilence = () => socket.destroy();
  socket.setTimeout(firstBytesTimeoutMs);
  socket.once("timeout", onSilence);
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const length = Math.min(seen.length, HTTP2_PREFACE.length);
    const isHttp2 = seen.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
    if (isHttp2 && seen.length < HTTP2_PREFACE.length) return;
    socket.off("data", onData);
    socket.off("error", onError);
    socket.setTimeout(0);
    socket.off("timeout", onSilence);
    socket.pause();
    socket.unshift(seen);
    if (isHttp2) {
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      // The HTTP/1.1 parser reads through stream events; the HTTP/2 session reads the socket itself.
      socket.resume();
    }
  };
  const onError = () => socket.destroy();
  socket.on("data", onData);
  socket.on("error", onError);
}

function routeByAlpn(socket: tls.TLSSocket, h1: http.Server, h2: http2.Http2Server): void {
  // A client without ALPN (e.g. curl --http1.1 on old builds) gets HTTP/1.1, as from an https server.
  (socket.alpnProtocol === "h2" ? h2 : h1).emit("connection", socket);
}

function trackSessions(server: http2.Http2Server): Set<http2.ServerHttp2Session> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  return sessions;
}

async function closeHttp2(
  server: http2.Http2Server,
  sessions: Set<http2.ServerHttp2Session>,
  graceMs: number,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // GOAWAY: no new streams; open streams may finish within the grace period.
  for (const session of sessions) session.close();
  const timer = setTimeout(() => {
    for (const session of sessions) session.destroy();
  }, graceMs);
  await closed;
  clearTimeout(timer);
}

function listen(server: net.Server, options: net.ListenOptions, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(error.code === "EADDRINUSE" ? new AddressInUseError(`address ${label} is already in use`) : error);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options);
  });
}

/**
 * Fails with {@link AddressInUseError} when the unix socket or the TCP address
 * is already served, before anything else starts, so that a daemon that cannot
 * listen never opens (and so never touches) its database. Binding for real may
 * still fail if another process takes the address in between.
 */
export async function checkAddressesFree(
  unixPath: string,
  tcp?: { readonly host: string; readonly port: number },
): Promise<void> {
  await checkSocketFree(unixPath);
  if (tcp === undefined || tcp.port === 0) return;
  const probe = net.createServer();
  await listen(probe, { host: tcp.host, port: tcp.port }, `${tcp.host}:${tcp.port}`);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

async function checkSocketFree(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) throw new AddressInUseError(`socket ${path} is already in use by a running process`);
  const existing = await lstat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isSocket()) throw new AddressInUseError(`${path} exists and is not a socket`);
  // Found now rather than when listening, which comes after the database is opened (and created).
  let directory = dirname(path);
  while ((await lstat(directory).catch(() => undefined)) === undefined && dirname(directory) !== directory) {
    directory = dirname(directory);
  }
  try {
    await access(directory, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new AddressUnwritableError(`cannot create socket ${path}: ${directory} is not writable (${code})`);
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  await checkSocketFree(path);
  await unlink(path).catch(() => undefined);
}

import { constants } from "node:fs";
import { access, chmod, chown, lstat, mkdir, rename, unlink } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { dirname } from "node:path";
import tls from "node:tls";
import type { HttpHandler } from "../rpc/exchange.js";
import { CLIENT_PREFACE } from "./h2/frames.js";
import type { H2Limits, LimitEvent } from "./h2/limits.js";
import { createH2Server, type H2Server } from "./h2/server.js";
import { H2Exchange, type ListenerSide } from "./h2-exchange.js";
import { Http1Exchange } from "./http1-exchange.js";
import { type TlsCredentials, tlsServerOptions } from "./tls.js";

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

/** Limits every listener applies; see docs/security.md. */
export interface ListenerLimits {
  /** Connections open at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** HTTP/2 limits; the timeouts apply to HTTP/1.1 too. */
  readonly h2: H2Limits;
  /** Told of every stream or connection a limit cut off. */
  readonly onLimit?: ((event: LimitEvent) => void) | undefined;
}

/** Options of {@link listenUnix}. */
export interface UnixListenOptions {
  readonly path: string;
  readonly limits: ListenerLimits;
  /** Owner of the socket file (containerd's `grpc.uid`). */
  readonly uid?: number | undefined;
  /** Group of the socket file (containerd's `grpc.gid`). */
  readonly gid?: number | undefined;
}

/**
 * Serves HTTP/2 cleartext on a unix socket, as containerd does, with berthd's
 * HTTP/2 transport (see `h2/connection.ts`). The socket is created 0660 in a
 * directory created 0711. A stale socket file left by a crashed daemon is
 * replaced; a live one is an {@link AddressInUseError}.
 */
export async function listenUnix(handler: HttpHandler, options: UnixListenOptions): Promise<Listener> {
  const { path } = options;
  await mkdir(dirname(path), { recursive: true, mode: 0o711 });
  await removeStaleSocket(path);
  const limits = naming(options.limits, () => `unix:${path}`);
  const h2 = createH2Listener(handler, { viaUnixSocket: true, localPort: undefined }, limits);
  const server = net.createServer((socket) => h2.accept(socket));
  capConnections(server, limits);
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
  readonly limits: ListenerLimits;
}

/**
 * Serves HTTP/2 and HTTP/1.1 on one TCP port, HTTP/2 with berthd's own
 * transport as on the unix socket, HTTP/1.1 (browsers: gRPC-Web, Connect, the
 * web app) with Node's. In cleartext each connection's first bytes are compared
 * with the HTTP/2 client preface (prior knowledge, as gRPC clients speak h2c);
 * with TLS the client's ALPN choice (`h2` or `http/1.1`) decides instead.
 */
export async function listenTcp(handler: HttpHandler, options: TcpListenOptions): Promise<Listener> {
  let address = `${options.tls === undefined ? "http" : "https"}://${options.host}:${options.port}`;
  const limits = naming(options.limits, () => address);
  const side = { viaUnixSocket: false, localPort: options.port };
  const h2 = createH2Listener(handler, side, limits);
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
    handler(new Http1Exchange(request, response));
  });
  h1.on("clientError", answerClientError);
  // Node sets up HTTP/1.1 connection tracking (closing idle keep-alive connections,
  // headersTimeout and requestTimeout) when a server starts listening; this one is
  // handed its sockets by the front server instead, so tell it.
  h1.emit("listening");
  const handshakeMs = limits.h2.handshakeTimeoutMs;
  const front =
    options.tls === undefined
      ? net.createServer((socket) => routeByPreface(socket, h1, h2, handshakeMs))
      : tls.createServer({ ...tlsServerOptions(options.tls), handshakeTimeout: handshakeMs }, (socket) =>
          routeByAlpn(socket, h1, h2),
        );
  capConnections(front, limits);
  const sockets = new Set<net.Socket>();
  front.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await listen(front, { host: options.host, port: options.port }, `${options.host}:${options.port}`);
  const bound = front.address() as net.AddressInfo;
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  side.localPort = bound.port;
  address = `${options.tls === undefined ? "http" : "https"}://${host}:${bound.port}`;
  return {
    address,
    async close(graceMs) {
      const frontClosed = new Promise<void>((resolve) => front.close(() => resolve()));
      closing = true;
      const h1Closed = new Promise<void>((resolve) => h1.close(() => resolve()));
      h1.closeIdleConnections();
      // GOAWAY: no new streams; open streams may finish within the grace period.
      const h2Drained = h2.shutdown();
      // Cut every connection still open after the grace period, whatever its state or protocol.
      const timer = setTimeout(() => {
        h2.destroy();
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await Promise.all([h2Drained, h1Closed, frontClosed]);
      clearTimeout(timer);
    },
  };
}

/** berthd's HTTP/2 server for one listener: each stream goes through the request chain. */
function createH2Listener(handler: HttpHandler, side: ListenerSide, limits: ListenerLimits): H2Server {
  return createH2Server({
    onStream: (stream) => handler(new H2Exchange(stream, side)),
    limits: limits.h2,
    onLimit: limits.onLimit,
  });
}

/**
 * Closes connections beyond the listener's cap as they arrive, and says so at
 * most once a second (with how many were closed), so that a flood of
 * connections does not become a flood of log lines.
 */
function capConnections(server: net.Server, limits: ListenerLimits): void {
  server.maxConnections = limits.maxConnections;
  let dropped = 0;
  server.on("drop", () => {
    dropped += 1;
    if (dropped > 1) return;
    setTimeout(() => {
      limits.onLimit?.({ reason: "too many connections", detail: `${dropped} refused` });
      dropped = 0;
    }, 1000).unref();
  });
}

/** The limits with each reported event naming the listener, as its address: the same fields from every listener. */
function naming(limits: ListenerLimits, listener: () => string): ListenerLimits {
  const { onLimit } = limits;
  return onLimit === undefined
    ? limits
    : { ...limits, onLimit: (event) => onLimit({ ...event, listener: listener() }) };
}

/**
 * Hands a cleartext connection to HTTP/2 when its first bytes are the client
 * preface, else to HTTP/1.1. A connection that starts like the preface and then
 * differs is neither: it is closed (RFC 9113 §3.4).
 */
function routeByPreface(socket: net.Socket, h1: http.Server, h2: H2Server, firstBytesTimeoutMs: number): void {
  const onSilence = () => socket.destroy();
  socket.setTimeout(firstBytesTimeoutMs);
  socket.once("timeout", onSilence);
  let seen = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const length = Math.min(seen.length, CLIENT_PREFACE.length);
    const isHttp2 = seen.subarray(0, length).equals(CLIENT_PREFACE.subarray(0, length));
    if (isHttp2 && seen.length < CLIENT_PREFACE.length) return;
    socket.off("data", onData);
    socket.off("error", onError);
    socket.setTimeout(0);
    socket.off("timeout", onSilence);
    if (!isHttp2 && seen.subarray(0, 4).equals(PREFACE_START)) {
      socket.destroy();
      return;
    }
    socket.pause();
    socket.unshift(seen);
    if (isHttp2) h2.accept(socket);
    else h1.emit("connection", socket);
    socket.resume();
  };
  const onError = () => socket.destroy();
  socket.on("data", onData);
  socket.on("error", onError);
}

/** Parse errors of the request line: the peer does not speak HTTP/1.1 at all. */
const NOT_HTTP1 = new Set(["HPE_INVALID_METHOD", "HPE_INVALID_CONSTANT", "HPE_INVALID_VERSION", "HPE_INVALID_URL"]);
const CLIENT_ERROR_ANSWERS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: "431 Request Header Fields Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

/**
 * Node's own answer to a malformed HTTP/1.1 request (400, 408 or 431), except
 * that a peer whose first line is no HTTP/1.1 request line at all (a broken
 * HTTP/2 preface, say) has its connection closed without one.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: net.Socket): void {
  const code = error.code ?? "";
  if (socket.writable && socket.bytesWritten === 0 && !NOT_HTTP1.has(code)) {
    socket.write(`HTTP/1.1 ${CLIENT_ERROR_ANSWERS[code] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
}

/** What HTTP/2's preface starts with; no HTTP/1.1 method is named so. */
const PREFACE_START = CLIENT_PREFACE.subarray(0, 4);

function routeByAlpn(socket: tls.TLSSocket, h1: http.Server, h2: H2Server): void {
  // A client without ALPN (e.g. curl --http1.1 on old builds) gets HTTP/1.1, as from an https server.
  if (socket.alpnProtocol === "h2") h2.accept(socket);
  else h1.emit("connection", socket);
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

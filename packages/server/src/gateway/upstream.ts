import net from "node:net";
import { H2ClientConnection } from "../transport/h2/client.js";

/** The first wait before dialling containerd again after a failure; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** containerd's socket must accept a connection within this long. */
const DIAL_TIMEOUT_MS = 2000;
/** Windows as wide as berthd's own client's: a 16 MiB message or a stream of blobs must not wait on them. */
const CONNECTION_WINDOW_BYTES = 32 * 1024 * 1024;
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;
/** containerd's answers carry at most its 16 MiB messages' worth of metadata; grpc-go's default limit. */
const MAX_HEADER_LIST_BYTES = 16 * 1024 * 1024;

/** Why containerd could not be reached. */
export class UpstreamUnavailableError extends Error {
  override readonly name = "UpstreamUnavailableError";
}

/** One HTTP/2 connection to containerd's socket (berthd's own client), dialled when needed and again after it is lost. */
export interface Upstream {
  /** containerd's socket path, for messages. */
  readonly socketPath: string;
  /** The connection, dialling it if there is none; rejects with {@link UpstreamUnavailableError}. */
  session(): Promise<H2ClientConnection>;
  /** The open connection, if there is one now (no dialling). */
  connected(): H2ClientConnection | undefined;
  /** Whether the last dial succeeded and its connection is open. */
  readonly up: boolean;
  /** Closes the connection; calls on it end. */
  close(): void;
}

/**
 * An upstream on containerd's unix socket. After a failed dial, calls fail at
 * once with Unavailable until the back-off has passed (100 ms, doubling to
 * 5 s), so that a containerd that is down is not dialled by every call.
 */
export function createUpstream(socketPath: string): Upstream {
  let current: H2ClientConnection | undefined;
  let dialling: Promise<H2ClientConnection> | undefined;
  let backoffMs = FIRST_BACKOFF_MS;
  let retryAt = 0;
  let lastError = "";
  let closed = false;

  const dial = (): Promise<H2ClientConnection> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      const timer = setTimeout(() => socket.destroy(new Error("i/o timeout")), DIAL_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        const connection = new H2ClientConnection(socket, {
          streamWindow: STREAM_WINDOW_BYTES,
          connectionWindow: CONNECTION_WINDOW_BYTES,
          maxHeaderListSize: MAX_HEADER_LIST_BYTES,
        });
        connection.onGone = () => {
          if (current === connection) current = undefined;
        };
        resolve(connection);
      });
    });

  return {
    socketPath,
    get up() {
      return current?.open === true;
    },
    connected() {
      return current?.open === true ? current : undefined;
    },
    session() {
      if (closed) return Promise.reject(new UpstreamUnavailableError("berthd is shutting down"));
      if (current?.open === true) return Promise.resolve(current);
      if (dialling !== undefined) return dialling;
      if (Date.now() < retryAt) return Promise.reject(new UpstreamUnavailableError(lastError));
      dialling = dial().then(
        (session) => {
          dialling = undefined;
          backoffMs = FIRST_BACKOFF_MS;
          current = session;
          return session;
        },
        (error: NodeJS.ErrnoException) => {
          dialling = undefined;
          retryAt = Date.now() + backoffMs;
          backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
          // grpc-go's wording, which containerd's clients show when its socket is gone.
          const reason = error.code === undefined ? error.message : `${error.syscall ?? "connect"}: ${describe(error)}`;
          lastError = `connection error: desc = "transport: Error while dialing dial unix ${socketPath}: ${reason}"`;
          throw new UpstreamUnavailableError(lastError);
        },
      );
      return dialling;
    },
    close() {
      closed = true;
      current?.close();
      current = undefined;
    },
  };
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return "no such file or directory";
    case "ECONNREFUSED":
      return "connection refused";
    case "EACCES":
      return "permission denied";
    default:
      return error.message;
  }
}

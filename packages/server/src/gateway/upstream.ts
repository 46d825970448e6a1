import http2 from "node:http2";
import net from "node:net";

/** The first wait before dialling containerd again after a failure; it doubles up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** containerd's socket must accept a connection within this long. */
const DIAL_TIMEOUT_MS = 2000;
/** Windows as wide as berthd's own client's: a 16 MiB message or a stream of blobs must not wait on them. */
const SESSION_WINDOW_BYTES = 32 * 1024 * 1024;
const STREAM_WINDOW_BYTES = 4 * 1024 * 1024;

/** Why containerd could not be reached. */
export class UpstreamUnavailableError extends Error {
  override readonly name = "UpstreamUnavailableError";
}

/** One HTTP/2 connection to containerd's socket, dialled when needed and again after it is lost. */
export interface Upstream {
  /** containerd's socket path, for messages. */
  readonly socketPath: string;
  /** The connection, dialling it if there is none; rejects with {@link UpstreamUnavailableError}. */
  session(): Promise<http2.ClientHttp2Session>;
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
  let current: http2.ClientHttp2Session | undefined;
  let dialling: Promise<http2.ClientHttp2Session> | undefined;
  let backoffMs = FIRST_BACKOFF_MS;
  let retryAt = 0;
  let lastError = "";
  let closed = false;

  const dial = (): Promise<http2.ClientHttp2Session> =>
    new Promise((resolve, reject) => {
      const session = http2.connect("http://localhost", {
        createConnection: () => net.connect(socketPath),
        settings: { initialWindowSize: STREAM_WINDOW_BYTES },
      });
      const timer = setTimeout(() => session.destroy(new Error("i/o timeout")), DIAL_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        session.destroy();
        reject(error);
      };
      session.once("error", fail);
      session.once("connect", () => {
        clearTimeout(timer);
        session.off("error", fail);
        session.setLocalWindowSize(SESSION_WINDOW_BYTES);
        // Errors after connecting end the session; its calls see them on their streams.
        session.on("error", () => undefined);
        session.once("close", () => {
          if (current === session) current = undefined;
        });
        session.once("goaway", () => {
          if (current === session) current = undefined;
        });
        resolve(session);
      });
    });

  return {
    socketPath,
    get up() {
      return current !== undefined && !current.closed && !current.destroyed;
    },
    session() {
      if (closed) return Promise.reject(new UpstreamUnavailableError("berthd is shutting down"));
      if (current !== undefined && !current.closed && !current.destroyed) return Promise.resolve(current);
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

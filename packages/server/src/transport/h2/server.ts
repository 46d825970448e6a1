import type net from "node:net";
import { H2Connection } from "./connection.js";
import { type H2Limits, type LimitEvent, ServerBudget } from "./limits.js";
import type { H2Stream } from "./stream.js";

/** Options of {@link createH2Server}. */
export interface H2ServerOptions {
  /** Serves each new request stream. */
  readonly onStream: (stream: H2Stream) => void;
  readonly limits: H2Limits;
  /** Told of every stream or connection a limit cut off. */
  readonly onLimit?: ((event: LimitEvent) => void) | undefined;
}

/** The connections of one server, their shared budget and the one timer that applies their timeouts. */
export interface H2Server {
  /** Serves HTTP/2 on an accepted socket. */
  accept(socket: net.Socket): void;
  /** GOAWAY on every connection (and on any accepted later); resolves when all have closed. */
  shutdown(): Promise<void>;
  /** Closes every connection at once. */
  destroy(): void;
}

/** Builds an HTTP/2 server over sockets a listener accepts. */
export function createH2Server(options: H2ServerOptions): H2Server {
  const limits = options.limits;
  const budget = new ServerBudget(limits);
  const connections = new Set<H2Connection>();
  let closing = false;
  // A quarter of the shortest timeout, so that each is applied at most 25 % late.
  const shortest = Math.min(
    limits.sendStallTimeoutMs,
    limits.requestTimeoutMs,
    limits.idleTimeoutMs,
    limits.handshakeTimeoutMs,
  );
  const tick = Math.min(1000, Math.max(25, Math.floor(shortest / 4)));
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    for (const connection of connections) connection.sweep(now);
  };
  return {
    accept(socket) {
      const connection = new H2Connection(socket, options.onStream, budget, options.onLimit);
      connections.add(connection);
      if (timer === undefined) {
        timer = setInterval(sweep, tick);
        timer.unref();
      }
      void connection.done.then(() => {
        connections.delete(connection);
        if (connections.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      });
      // A connection accepted after shutdown began gets GOAWAY at once, like those before it.
      if (closing) void connection.shutdown();
    },
    async shutdown() {
      closing = true;
      await Promise.all([...connections].map((connection) => connection.shutdown()));
    },
    destroy() {
      for (const connection of connections) connection.destroy();
    },
  };
}

import { Code } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { isKnownMethod } from "../rpc/interceptors/method-access.js";

/** What the gateway measures of one forwarded call. */
export interface ForwardedCall {
  /** Bytes of the request body, as they go upstream. */
  received(bytes: number): void;
  /** Bytes of the answer, as they go to the client. */
  sent(bytes: number): void;
  /** The call ended with `code` (a gRPC status code). */
  end(code: number): void;
}

/** The gateway's metrics: a registry to expose, and a way to measure each call. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Starts measuring a call to `path`. */
  start(path: string): ForwardedCall;
}

/**
 * Prometheus metrics of the forwarded calls, in go-grpc-prometheus' names as
 * berthd's own (containerd exports the same): calls started and handled by
 * code, handling time, plus bytes moved each way, streams open, and whether
 * containerd is reachable. A path that is no method Berth knows is counted
 * under `grpc_method="other"`, so that clients cannot grow the label set.
 */
export function createGatewayMetrics(upstreamUp: () => boolean): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["grpc_type", "grpc_service", "grpc_method"] as const;
  const started = new Counter({
    name: "grpc_server_started_total",
    help: "RPCs started on the server.",
    labelNames,
    registers: [registry],
  });
  const handled = new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, by status code.",
    labelNames: [...labelNames, "grpc_code"],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time from the start of an RPC to its end, by status code.",
    labelNames: [...labelNames, "grpc_code"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const bytes = new Counter({
    name: "berth_gateway_bytes_total",
    help: "Bytes forwarded, by method and direction (received from clients, sent to them).",
    labelNames: [...labelNames, "direction"],
    registers: [registry],
  });
  const open = new Gauge({
    name: "berth_gateway_open_calls",
    help: "Forwarded calls in progress.",
    registers: [registry],
  });
  new Gauge({
    name: "berth_upstream_up",
    help: "1 while berthd holds a connection to containerd, else 0.",
    registers: [registry],
    collect() {
      this.set(upstreamUp() ? 1 : 0);
    },
  });
  /** Each path's and each path-and-code's metric children, so that a call hashes no label set. */
  const byPath = new Map<string, PathMetrics>();
  const childrenOf = (path: string): PathMetrics => {
    const labels = labelsOf(path);
    const key = labels.grpc_service === "other" ? "other" : path;
    let found = byPath.get(key);
    if (found === undefined) {
      found = {
        started: started.labels(labels),
        received: bytes.labels({ ...labels, direction: "received" }),
        sent: bytes.labels({ ...labels, direction: "sent" }),
        byCode: new Map(),
        ended(code) {
          const name = code === 0 ? "OK" : (Code[code] ?? String(code));
          let children = this.byCode.get(name);
          if (children === undefined) {
            const withCode = { ...labels, grpc_code: name };
            children = { handled: handled.labels(withCode), seconds: seconds.labels(withCode) };
            this.byCode.set(name, children);
          }
          return children;
        },
      };
      byPath.set(key, found);
    }
    return found;
  };
  return {
    registry,
    start(path) {
      const children = childrenOf(path);
      children.started.inc();
      open.inc();
      const begun = process.hrtime.bigint();
      let inBytes = 0;
      let outBytes = 0;
      let ended = false;
      return {
        received: (count) => {
          inBytes += count;
        },
        sent: (count) => {
          outBytes += count;
        },
        end(code) {
          if (ended) return;
          ended = true;
          open.dec();
          const byCode = children.ended(code);
          byCode.handled.inc();
          byCode.seconds.observe(Number(process.hrtime.bigint() - begun) / 1e9);
          children.received.inc(inBytes);
          children.sent.inc(outBytes);
        },
      };
    },
  };
}

/** The metric children of one method. */
interface PathMetrics {
  readonly started: { inc(): void };
  readonly received: { inc(value: number): void };
  readonly sent: { inc(value: number): void };
  readonly byCode: Map<string, { handled: { inc(): void }; seconds: { observe(value: number): void } }>;
  ended(code: number): { handled: { inc(): void }; seconds: { observe(value: number): void } };
}

function labelsOf(path: string): Record<"grpc_type" | "grpc_service" | "grpc_method", string> {
  if (!isKnownMethod(path)) return { grpc_type: "unknown", grpc_service: "other", grpc_method: "other" };
  const slash = path.lastIndexOf("/");
  return { grpc_type: "unknown", grpc_service: path.slice(1, slash), grpc_method: path.slice(slash + 1) };
}

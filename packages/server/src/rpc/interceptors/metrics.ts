import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { StoreSizes } from "../../store/types.js";

/** Where the gauges read their values when scraped. */
export interface MetricsSources {
  /** Counts the store; called at most once per {@link STORE_SIZES_MAX_AGE_MS}. */
  readonly storeSizes: () => Promise<StoreSizes>;
  readonly subscribers: () => number;
  /** Why writes are refused now, or undefined while they work. */
  readonly writeFailure?: () => string | undefined;
}

/** berthd's metrics: a registry to expose and the interceptor that feeds it. */
export interface BerthdMetrics {
  readonly registry: Registry;
  /** Counts and times every call, on both call paths; put it outermost to see final codes. */
  readonly interceptor: Interceptor;
}

/** Counting a large store costs a scan, so scrapes within this window reuse the last count. */
export const STORE_SIZES_MAX_AGE_MS = 10_000;

/** Calls of one method so far. */
interface MethodMetrics {
  readonly labels: Record<"grpc_type" | "grpc_service" | "grpc_method", string>;
  started: number;
  readonly byCode: Map<string, CodeOutcome>;
}

/** Calls of one method that ended with one code. */
interface CodeOutcome {
  handled: number;
  readonly seconds: Histogram.Internal<string>;
}

const GRPC_TYPES: Record<DescMethod["methodKind"], string> = {
  unary: "unary",
  server_streaming: "server_stream",
  client_streaming: "client_stream",
  bidi_streaming: "bidi_stream",
};

/**
 * Prometheus metrics in the names of go-grpc-prometheus, which containerd
 * exports, so existing dashboards keep working: `grpc_server_started_total`,
 * `grpc_server_handled_total` and `grpc_server_handling_seconds` (with the code
 * as a label, unlike Go's), plus store sizes, event subscribers and Node's
 * process metrics.
 */
export function createMetrics(sources: MetricsSources): BerthdMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const callLabels = ["grpc_type", "grpc_service", "grpc_method"] as const;
  // Counts are kept in plain numbers per method and code and handed to the counters when
  // scraped: prom-client's per-call label handling would cost more than a fast call.
  const perMethod = new Map<DescMethod, MethodMetrics>();
  new Counter({
    name: "grpc_server_started_total",
    help: "RPCs started on the server.",
    labelNames: callLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const metrics of perMethod.values()) this.inc(metrics.labels, metrics.started);
    },
  });
  new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, by status code.",
    labelNames: [...callLabels, "grpc_code"],
    registers: [registry],
    collect() {
      this.reset();
      for (const metrics of perMethod.values()) {
        for (const [code, outcome] of metrics.byCode) this.inc({ ...metrics.labels, grpc_code: code }, outcome.handled);
      }
    },
  });
  const seconds = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time from the start of an RPC to its status, by status code.",
    labelNames: [...callLabels, "grpc_code"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  registerStoreGauges(registry, sources);
  new Gauge({
    name: "berthd_event_subscribers",
    help: "Open Events.Subscribe streams.",
    registers: [registry],
    collect() {
      this.set(sources.subscribers());
    },
  });
  new Gauge({
    name: "berthd_store_writable",
    help: "1 while the database takes writes, 0 while they fail (full disk); the health service berth.store.writes says why.",
    registers: [registry],
    collect() {
      this.set(sources.writeFailure?.() === undefined ? 1 : 0);
    },
  });

  const metricsOf = (method: DescMethod): MethodMetrics => {
    let found = perMethod.get(method);
    if (found === undefined) {
      found = {
        labels: {
          grpc_type: GRPC_TYPES[method.methodKind],
          grpc_service: method.parent.typeName,
          grpc_method: method.name,
        },
        started: 0,
        byCode: new Map(),
      };
      perMethod.set(method, found);
    }
    return found;
  };
  const outcomeOf = (metrics: MethodMetrics, code: string): CodeOutcome => {
    let outcome = metrics.byCode.get(code);
    if (outcome === undefined) {
      outcome = { handled: 0, seconds: seconds.labels({ ...metrics.labels, grpc_code: code }) };
      metrics.byCode.set(code, outcome);
    }
    return outcome;
  };

  const interceptor: Interceptor = (next) => (request) => {
    const metrics = metricsOf(request.method);
    metrics.started += 1;
    const begin = process.hrtime.bigint();
    const done = (error?: unknown) => {
      const outcome = outcomeOf(metrics, codeName(error));
      outcome.handled += 1;
      outcome.seconds.observe(Number(process.hrtime.bigint() - begin) / 1e9);
    };
    let pending: ReturnType<typeof next>;
    try {
      pending = next(request);
    } catch (error) {
      done(error);
      throw error;
    }
    // One promise reaction rather than an async function's extra promises: this runs on every call.
    return pending.then(
      (response) => {
        if (response.stream) return { ...response, message: observeEnd(response.message, done) };
        done();
        return response;
      },
      (error: unknown) => {
        done(error);
        throw error;
      },
    );
  };
  return { registry, interceptor };
}

function registerStoreGauges(registry: Registry, sources: MetricsSources): void {
  let cached: { readonly at: number; readonly sizes: Promise<StoreSizes> } | undefined;
  const sizes = () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > STORE_SIZES_MAX_AGE_MS) {
      const pending = sources.storeSizes();
      // A failed count is retried at the next scrape rather than cached.
      pending.catch(() => {
        if (cached?.sizes === pending) cached = undefined;
      });
      cached = { at: now, sizes: pending };
    }
    return cached.sizes;
  };
  const gauge = (name: string, help: string, read: (sizes: StoreSizes) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(read(await sizes()));
      },
    });
  gauge("berthd_store_namespaces", "Namespaces in the store.", (s) => s.namespaces);
  gauge("berthd_store_containers", "Containers in the store, all namespaces.", (s) => s.containers);
  gauge("berthd_store_leases", "Leases in the store, all namespaces.", (s) => s.leases);
  gauge("berthd_store_disk_bytes", "Bytes of the database on disk.", (s) => s.diskBytes);
}

/** gRPC's name for the status of a call that ended with `error` (none: OK). */
function codeName(error: unknown): string {
  if (error === undefined) return "OK";
  return Code[ConnectError.from(error).code] ?? "Unknown";
}

/** The stream, reporting once how it ended (a plain iterator: no extra promise per message). */
function observeEnd<T>(messages: AsyncIterable<T>, done: (error?: unknown) => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = messages[Symbol.asyncIterator]();
      let reported = false;
      const report = (error?: unknown) => {
        if (reported) return;
        reported = true;
        done(error);
      };
      return {
        next: () =>
          iterator.next().then(
            (result) => {
              if (result.done === true) report();
              return result;
            },
            (error: unknown) => {
              report(error);
              throw error;
            },
          ),
        return: async (value?: unknown) => {
          report(new ConnectError("operation canceled", Code.Canceled));
          await iterator.return?.(value);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

import { type Health, HealthCheckResponse_ServingStatus as Status } from "@berth/gen/grpc/health/v1/health_pb.js";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";

/** Options of {@link createHealthService}. */
export interface HealthOptions {
  /** The services served; "" (the whole server) is always known. */
  readonly services: readonly DescService[];
  /**
   * Aborted when the server begins to shut down: from then on every known
   * service is NOT_SERVING, and open watches are told so and then end, so that
   * they do not hold up the drain.
   */
  readonly shutdown?: AbortSignal;
}

/**
 * `grpc.health.v1.Health`, per the gRPC health checking protocol: SERVING for
 * "" and for each served service until shutdown, NOT_SERVING after; `Check` of
 * any other name fails with NOT_FOUND, `Watch` of it reports SERVICE_UNKNOWN.
 */
export function createHealthService(options: HealthOptions): ServiceImpl<typeof Health> {
  const known = new Set(["", ...options.services.map((service) => service.typeName)]);
  const shutdown = options.shutdown;
  const statusOf = (service: string) => {
    if (!known.has(service)) return Status.SERVICE_UNKNOWN;
    return shutdown?.aborted ? Status.NOT_SERVING : Status.SERVING;
  };

  return {
    check({ service }) {
      if (!known.has(service)) throw new ConnectError(`unknown service ${service}`, Code.NotFound);
      return { status: statusOf(service) };
    },

    async *watch({ service }, context) {
      const sent = statusOf(service);
      yield { status: sent };
      // Shutdown is the only change there is, so one wait suffices.
      await firstAbort(shutdown === undefined ? [context.signal] : [context.signal, shutdown]);
      const now = statusOf(service);
      if (!context.signal.aborted && now !== sent) yield { status: now };
    },
  };
}

/** Resolves once any of the signals is aborted, leaving no listener behind. */
function firstAbort(signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((signal) => signal.aborted)) {
      resolve();
      return;
    }
    const done = () => {
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    for (const signal of signals) signal.addEventListener("abort", done);
  });
}

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
  /** Why the store refuses writes now, if it does: {@link WRITES_SERVICE} reports it. */
  readonly writeFailure?: () => string | undefined;
}

/**
 * A health name of Berth's own: SERVING while the database takes writes,
 * NOT_SERVING while they fail (a full disk), with the reason in the
 * `berth-write-failure` response header. Reads go on meanwhile, so "" stays SERVING.
 */
export const WRITES_SERVICE = "berth.store.writes";
const WRITE_FAILURE_HEADER = "berth-write-failure";
/** How often a Watch of {@link WRITES_SERVICE} looks again. */
const WRITES_WATCH_MS = 1000;

/**
 * `grpc.health.v1.Health`, per the gRPC health checking protocol: SERVING for
 * "" and for each served service until shutdown, NOT_SERVING after; `Check` of
 * any other name fails with NOT_FOUND, `Watch` of it reports SERVICE_UNKNOWN.
 */
export function createHealthService(options: HealthOptions): ServiceImpl<typeof Health> {
  const known = new Set(["", WRITES_SERVICE, ...options.services.map((service) => service.typeName)]);
  const shutdown = options.shutdown;
  const writeFailure = options.writeFailure ?? (() => undefined);
  const statusOf = (service: string) => {
    if (!known.has(service)) return Status.SERVICE_UNKNOWN;
    if (shutdown?.aborted) return Status.NOT_SERVING;
    if (service === WRITES_SERVICE && writeFailure() !== undefined) return Status.NOT_SERVING;
    return Status.SERVING;
  };

  return {
    check({ service }, context) {
      if (!known.has(service)) throw new ConnectError(`unknown service ${service}`, Code.NotFound);
      const failure = service === WRITES_SERVICE ? writeFailure() : undefined;
      if (failure !== undefined) context.responseHeader.set(WRITE_FAILURE_HEADER, failure);
      return { status: statusOf(service) };
    },

    async *watch({ service }, context) {
      let sent = statusOf(service);
      yield { status: sent };
      if (service === WRITES_SERVICE) {
        // The store's state changes by itself: look again now and then until the call or the server ends.
        while (!context.signal.aborted && shutdown?.aborted !== true) {
          await firstAbort(shutdown === undefined ? [context.signal] : [context.signal, shutdown], WRITES_WATCH_MS);
          const now = statusOf(service);
          if (!context.signal.aborted && now !== sent) {
            sent = now;
            yield { status: now };
          }
        }
        return;
      }
      // Shutdown is the only change there is, so one wait suffices.
      await firstAbort(shutdown === undefined ? [context.signal] : [context.signal, shutdown]);
      const now = statusOf(service);
      if (!context.signal.aborted && now !== sent) yield { status: now };
    },
  };
}

/** Resolves once any of the signals is aborted (or after `timeoutMs`), leaving no listener behind. */
function firstAbort(signals: readonly AbortSignal[], timeoutMs?: number): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((signal) => signal.aborted)) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener("abort", done);
      resolve();
    };
    if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    for (const signal of signals) signal.addEventListener("abort", done);
  });
}

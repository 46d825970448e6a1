import { readFile } from "node:fs/promises";
import { rawGrpcCall } from "./grpc-raw.js";

/**
 * Whether berthd still serves: a Health/Check and a Containers.List over gRPC on the unix socket, and
 * the same List over Connect on TCP. Returns the failures, empty when all three succeeded.
 */
export async function probeLiveness(socket: string, tcpUrl: string): Promise<string[]> {
  const failures: string[] = [];
  const health = await rawGrpcCall(socket, "/grpc.health.v1.Health/Check", new Uint8Array()).catch(
    (error: unknown) => ({ status: undefined, message: String(error) }),
  );
  if (health.status !== "0") failures.push(`Health/Check: ${health.status} ${health.message}`);
  const list = await rawGrpcCall(socket, "/containerd.services.containers.v1.Containers/List", new Uint8Array(), {
    "containerd-namespace": "probe",
  }).catch((error: unknown) => ({ status: undefined, message: String(error) }));
  if (list.status !== "0") failures.push(`Containers/List over gRPC: ${list.status} ${list.message}`);
  const connect = await fetch(`${tcpUrl}/containerd.services.containers.v1.Containers/List`, {
    method: "POST",
    headers: { "content-type": "application/json", "containerd-namespace": "probe" },
    body: "{}",
    signal: AbortSignal.timeout(10_000),
  }).then(
    (response) => response.status,
    (error: unknown) => String(error),
  );
  if (connect !== 200) failures.push(`Containers/List over Connect: ${connect}`);
  return failures;
}

/** The resident set size of a process in MiB, from `/proc/<pid>/status`. */
export async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) / 1024;
}

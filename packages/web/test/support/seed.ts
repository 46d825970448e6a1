/**
 * Fixtures written straight through @berth/client over berthd's unix socket,
 * not through the UI. The Connect protocol over HTTP/2 costs berthd about half
 * the CPU of gRPC per call, which matters for 10,000 creates on 2 cores.
 */
import { createBerthClient } from "@berth/client";
import { createNodeTransport } from "@berth/client/node";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";

/** containerd's type URL for an OCI runtime spec. */
export const RUNTIME_SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/** A container to create. */
export interface SeedContainer {
  readonly id: string;
  readonly image?: string;
  readonly labels?: Record<string, string>;
}

/** A client of one namespace over berthd's socket (Connect protocol, binary). */
export function socketClient(socket: string, namespace: string) {
  return createBerthClient(createNodeTransport({ address: socket, protocol: "connect" }), { namespace });
}

const SPEC = create(AnySchema, {
  typeUrl: RUNTIME_SPEC_TYPE_URL,
  value: new TextEncoder().encode(JSON.stringify({ ociVersion: "1.0.2-dev", root: { path: "rootfs" } })),
});

/** Creates containers with `concurrency` calls in flight on one HTTP/2 connection. */
export async function seedContainers(
  socket: string,
  namespace: string,
  containers: readonly SeedContainer[],
  concurrency = 128,
): Promise<void> {
  const client = socketClient(socket, namespace);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < containers.length; index = next++) {
      const { id, image = "", labels = {} } = containers[index] as SeedContainer;
      await client.containers.create({
        container: { id, image, labels, runtime: { name: "io.containerd.runc.v2" }, spec: SPEC },
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, containers.length) }, worker));
}

import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";

/** containerd's OCI runtime-spec type URL, as the Go client sends it. */
export const SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/** A valid container to create, with overrides. */
export function newContainer(init: Exclude<MessageInitShape<typeof ContainerSchema>, Container> = {}): Container {
  return create(ContainerSchema, {
    id: "c1",
    runtime: { name: "io.containerd.runc.v2" },
    spec: create(AnySchema, { typeUrl: SPEC_TYPE_URL, value: new TextEncoder().encode('{"ociVersion":"1.0.2"}') }),
    ...init,
  });
}

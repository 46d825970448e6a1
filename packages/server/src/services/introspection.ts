import type { Introspection } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import type { IntrospectionLocal } from "../local/introspection.js";

/** `containerd.services.introspection.v1.Introspection` over the introspection rules. */
export function createIntrospectionService(local: IntrospectionLocal): ServiceImpl<typeof Introspection> {
  return {
    plugins(request) {
      return { plugins: local.plugins(request.filters) };
    },
    async server() {
      return { uuid: await local.serverUuid() };
    },
  };
}

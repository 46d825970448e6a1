import { ContainerSchema, type Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ContainersLocal } from "../local/containers.js";
import { requestNamespaceKey } from "./context.js";

/**
 * `containerd.services.containers.v1.Containers`: decodes each request, calls the
 * containers rules with the request's namespace, and encodes the answer.
 */
export function createContainersService(local: ContainersLocal): ServiceImpl<typeof Containers> {
  return {
    async get(request, context) {
      const container = await local.get(context.values.get(requestNamespaceKey), request.id);
      return { container };
    },

    async list(request, context) {
      const containers = [];
      const matches = local.list(context.values.get(requestNamespaceKey), request.filters, {
        signal: context.signal,
      });
      for await (const container of matches) containers.push(container);
      return { containers };
    },

    async *listStream(request, context) {
      const matches = local.list(context.values.get(requestNamespaceKey), request.filters, {
        signal: context.signal,
      });
      for await (const container of matches) yield { container };
    },

    async create(request, context) {
      const requested = request.container ?? create(ContainerSchema);
      const container = await local.create(context.values.get(requestNamespaceKey), requested);
      return { container };
    },

    async update(request, context) {
      const patch = request.container ?? create(ContainerSchema);
      const paths = request.updateMask?.paths ?? [];
      const container = await local.update(context.values.get(requestNamespaceKey), patch, paths);
      return { container };
    },

    async delete(request, context) {
      await local.delete(context.values.get(requestNamespaceKey), request.id);
      return {};
    },
  };
}

import { type Leases, ResourceSchema } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { LeasesLocal } from "../local/leases.js";
import { requestNamespaceKey } from "./context.js";

/** `containerd.services.leases.v1.Leases` over the lease rules. */
export function createLeasesService(local: LeasesLocal): ServiceImpl<typeof Leases> {
  return {
    async create(request, context) {
      return { lease: await local.create(context.values.get(requestNamespaceKey), request.id, request.labels) };
    },

    async delete(request, context) {
      await local.delete(context.values.get(requestNamespaceKey), request.id);
      return {};
    },

    async list(request, context) {
      const leases = [];
      for await (const lease of local.list(context.values.get(requestNamespaceKey), request.filters))
        leases.push(lease);
      return { leases };
    },

    async addResource(request, context) {
      const resource = request.resource ?? create(ResourceSchema);
      await local.addResource(context.values.get(requestNamespaceKey), request.id, resource);
      return {};
    },

    async deleteResource(request, context) {
      const resource = request.resource ?? create(ResourceSchema);
      await local.deleteResource(context.values.get(requestNamespaceKey), request.id, resource);
      return {};
    },

    async listResources(request, context) {
      return { resources: await local.listResources(context.values.get(requestNamespaceKey), request.id) };
    },
  };
}

import {
  ListNamespacesResponseSchema,
  NamespaceSchema,
  type Namespaces,
} from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { NamespacesLocal } from "../local/namespaces.js";
import { requestNamespaceKey } from "./context.js";
import { encodedMessage, isBinaryCall } from "./encoded-fields.js";

// Field number of `namespaces` in ListNamespacesResponse (containerd's namespace.proto).
const NAMESPACES_FIELD = 1;

/** `containerd.services.namespaces.v1.Namespaces` over the namespace rules. */
export function createNamespacesService(local: NamespacesLocal): ServiceImpl<typeof Namespaces> {
  return {
    async get(request) {
      return { namespace: await local.get(request.name) };
    },

    async list(_request, context) {
      // Binary protocols get the stored records as they are, without decoding them.
      if (isBinaryCall(context)) {
        return encodedMessage(ListNamespacesResponseSchema, NAMESPACES_FIELD, await local.listEncoded());
      }
      const namespaces = [];
      for await (const namespace of local.list(context.signal)) namespaces.push(namespace);
      return { namespaces };
    },

    async create(request, context) {
      const requested = request.namespace ?? create(NamespaceSchema);
      return { namespace: await local.create(context.values.get(requestNamespaceKey), requested) };
    },

    async update(request, context) {
      const requested = request.namespace ?? create(NamespaceSchema);
      await local.update(context.values.get(requestNamespaceKey), requested, request.updateMask?.paths ?? []);
      // containerd answers with an empty namespace, not the updated one.
      return { namespace: create(NamespaceSchema) };
    },

    async delete(request) {
      await local.delete(request.name);
      return {};
    },
  };
}

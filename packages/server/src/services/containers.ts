import {
  ContainerSchema,
  type Containers,
  GetContainerResponseSchema,
  ListContainerMessageSchema,
  ListContainersResponseSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ContainersLocal } from "../local/containers.js";
import { requestNamespaceKey } from "./context.js";
import { encodedMessage, isBinaryCall } from "./encoded-fields.js";
import { createLargeResponses, LARGE_RESPONSE_BYTES, type LargeResponses } from "./large-responses.js";

// Field numbers of the `container(s)` field in the read responses (containerd's containers.proto).
const CONTAINER_FIELD = 1;

/**
 * `containerd.services.containers.v1.Containers`: decodes each request, calls the
 * containers rules with the request's namespace, and encodes the answer. Reads
 * over binary protocols send the stored bytes without decoding them.
 */
export function createContainersService(
  local: ContainersLocal,
  largeResponses: LargeResponses = createLargeResponses(),
): ServiceImpl<typeof Containers> {
  return {
    async get(request, context) {
      const stored = await local.get(context.values.get(requestNamespaceKey), request.id);
      return isBinaryCall(context)
        ? encodedMessage(GetContainerResponseSchema, CONTAINER_FIELD, [stored.bytes])
        : { container: stored.container };
    },

    async list(request, context) {
      const matches = local.list(context.values.get(requestNamespaceKey), request.filters, {
        signal: context.signal,
      });
      const stored = [];
      let bytes = 0;
      let release: (() => void) | undefined;
      try {
        for await (const container of matches) {
          stored.push(container);
          bytes += container.bytes.length;
          if (release === undefined && bytes > LARGE_RESPONSE_BYTES)
            release = await largeResponses.acquire(context.signal);
        }
        return isBinaryCall(context)
          ? encodedMessage(
              ListContainersResponseSchema,
              CONTAINER_FIELD,
              stored.map((s) => s.bytes),
            )
          : { containers: stored.map((s) => s.container) };
      } finally {
        release?.();
      }
    },

    async *listStream(request, context) {
      const binary = isBinaryCall(context);
      const matches = local.list(context.values.get(requestNamespaceKey), request.filters, {
        signal: context.signal,
      });
      for await (const stored of matches) {
        yield binary
          ? encodedMessage(ListContainerMessageSchema, CONTAINER_FIELD, [stored.bytes])
          : { container: stored.container };
      }
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

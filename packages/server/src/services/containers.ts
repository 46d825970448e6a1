import {
  ContainerSchema,
  type Containers,
  GetContainerResponseSchema,
  ListContainerMessageSchema,
  ListContainersResponseSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ContainersLocal } from "../local/containers.js";
import { requestNamespaceKey } from "./context.js";
import { encodedMessage, isBinaryCall } from "./encoded-fields.js";
import { createLargeResponses, LARGE_RESPONSE_BYTES, type LargeResponses } from "./large-responses.js";

// Field numbers of the `container(s)` field in the read responses (containerd's containers.proto).
const CONTAINER_FIELD = 1;

/** containerd's limit on a message it sends (grpc.MaxSendMsgSize(16 << 20)). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * `containerd.services.containers.v1.Containers`: decodes each request, calls the
 * containers rules with the request's namespace, and encodes the answer. Reads
 * over binary protocols send the stored bytes without decoding them.
 */
export function createContainersService(
  local: ContainersLocal,
  largeResponses: LargeResponses = createLargeResponses(),
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
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
          bytes += encodedEntryBytes(container.bytes.length);
          // containerd builds the whole answer before its send fails; stopping here costs no more than the limit.
          if (bytes > maxMessageBytes) throw tooLarge(stored.length, maxMessageBytes);
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

/** Bytes one container adds to a ListContainersResponse: its tag, its length's varint, itself. */
function encodedEntryBytes(length: number): number {
  let varint = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) varint++;
  return 1 + varint + length;
}

/** The answer passed the message limit: the error a client of containerd gets, said without the final size. */
function tooLarge(containers: number, limit: number): ConnectError {
  return new ConnectError(
    `grpc: trying to send message larger than max (more than ${limit} bytes after ${containers} containers vs. ${limit}); ListStream sends any number`,
    Code.ResourceExhausted,
  );
}

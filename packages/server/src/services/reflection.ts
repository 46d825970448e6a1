import {
  type ServerReflectionRequest as RequestV1,
  ServerReflection as ServerReflectionV1,
} from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import {
  type ServerReflectionRequest as RequestV1alpha,
  ServerReflection as ServerReflectionV1alpha,
} from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescService } from "@bufbuild/protobuf";
import { Code, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { ANY_PAYLOAD_FILES } from "./any-payloads.js";
import { createDescriptorIndex, type DescriptorIndex } from "./descriptors.js";

/** `grpc.reflection.v1.ServerReflection` and its identical predecessor `v1alpha`, over the same descriptors. */
export interface ReflectionServices {
  readonly v1: ServiceImpl<typeof ServerReflectionV1>;
  readonly v1alpha: ServiceImpl<typeof ServerReflectionV1alpha>;
}

/**
 * gRPC server reflection describing `services` (list them all, the reflection
 * services included), so that `grpcurl` and `buf curl` need no local schema.
 * Each request on the stream is answered in order; an unknown file or symbol
 * is answered with an `error_response` (NOT_FOUND), not a stream error.
 */
export function createReflectionServices(services: readonly DescService[]): ReflectionServices {
  const index = createDescriptorIndex(services, ANY_PAYLOAD_FILES);
  return {
    v1: { serverReflectionInfo: (requests) => answerEach(index, requests) },
    v1alpha: { serverReflectionInfo: (requests) => answerEach(index, requests) },
  };
}

/** Registers both reflection versions on `router`, describing `services`. */
export function registerReflection(router: ConnectRouter, services: readonly DescService[]): void {
  const reflection = createReflectionServices(services);
  router.service(ServerReflectionV1, reflection.v1);
  router.service(ServerReflectionV1alpha, reflection.v1alpha);
}

type ReflectionRequest = RequestV1 | RequestV1alpha;

/** The `message_response` oneof, in the shape both versions accept. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

async function* answerEach<Request extends ReflectionRequest>(
  index: DescriptorIndex,
  requests: AsyncIterable<Request>,
) {
  for await (const request of requests) {
    yield { validHost: request.host, originalRequest: request, messageResponse: answer(index, request) };
  }
}

function answer(index: DescriptorIndex, { messageRequest }: ReflectionRequest): Answer {
  switch (messageRequest.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.fileByName(messageRequest.value), `file not found: ${messageRequest.value}`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(messageRequest.value), `symbol not found: ${messageRequest.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      return files(
        index.fileContainingExtension(containingType, extensionNumber),
        `extension not found: ${containingType} number ${extensionNumber}`,
      );
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(messageRequest.value);
      if (numbers === undefined) return notFound(`message type not found: ${messageRequest.value}`);
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: messageRequest.value, extensionNumber: [...numbers] },
      };
    }
    case undefined:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "message_request is not set" },
      };
  }
}

function files(encoded: readonly Uint8Array[] | undefined, missing: string): Answer {
  if (encoded === undefined) return notFound(missing);
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: [...encoded] } };
}

function notFound(errorMessage: string): Answer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage } };
}

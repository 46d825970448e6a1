import { Containers } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { Health } from "@berth/gen/grpc/health/v1/health_pb.js";
import {
  type ServerReflectionResponse,
  ServerReflection as ServerReflectionV1,
} from "@berth/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "@berth/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createFileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { createAsyncIterable, createWritableIterable } from "@connectrpc/connect/protocol";
import { describe, expect, it } from "vitest";
import { registerReflection } from "../../src/services/reflection.js";

type RequestInit = MessageInitShape<typeof ServerReflectionV1.method.serverReflectionInfo.input>;

const CONTAINERS_PROTO = "containerd/services/containers/v1/containers.proto";
const CONTAINERS_WITH_IMPORTS = [
  CONTAINERS_PROTO,
  "google/protobuf/any.proto",
  "google/protobuf/empty.proto",
  "google/protobuf/field_mask.proto",
  "google/protobuf/timestamp.proto",
];
const SERVED = [
  "containerd.services.containers.v1.Containers",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

function createTransport() {
  return createRouterTransport((router) => {
    router.service(Containers, {});
    router.service(Health, {});
    registerReflection(router, [
      ...router.handlers.map((handler) => handler.service),
      ServerReflectionV1,
      ServerReflectionV1alpha,
    ]);
  });
}

const v1 = () => createClient(ServerReflectionV1, createTransport());

/** Sends the requests on one stream and collects every answer. */
async function ask(...requests: RequestInit[]): Promise<ServerReflectionResponse[]> {
  const answers: ServerReflectionResponse[] = [];
  for await (const answer of v1().serverReflectionInfo(createAsyncIterable(requests))) answers.push(answer);
  return answers;
}

async function askOne(request: RequestInit): Promise<ServerReflectionResponse> {
  const [answer, ...rest] = await ask(request);
  expect(rest).toEqual([]);
  if (answer === undefined) throw new Error("no answer");
  return answer;
}

function decodedFiles(answer: ServerReflectionResponse): FileDescriptorProto[] {
  expect(answer.messageResponse.case).toBe("fileDescriptorResponse");
  if (answer.messageResponse.case !== "fileDescriptorResponse") return [];
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
}

function fileNames(answer: ServerReflectionResponse): string[] {
  return decodedFiles(answer).map((file) => file.name);
}

function symbolRequest(symbol: string): RequestInit {
  return { messageRequest: { case: "fileContainingSymbol", value: symbol } };
}

describe("list_services", () => {
  it("lists every served service, sorted, on v1 and v1alpha", async () => {
    const request = { host: "localhost", messageRequest: { case: "listServices", value: "*" } } as const;
    const viaV1 = await askOne(request);
    expect(viaV1.messageResponse).toMatchObject({ case: "listServicesResponse" });
    if (viaV1.messageResponse.case !== "listServicesResponse") return;
    expect(viaV1.messageResponse.value.service.map((service) => service.name)).toEqual(SERVED);

    const alpha = createClient(ServerReflectionV1alpha, createTransport());
    const viaAlpha = [];
    for await (const answer of alpha.serverReflectionInfo(createAsyncIterable([request]))) viaAlpha.push(answer);
    expect(viaAlpha).toHaveLength(1);
    expect(viaAlpha[0]?.validHost).toBe("localhost");
    expect(viaAlpha[0]?.originalRequest?.messageRequest).toEqual({ case: "listServices", value: "*" });
    expect(viaAlpha[0]?.messageResponse.case).toBe("listServicesResponse");
    if (viaAlpha[0]?.messageResponse.case !== "listServicesResponse") return;
    expect(viaAlpha[0].messageResponse.value.service.map((service) => service.name)).toEqual(SERVED);
  });
});

describe("file_by_filename", () => {
  it("returns the file first, then its transitive imports, each once", async () => {
    const answer = await askOne({ host: "h", messageRequest: { case: "fileByFilename", value: CONTAINERS_PROTO } });
    expect(answer.validHost).toBe("h");
    expect(answer.originalRequest?.messageRequest).toEqual({ case: "fileByFilename", value: CONTAINERS_PROTO });
    expect(fileNames(answer)).toEqual(CONTAINERS_WITH_IMPORTS);
  });

  it("returns descriptors a client can rebuild the schema from", async () => {
    const answer = await askOne({ messageRequest: { case: "fileByFilename", value: CONTAINERS_PROTO } });
    const [first, ...imports] = decodedFiles(answer);
    if (first === undefined) throw new Error("no file");
    const byName = new Map(imports.map((file) => [file.name, file]));
    const registry = createFileRegistry(first, (name) => byName.get(name));
    expect(registry.getService("containerd.services.containers.v1.Containers")?.methods.map((m) => m.name)).toEqual([
      "Get",
      "List",
      "ListStream",
      "Create",
      "Update",
      "Delete",
    ]);
    const container = registry.getMessage("containerd.services.containers.v1.Container");
    expect(container?.field.createdAt?.message?.typeName).toBe("google.protobuf.Timestamp");
    expect(container?.field.createdAt?.jsonName).toBe("createdAt");
  });

  it("serves well-known type files on their own", async () => {
    expect(
      fileNames(await askOne({ messageRequest: { case: "fileByFilename", value: "google/protobuf/timestamp.proto" } })),
    ).toEqual(["google/protobuf/timestamp.proto"]);
  });

  it("answers an unknown file with NOT_FOUND on the stream", async () => {
    const answer = await askOne({ messageRequest: { case: "fileByFilename", value: "no/such.proto" } });
    expect(answer.messageResponse).toMatchObject({
      case: "errorResponse",
      value: { errorCode: Code.NotFound, errorMessage: "file not found: no/such.proto" },
    });
  });
});

describe("file_containing_symbol", () => {
  it.each([
    ["a service", "containerd.services.containers.v1.Containers"],
    ["a method", "containerd.services.containers.v1.Containers.ListStream"],
    ["a message", "containerd.services.containers.v1.Container"],
    ["a nested message", "containerd.services.containers.v1.Container.Runtime"],
    ["a field", "containerd.services.containers.v1.Container.Runtime.options"],
  ])("finds the file declaring %s", async (_, symbol) => {
    expect(fileNames(await askOne(symbolRequest(symbol)))).toEqual(CONTAINERS_WITH_IMPORTS);
  });

  it("finds enums and enum values (named in the enum's enclosing scope)", async () => {
    for (const symbol of [
      "grpc.health.v1.HealthCheckResponse.ServingStatus",
      "grpc.health.v1.HealthCheckResponse.SERVING",
    ]) {
      expect(fileNames(await askOne(symbolRequest(symbol)))).toEqual(["grpc/health/v1/health.proto"]);
    }
  });

  it("finds well-known types reached through imports", async () => {
    expect(fileNames(await askOne(symbolRequest("google.protobuf.FieldMask")))).toEqual([
      "google/protobuf/field_mask.proto",
    ]);
  });

  it("answers an unknown symbol with NOT_FOUND on the stream", async () => {
    for (const symbol of [
      "containerd.services.containers.v1.Nope",
      "containerd.services.containers.v1.Containers.Nope",
    ]) {
      const answer = await askOne(symbolRequest(symbol));
      expect(answer.messageResponse).toMatchObject({
        case: "errorResponse",
        value: { errorCode: 5, errorMessage: `symbol not found: ${symbol}` },
      });
    }
  });
});

describe("extensions", () => {
  it("lists no extension numbers for a known message, NOT_FOUND for an unknown one", async () => {
    const [known, unknown] = await ask(
      { messageRequest: { case: "allExtensionNumbersOfType", value: "containerd.services.containers.v1.Container" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "nope.Nope" } },
    );
    expect(known?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "containerd.services.containers.v1.Container", extensionNumber: [] },
    });
    expect(unknown?.messageResponse).toMatchObject({
      case: "errorResponse",
      value: { errorCode: Code.NotFound, errorMessage: "message type not found: nope.Nope" },
    });
  });

  it("answers file_containing_extension with NOT_FOUND: none are declared", async () => {
    const answer = await askOne({
      messageRequest: {
        case: "fileContainingExtension",
        value: { containingType: "containerd.services.containers.v1.Container", extensionNumber: 100 },
      },
    });
    expect(answer.messageResponse).toMatchObject({
      case: "errorResponse",
      value: {
        errorCode: Code.NotFound,
        errorMessage: "extension not found: containerd.services.containers.v1.Container number 100",
      },
    });
  });
});

describe("the stream", () => {
  it("answers several requests in order, errors included, and echoes each request", async () => {
    const requests: RequestInit[] = [
      { messageRequest: { case: "listServices", value: "" } },
      symbolRequest("no.Such"),
      { messageRequest: { case: "fileByFilename", value: "google/protobuf/empty.proto" } },
      symbolRequest("containerd.services.containers.v1.Containers.Get"),
      {},
    ];
    const answers = await ask(...requests);
    expect(answers.map((answer) => answer.messageResponse.case)).toEqual([
      "listServicesResponse",
      "errorResponse",
      "fileDescriptorResponse",
      "fileDescriptorResponse",
      "errorResponse",
    ]);
    expect(answers.map((answer) => answer.originalRequest?.messageRequest.value)).toEqual([
      "",
      "no.Such",
      "google/protobuf/empty.proto",
      "containerd.services.containers.v1.Containers.Get",
      undefined,
    ]);
    expect(answers[4]?.messageResponse).toMatchObject({ value: { errorCode: Code.InvalidArgument } });
  });

  it("answers each request before the client sends the next", async () => {
    const requests = createWritableIterable<RequestInit>();
    const answers = v1().serverReflectionInfo(requests)[Symbol.asyncIterator]();
    for (const symbol of ["containerd.services.containers.v1.Container", "grpc.health.v1.Health"]) {
      void requests.write(symbolRequest(symbol));
      const next = await answers.next();
      expect(next.done).toBe(false);
      expect(next.value?.originalRequest?.messageRequest.value).toBe(symbol);
    }
    requests.close();
    expect((await answers.next()).done).toBe(true);
  });
});

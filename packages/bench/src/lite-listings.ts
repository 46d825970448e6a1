/**
 * A client for List and ListStream that does not decode the containers.
 *
 * Decoding 5,000 containers with protobuf-es costs this process about as much
 * CPU as a server spends producing them, so with the generated client the load
 * generator, not the server, would set the pace of every listing. This client
 * calls the same methods (same paths, same request bytes) but reads each
 * container as opaque bytes: `repeated bytes containers = 1` has the wire format
 * of `repeated Container containers = 1`. It is used for berthd and containerd alike.
 */
import { NAMESPACE_HEADER } from "@berth/client";
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from "@bufbuild/protobuf/wkt";
import { type CallOptions, createClient, type Transport } from "@connectrpc/connect";

const PACKAGE = "containerd.services.containers.v1";

const field = (name: string, number: number, type: Type, label: Label) => ({
  name,
  number,
  type,
  label,
  jsonName: name,
});

/** containerd's Containers service, reduced to the two listings, with containers left encoded. */
const LiteContainers: DescService = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "berth/bench/lite_containers.proto",
    package: PACKAGE,
    syntax: "proto3",
    messageType: [
      { name: "ListContainersRequest", field: [field("filters", 1, Type.STRING, Label.REPEATED)] },
      { name: "ListContainersResponse", field: [field("containers", 1, Type.BYTES, Label.REPEATED)] },
      { name: "ListContainerMessage", field: [field("container", 1, Type.BYTES, Label.OPTIONAL)] },
    ],
    service: [
      {
        name: "Containers",
        method: [
          {
            name: "List",
            inputType: `.${PACKAGE}.ListContainersRequest`,
            outputType: `.${PACKAGE}.ListContainersResponse`,
          },
          {
            name: "ListStream",
            inputType: `.${PACKAGE}.ListContainersRequest`,
            outputType: `.${PACKAGE}.ListContainerMessage`,
            serverStreaming: true,
          },
        ],
      },
    ],
  }),
  () => undefined,
).getService(`${PACKAGE}.Containers`) as DescService;

/** Listings of one namespace that count containers without decoding them. */
export interface LiteListings {
  /** List: the number of containers in the one response. */
  list(filters?: readonly string[]): Promise<number>;
  /** ListStream: the number of messages received. */
  listStream(filters?: readonly string[]): Promise<number>;
}

/** Builds the listings over a transport (the target's one connection), in `namespace`. */
export function createLiteListings(transport: Transport, namespace: string): LiteListings {
  // The descriptor is built at run time, so the client's type is spelled out here: the messages above.
  const client = createClient(LiteContainers, transport) as unknown as {
    list(request: { filters: string[] }, options: CallOptions): Promise<{ containers: Uint8Array[] }>;
    listStream(request: { filters: string[] }, options: CallOptions): AsyncIterable<{ container: Uint8Array }>;
  };
  const options: CallOptions = { headers: { [NAMESPACE_HEADER]: namespace } };
  return {
    async list(filters = []) {
      const response = await client.list({ filters: [...filters] }, options);
      return response.containers.length;
    },
    async listStream(filters = []) {
      let received = 0;
      for await (const message of client.listStream({ filters: [...filters] }, options)) {
        if (message.container.length > 0) received += 1;
      }
      return received;
    },
  };
}

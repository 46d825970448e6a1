// The calls every client stack makes in the compatibility tier, with the code and decoded message
// containerd 1.6.20 answers to each (the texts checked against it with the real ctr and the probe
// of docs/compatibility.md). Requests are protobuf bytes, so every stack sends exactly the same.
import {
  CreateContainerRequestSchema,
  GetContainerRequestSchema,
  GetContainerResponseSchema,
  ListContainerMessageSchema,
  ListContainersRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { CreateNamespaceRequestSchema } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { create, type DescMessage, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";

/** The namespace the tier's containers live in. */
export const COMPAT_NAMESPACE = "compat";
/** Containers seeded in {@link COMPAT_NAMESPACE} before the calls. */
export const SEEDED_IDS = ["c1", "c2"] as const;

const ID_PATTERN = "^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$";
const CONTAINERS = "/containerd.services.containers.v1.Containers";

/** One call, as every stack's driver takes it. */
export interface CompatCall {
  /** gRPC path, `/package.Service/Method`. */
  readonly method: string;
  /** `containerd-namespace` header; none when empty. */
  readonly namespace: string;
  readonly request: Uint8Array;
  /** Server streaming (else unary). */
  readonly stream: boolean;
}

/** What a stack saw: the status and each response message. */
export interface CompatResult {
  readonly code: number;
  readonly message: string;
  readonly responses: readonly Uint8Array[];
}

/** A call and what containerd answers. */
export interface CompatCase {
  readonly title: string;
  readonly call: CompatCall;
  readonly code: number;
  readonly message: string;
  /** The responses as the test compares them (ids of containers). */
  readonly responses?: readonly string[];
  readonly decode?: (bytes: Uint8Array) => string;
}

function bytes<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array {
  return toBinary(schema, create(schema, init));
}

export const COMPAT_CASES: readonly CompatCase[] = [
  {
    title: "Containers.Get of a seeded container",
    call: {
      method: `${CONTAINERS}/Get`,
      namespace: COMPAT_NAMESPACE,
      request: bytes(GetContainerRequestSchema, { id: "c1" }),
      stream: false,
    },
    code: 0,
    message: "",
    responses: ["c1"],
    decode: (response) => fromBinary(GetContainerResponseSchema, response).container?.id ?? "",
  },
  {
    title: "Containers.ListStream: one message per container",
    call: {
      method: `${CONTAINERS}/ListStream`,
      namespace: COMPAT_NAMESPACE,
      request: bytes(ListContainersRequestSchema, {}),
      stream: true,
    },
    code: 0,
    message: "",
    responses: [...SEEDED_IDS],
    decode: (response) => fromBinary(ListContainerMessageSchema, response).container?.id ?? "",
  },
  {
    title: "Containers.Get of a missing id (quotes and spaces in the message)",
    call: {
      method: `${CONTAINERS}/Get`,
      namespace: COMPAT_NAMESPACE,
      request: bytes(GetContainerRequestSchema, { id: "missing" }),
      stream: false,
    },
    code: 5,
    message: `container "missing" in namespace "${COMPAT_NAMESPACE}": not found`,
  },
  {
    title: "Containers.List without a namespace",
    call: { method: `${CONTAINERS}/List`, namespace: "", request: new Uint8Array(), stream: false },
    code: 9,
    message: "namespace is required: failed precondition",
  },
  {
    title: "Containers.ListStream with a malformed filter (headers-only answer on a stream)",
    call: {
      method: `${CONTAINERS}/ListStream`,
      namespace: COMPAT_NAMESPACE,
      request: bytes(ListContainersRequestSchema, { filters: ["id~="] }),
      stream: true,
    },
    code: 3,
    message: "filters: parse error: [id~=]: expected value or quoted: invalid argument: invalid argument",
  },
  {
    title: "Containers.Create with an invalid id (regex punctuation in the message)",
    call: {
      method: `${CONTAINERS}/Create`,
      namespace: COMPAT_NAMESPACE,
      request: bytes(CreateContainerRequestSchema, {
        container: { id: "Bad Id", runtime: { name: "io.containerd.runc.v2" } },
      }),
      stream: false,
    },
    code: 3,
    message: `create container failed validation: container.ID: identifier "Bad Id" must match ${ID_PATTERN}: invalid argument`,
  },
  {
    title: "Namespaces.Create with a non-ASCII name (UTF-8 in the message)",
    call: {
      method: "/containerd.services.namespaces.v1.Namespaces/Create",
      namespace: "",
      request: bytes(CreateNamespaceRequestSchema, { namespace: { name: "ü-ns" } }),
      stream: false,
    },
    code: 3,
    message: `identifier "ü-ns" must match ${ID_PATTERN}: invalid argument`,
  },
  {
    title: "a service berthd does not serve",
    call: {
      method: "/containerd.services.images.v1.Images/List",
      namespace: COMPAT_NAMESPACE,
      request: new Uint8Array(),
      stream: false,
    },
    code: 12,
    message: "unknown service containerd.services.images.v1.Images",
  },
  {
    title: "a streaming method of a service berthd does not serve",
    call: {
      method: "/containerd.services.content.v1.Content/ListStatuses",
      namespace: COMPAT_NAMESPACE,
      request: new Uint8Array(),
      stream: true,
    },
    code: 12,
    message: "unknown service containerd.services.content.v1.Content",
  },
  {
    title: "a method berthd's Tasks does not have",
    call: {
      method: "/containerd.services.tasks.v1.Tasks/List",
      namespace: COMPAT_NAMESPACE,
      request: new Uint8Array(),
      stream: false,
    },
    code: 12,
    message: "unknown method List for service containerd.services.tasks.v1.Tasks",
  },
];

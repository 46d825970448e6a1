import { createContextKey } from "@connectrpc/connect";
import { type RequestNamespace, resolveNamespace } from "../local/namespace.js";

/** The namespace of a request whose header says `raw` (undefined: absent), checked when a call needs it. */
export function requestNamespace(raw: string | undefined): RequestNamespace {
  return resolveNamespace(raw);
}

/**
 * The request's namespace, resolved once per call from the `containerd-namespace`
 * header by the server (see `rpc/request-context.ts`). Defaults to "absent".
 */
export const requestNamespaceKey = createContextKey<RequestNamespace>(resolveNamespace(undefined), {
  description: "containerd namespace of the request",
});

/**
 * Whether the call's messages travel as protobuf binary, known from its content
 * type when the server reads the request (see `rpc/request-context.ts`).
 * Undefined where no server set it (in-process transports): then the request
 * headers decide.
 */
export const binaryMessagesKey = createContextKey<boolean | undefined>(undefined, {
  description: "the call's messages are protobuf binary",
});

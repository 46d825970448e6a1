import { createContextKey } from "@connectrpc/connect";
import { type RequestNamespace, resolveNamespace } from "../local/namespace.js";

/**
 * The request's namespace, resolved once per call from the `containerd-namespace`
 * header by the server (see `server/request-context.ts`). Defaults to "absent".
 */
export const requestNamespaceKey = createContextKey<RequestNamespace>(resolveNamespace(undefined), {
  description: "containerd namespace of the request",
});

import { NAMESPACE_HEADER } from "@berth/shared/headers";
import { type ContextValues, createContextValues } from "@connectrpc/connect";
import { binaryMessagesKey, requestNamespace, requestNamespaceKey } from "../services/context.js";
import { isBinaryContentType } from "../services/encoded-fields.js";
import type { RequestSource } from "./call-io.js";
import { viaUnixSocketKey } from "./interceptors/auth.js";

/**
 * Context values of one request. The namespace is read from the raw header
 * list because Go takes the *first* value of a repeated `containerd-namespace`,
 * while WHATWG `Headers.get` would join them with ", ".
 */
export function requestContextValues(request: RequestSource): ContextValues {
  const values = createContextValues();
  values.set(requestNamespaceKey, requestNamespace(firstHeader(request.rawHeaders, NAMESPACE_HEADER)));
  values.set(binaryMessagesKey, isBinaryContentType(request.headers["content-type"]));
  if (request.viaUnixSocket) values.set(viaUnixSocketKey, true);
  return values;
}

function firstHeader(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) return rawHeaders[i + 1];
  }
  return undefined;
}

/**
 * A container record as JSON for the details pane's JSON tab: protobuf's JSON
 * mapping, except that `google.protobuf.Any` values are decoded where the app
 * can — an OCI spec becomes its JSON object under `"@type"` — and otherwise
 * kept as `{"@type", "value"}` with the bytes in base64, as containerd's own
 * JSON tools print an Any they do not know.
 */
import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import type { Any } from "@bufbuild/protobuf/wkt";
import { RUNTIME_SPEC_TYPE_URL } from "./spec.js";

/** The whole record as pretty JSON. */
export function containerJson(container: Container): string {
  const bare = create(ContainerSchema, { ...container, spec: undefined, extensions: {}, runtime: undefined });
  const json = toJson(ContainerSchema, bare, { alwaysEmitImplicit: true }) as Record<string, unknown>;
  json.runtime =
    container.runtime === undefined
      ? null
      : {
          name: container.runtime.name,
          options: container.runtime.options === undefined ? null : anyJson(container.runtime.options),
        };
  json.spec = container.spec === undefined ? null : anyJson(container.spec);
  json.extensions = Object.fromEntries(
    Object.entries(container.extensions)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => [key, anyJson(value)]),
  );
  return JSON.stringify(json, null, 2);
}

function anyJson(any: Any): Record<string, unknown> {
  if (any.typeUrl === RUNTIME_SPEC_TYPE_URL) {
    try {
      const decoded: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(any.value));
      if (decoded !== null && typeof decoded === "object" && !Array.isArray(decoded)) {
        return { "@type": any.typeUrl, ...(decoded as Record<string, unknown>) };
      }
    } catch {
      // Not JSON: shown as bytes below.
    }
  }
  return { "@type": any.typeUrl, value: base64Encode(any.value) };
}

import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import type { FieldAdaptor } from "./filters/index.js";
import { ownEntry } from "./labels.js";

/**
 * The fields a container filter can see (containerd `metadata/adaptors.go`):
 * `id`, `image` and `runtime.name` when non-empty, and `labels.<key>` when the key
 * exists. Everything else, e.g. `snapshotter`, is never present.
 */
export function containerFields(container: Container): FieldAdaptor {
  return {
    field(path) {
      if (path.length === 0) return undefined;
      switch (path[0]) {
        case "id":
          return path.length === 1 ? nonEmpty(container.id) : undefined;
        case "image":
          return path.length === 1 ? nonEmpty(container.image) : undefined;
        case "runtime":
          return path.length === 2 && path[1] === "name" ? nonEmpty(container.runtime?.name ?? "") : undefined;
        case "labels":
          return path.length > 1 ? ownEntry(container.labels, path.slice(1).join(".")) : undefined;
        default:
          return undefined;
      }
    },
  };
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}

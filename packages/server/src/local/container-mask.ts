import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../errdefs.js";
import { quoteInput } from "../go-quote.js";
import { ownEntry, setEntry, withoutEmptyLabels } from "./labels.js";

/**
 * Applies an Update request to the stored container and returns the merged record
 * (containerd `metadata/containers.go` Update). Pure: neither argument is changed.
 *
 * With no paths, the mutable fields (labels, spec, extensions, image, snapshot key)
 * are replaced after checking that the immutable ones (snapshotter, runtime name)
 * are unchanged. With paths, each is applied in order and fields it does not name
 * are ignored. Runtime options never change. The result keeps no empty-valued label.
 *
 * @throws BerthError (invalid argument) for an immutable field change or an unknown path.
 */
export function applyContainerMask(stored: Container, patch: Container, paths: readonly string[]): Container {
  const merged = create(ContainerSchema, {
    ...stored,
    labels: { ...stored.labels },
    extensions: { ...stored.extensions },
  });

  if (paths.length === 0) {
    if (patch.snapshotter !== stored.snapshotter) {
      throw invalidArgument("container.Snapshotter field is immutable");
    }
    if ((patch.runtime?.name ?? "") !== (stored.runtime?.name ?? "")) {
      throw invalidArgument("container.Runtime.Name field is immutable");
    }
    merged.labels = { ...patch.labels };
    merged.spec = patch.spec;
    merged.extensions = { ...patch.extensions };
    merged.image = patch.image;
    merged.snapshotKey = patch.snapshotKey;
  }

  for (const path of paths) {
    if (path.startsWith("labels.")) {
      const key = path.slice("labels.".length);
      const value = ownEntry(patch.labels, key);
      if (value === undefined || value === "") delete merged.labels[key];
      else setEntry(merged.labels, key, value);
      continue;
    }
    if (path.startsWith("extensions.")) {
      const key = path.slice("extensions.".length);
      setEntry(merged.extensions, key, ownEntry(patch.extensions, key) ?? create(AnySchema));
      continue;
    }
    switch (path) {
      case "labels":
        merged.labels = { ...patch.labels };
        break;
      case "extensions":
        merged.extensions = { ...patch.extensions };
        break;
      case "spec":
        merged.spec = patch.spec;
        break;
      case "image":
        merged.image = patch.image;
        break;
      case "snapshotkey":
        merged.snapshotKey = patch.snapshotKey;
        break;
      default:
        throw invalidArgument(`cannot update ${quoteInput(path)} field on ${quoteInput(stored.id)}`);
    }
  }

  merged.labels = withoutEmptyLabels(merged.labels);
  return merged;
}

import type { Container } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { BerthError, invalidArgument } from "../errdefs.js";
import { validateIdentifier } from "./identifiers.js";
import { validateLabels } from "./labels.js";

/**
 * Checks a container against containerd's rules, in containerd's order, and
 * throws the first failure (invalid argument). Create and Update add their own
 * prefix.
 *
 * One deliberate deviation: a label with an empty key is rejected here as invalid
 * argument, where containerd accepts it and then fails in storage with Unknown
 * (docs/compatibility.md).
 */
export function validateContainer(container: Container): void {
  try {
    validateIdentifier(container.id);
  } catch (error) {
    throw wrapped(error, "container.ID");
  }
  if (Object.hasOwn(container.extensions, "")) {
    throw invalidArgument("container.Extension keys must not be zero-length");
  }
  try {
    validateLabels(container.labels);
  } catch (error) {
    throw wrapped(error, "containers.Labels");
  }
  if (Object.hasOwn(container.labels, "") && container.labels[""] !== "") {
    throw invalidArgument("containers.Labels: label key must not be empty");
  }
  if ((container.runtime?.name ?? "") === "") {
    throw invalidArgument("container.Runtime.Name must be set");
  }
  if (container.spec === undefined) {
    throw invalidArgument("container.Spec must be set");
  }
  if (container.snapshotKey !== "" && container.snapshotter === "") {
    throw invalidArgument("container.Snapshotter must be set if container.SnapshotKey is set");
  }
}

function wrapped(error: unknown, prefix: string): unknown {
  return error instanceof BerthError ? error.wrap(prefix) : error;
}

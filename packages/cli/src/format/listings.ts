/**
 * The tables of `ns ls` and `leases ls`, laid out as ctr's (tabwriter
 * minwidth 1, padding 1; every cell, the last included, padded).
 */
import type { Lease } from "@berth/gen/containerd/services/leases/v1/leases_pb.js";
import type { Namespace } from "@berth/gen/containerd/services/namespaces/v1/namespace_pb.js";
import { formatLabels } from "../labels.js";
import { CTR_COMPACT_TABWRITER, formatTable } from "./table.js";
import { formatRfc3339, GO_ZERO_TIME } from "./time.js";

/** `ctr ns ls`: `NAME  LABELS`, labels as sorted `k=v` pairs joined with `,` (empty when none). */
export function namespacesTable(list: readonly Namespace[]): string {
  const rows = list.map((namespace) => [namespace.name, formatLabels(namespace.labels)]);
  return formatTable([["NAME", "LABELS"], ...rows], CTR_COMPACT_TABWRITER);
}

/**
 * `ctr leases ls`: `ID  CREATED AT  LABELS`; the creation time in RFC 3339
 * (whole seconds) at `offsetMinutes` east of UTC (default: the local time
 * zone, as ctr), labels as in {@link namespacesTable} or `-` when none.
 */
export function leasesTable(list: readonly Lease[], offsetMinutes?: number): string {
  const rows = list.map((lease) => {
    const ms = Number((lease.createdAt ?? GO_ZERO_TIME).seconds) * 1000;
    const labels = formatLabels(lease.labels);
    return [lease.id, formatRfc3339(ms, offsetMinutes), labels === "" ? "-" : labels];
  });
  return formatTable([["ID", "CREATED AT", "LABELS"], ...rows], CTR_COMPACT_TABWRITER);
}

/** gRPC metadata key carrying containerd's namespace. */
export const NAMESPACE_HEADER = "containerd-namespace";

/** gRPC metadata key carrying the lease a call works under (containerd's `leases.WithLease`). */
export const LEASE_HEADER = "containerd-lease";

/** The namespace containerd's clients use when none is given. */
export const DEFAULT_NAMESPACE = "default";

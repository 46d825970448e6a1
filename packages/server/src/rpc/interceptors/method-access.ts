/**
 * Which methods change nothing, for the read-only credential: every method of
 * containerd 1.6's services (and CRI's, Berth's and gRPC's own) is listed here
 * as reading or as changing, so a reviewer decides for each, and a test checks
 * the containerd lists against containerd's own protos. A method in neither
 * list — a new one, or one of a service Berth does not know — counts as
 * changing: the read-only credential is refused what nobody classified.
 */

/** Methods that only read. */
const READS: Record<string, readonly string[]> = {
  "containerd.services.containers.v1.Containers": ["Get", "List", "ListStream"],
  "containerd.services.content.v1.Content": ["Info", "List", "ListStatuses", "Read", "Status"],
  "containerd.services.diff.v1.Diff": [],
  "containerd.services.events.v1.Events": ["Subscribe"],
  "containerd.services.images.v1.Images": ["Get", "List"],
  "containerd.services.introspection.v1.Introspection": ["Plugins", "Server"],
  "containerd.services.leases.v1.Leases": ["List", "ListResources"],
  "containerd.services.namespaces.v1.Namespaces": ["Get", "List"],
  "containerd.services.snapshots.v1.Snapshots": ["List", "Mounts", "Stat", "Usage"],
  "containerd.services.tasks.v1.Tasks": ["Get", "List", "ListPids", "Metrics", "Wait"],
  "containerd.services.version.v1.Version": ["Version"],
  "runtime.v1.RuntimeService": [
    "Version",
    "Status",
    "ListPodSandbox",
    "PodSandboxStatus",
    "ListContainers",
    "ContainerStatus",
    "ContainerStats",
    "ListContainerStats",
    "PodSandboxStats",
    "ListPodSandboxStats",
    "GetContainerEvents",
    // CRI's later versions (containerd 2.x); listed so a read-only credential may call them there.
    "ListMetricDescriptors",
    "ListPodSandboxMetrics",
  ],
  "runtime.v1.ImageService": ["ListImages", "ImageStatus", "ImageFsInfo"],
  "berth.events.v1.HistoryService": ["List", "Subscribe"],
  "berth.containers.v1.PagesService": ["ListPage"],
  "grpc.health.v1.Health": ["Check", "Watch"],
  "grpc.reflection.v1.ServerReflection": ["ServerReflectionInfo"],
  "grpc.reflection.v1alpha.ServerReflection": ["ServerReflectionInfo"],
};

/** Methods that change something (or run code: Exec), refused to the read-only credential. */
const CHANGES: Record<string, readonly string[]> = {
  "containerd.services.containers.v1.Containers": ["Create", "Update", "Delete"],
  "containerd.services.content.v1.Content": ["Abort", "Delete", "Update", "Write"],
  // Diff writes the diff it computes into the content store.
  "containerd.services.diff.v1.Diff": ["Apply", "Diff"],
  "containerd.services.events.v1.Events": ["Forward", "Publish"],
  "containerd.services.images.v1.Images": ["Create", "Update", "Delete"],
  "containerd.services.introspection.v1.Introspection": [],
  "containerd.services.leases.v1.Leases": ["AddResource", "Create", "Delete", "DeleteResource"],
  "containerd.services.namespaces.v1.Namespaces": ["Create", "Update", "Delete"],
  // View creates a read-only snapshot, but creates it.
  "containerd.services.snapshots.v1.Snapshots": ["Cleanup", "Commit", "Prepare", "Remove", "Update", "View"],
  "containerd.services.tasks.v1.Tasks": [
    "Checkpoint",
    "CloseIO",
    "Create",
    "Delete",
    "DeleteProcess",
    "Exec",
    "Kill",
    "Pause",
    "ResizePty",
    "Resume",
    "Start",
    "Update",
  ],
  "containerd.services.version.v1.Version": [],
  // Exec, Attach and PortForward hand out a URL that runs code in, or reaches into, a container.
  "runtime.v1.RuntimeService": [
    "RunPodSandbox",
    "StopPodSandbox",
    "RemovePodSandbox",
    "CreateContainer",
    "StartContainer",
    "StopContainer",
    "RemoveContainer",
    "UpdateContainerResources",
    "ReopenContainerLog",
    "ExecSync",
    "Exec",
    "Attach",
    "PortForward",
    "UpdateRuntimeConfig",
    "CheckpointContainer",
  ],
  "runtime.v1.ImageService": ["PullImage", "RemoveImage"],
};

const READ_PATHS = new Set(
  Object.entries(READS).flatMap(([service, methods]) => methods.map((method) => `/${service}/${method}`)),
);

const KNOWN_PATHS = new Set([
  ...READ_PATHS,
  ...Object.entries(CHANGES).flatMap(([service, methods]) => methods.map((method) => `/${service}/${method}`)),
]);

/** Whether `path` is a method of a service Berth knows (a bounded set, for metric labels). */
export function isKnownMethod(path: string): boolean {
  return KNOWN_PATHS.has(path);
}

/** Whether the method at `path` (`/package.Service/Method`) only reads. */
export function isReadOnlyMethod(path: string): boolean {
  return READ_PATHS.has(path.split("?", 1)[0] ?? path);
}

/** The classification of containerd's services, for the test that holds it against containerd's protos. */
export const CONTAINERD_METHODS: { readonly reads: typeof READS; readonly changes: typeof CHANGES } = {
  reads: READS,
  changes: CHANGES,
};

/**
 * The container spec as containerd stores it: OCI runtime-spec JSON inside a
 * `google.protobuf.Any` with containerd's bare type URL. Builds the default
 * spec for `create`, packs spec bytes, and decodes them again for display.
 */
import { create, type JsonValue } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

/** Type URL the Go client gives an OCI spec (no `type.googleapis.com/` prefix). */
export const RUNTIME_SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/** OCI runtime-spec version the default spec declares, as containerd 1.6 writes it. */
export const OCI_VERSION = "1.0.2-dev";

/** Where the default spec takes its cgroup path from. */
export interface DefaultSpecOptions {
  /** Namespace of the container (the cgroup parent, as containerd's `/<namespace>/<id>`). */
  readonly namespace: string;
  /** Container id. */
  readonly id: string;
}

const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/**
 * A minimal OCI runtime spec modelled on containerd 1.6's default Unix spec
 * (`oci.populateDefaultUnixSpec`): `sh` in `/` of the `rootfs` bundle directory,
 * default capabilities and mounts, fresh pid/ipc/uts/mount/network namespaces.
 */
export function createDefaultSpec(options: DefaultSpecOptions): JsonValue {
  return {
    ociVersion: OCI_VERSION,
    process: {
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      cwd: "/",
      capabilities: {
        bounding: DEFAULT_CAPABILITIES,
        effective: DEFAULT_CAPABILITIES,
        permitted: DEFAULT_CAPABILITIES,
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs" },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
      },
      {
        destination: "/dev/shm",
        type: "tmpfs",
        source: "shm",
        options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
      },
      { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      {
        destination: "/run",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      cgroupsPath: `/${options.namespace}/${options.id}`,
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

/** Serializes a spec object as compact UTF-8 JSON, as Go's `json.Marshal` would. */
export function encodeSpecJson(spec: JsonValue): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(spec));
}

/**
 * Checks that spec bytes (e.g. a `--spec` file) are UTF-8 JSON and returns them
 * unchanged: the server stores the bytes as given.
 *
 * @param source names the bytes in the error, e.g. `spec file "config.json"`.
 * @throws Error `<source> is not valid JSON: <reason>`.
 */
export function validateSpecJson(bytes: Uint8Array, source: string): Uint8Array {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return bytes;
}

/** Packs OCI spec JSON bytes into an Any with containerd's runtime-spec type URL. */
export function packSpec(json: Uint8Array): Any {
  return create(AnySchema, { typeUrl: RUNTIME_SPEC_TYPE_URL, value: json });
}

/**
 * The spec as a JSON value when it is OCI JSON (runtime-spec type URL and bytes
 * that parse as UTF-8 JSON); `undefined` for any other Any, which callers show raw.
 */
export function decodeSpec(spec: Any): JsonValue | undefined {
  if (spec.typeUrl !== RUNTIME_SPEC_TYPE_URL) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(spec.value)) as JsonValue;
  } catch {
    return undefined;
  }
}

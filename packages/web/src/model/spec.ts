/**
 * The container spec as containerd stores it: OCI runtime-spec JSON in a
 * `google.protobuf.Any` with containerd's bare type URL.
 */
import { create } from "@bufbuild/protobuf";
import { type Any, AnySchema } from "@bufbuild/protobuf/wkt";

/** Type URL containerd's Go client gives an OCI spec. */
export const RUNTIME_SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/** Runtime the create form proposes, as containerd on Linux. */
export const DEFAULT_RUNTIME = "io.containerd.runc.v2";

/** A minimal OCI runtime spec: `sh` in `/` of the bundle's `rootfs`, fresh namespaces. */
export const DEFAULT_SPEC = {
  ociVersion: "1.0.2-dev",
  process: {
    user: { uid: 0, gid: 0 },
    args: ["sh"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    cwd: "/",
  },
  root: { path: "rootfs" },
  linux: {
    namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "network" }],
  },
};

/** The default spec as the create form shows it. */
export function defaultSpecText(): string {
  return JSON.stringify(DEFAULT_SPEC, null, 2);
}

/** Result of {@link packSpecText}. */
export type PackedSpec = { readonly ok: true; readonly spec: Any } | { readonly ok: false; readonly error: string };

/**
 * Packs spec JSON text as containerd's spec Any (compact JSON, as Go's
 * `json.Marshal` writes it). Blank text means {@link DEFAULT_SPEC}, as
 * `berth c create` without `--spec`.
 */
export function packSpecText(text: string): PackedSpec {
  let value: unknown = DEFAULT_SPEC;
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { ok: false, error: `spec is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return { ok: true, spec: create(AnySchema, { typeUrl: RUNTIME_SPEC_TYPE_URL, value: bytes }) };
}

/**
 * The spec as pretty JSON when it is OCI JSON (runtime-spec type URL and bytes
 * that are UTF-8 JSON); `undefined` for anything else, shown as type and size.
 */
export function prettySpec(spec: Any): string | undefined {
  if (spec.typeUrl !== RUNTIME_SPEC_TYPE_URL) return undefined;
  try {
    return JSON.stringify(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(spec.value)), null, 2);
  } catch {
    return undefined;
  }
}

/** `typeUrl (N bytes)` for an Any that is not shown decoded. */
export function describeAny(any: Any): string {
  const size = any.value.length;
  return `${any.typeUrl || "(no type URL)"} (${size.toLocaleString("en")} byte${size === 1 ? "" : "s"})`;
}

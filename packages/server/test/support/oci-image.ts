import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Debian's statically linked busybox (package `busybox-static`). */
export const BUSYBOX = "/bin/busybox";

/**
 * Writes an OCI image archive, built offline, that `ctr images import` takes:
 * one layer holding busybox with `sh` and `sleep` links, its config, a manifest
 * and an index naming the image `name`. Returns the archive's path.
 */
export async function buildBusyboxImage(directory: string, name: string): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), "berth-oci-"));
  try {
    const rootfs = join(work, "rootfs");
    await mkdir(join(rootfs, "bin"), { recursive: true });
    await copyFile(BUSYBOX, join(rootfs, "bin", "busybox"));
    for (const tool of ["sh", "sleep", "cat", "echo"]) await symlink("busybox", join(rootfs, "bin", tool));
    const layout = join(work, "image");
    const blobs = join(layout, "blobs", "sha256");
    await mkdir(blobs, { recursive: true });
    const layerTar = join(work, "layer.tar");
    await run("tar", ["--numeric-owner", "--owner=0", "--group=0", "-C", rootfs, "-cf", layerTar, "bin"]);
    const layer = await blob(blobs, await readFile(layerTar));
    const config = await blob(
      blobs,
      Buffer.from(
        JSON.stringify({
          architecture: "amd64",
          os: "linux",
          config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"] },
          rootfs: { type: "layers", diff_ids: [layer.digest] },
        }),
      ),
    );
    const manifest = await blob(
      blobs,
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
        }),
      ),
    );
    await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await writeFile(
      join(layout, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            ...manifest,
            annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": "latest" },
          },
        ],
      }),
    );
    const archive = join(directory, "busybox.tar");
    await run("tar", ["-C", layout, "-cf", archive, "oci-layout", "index.json", "blobs"]);
    return archive;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function blob(directory: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const hex = createHash("sha256").update(bytes).digest("hex");
  await writeFile(join(directory, hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));
const GOCODE = "/usr/share/gocode/src";

/** Where each import root of containerd's protos lives in Debian's Go source packages. */
const ROOTS: readonly (readonly [string, string])[] = [
  ["github.com/containerd/containerd/api", `${GOCODE}/github.com/containerd/containerd/api`],
  ["github.com/containerd/containerd/protobuf", `${GOCODE}/github.com/containerd/containerd/protobuf`],
  ["gogoproto", `${GOCODE}/github.com/gogo/protobuf/gogoproto`],
  ["google/rpc", `${GOCODE}/github.com/gogo/googleapis/google/rpc`],
];

/**
 * containerd 1.6.20's API protos exactly as Debian's golang-github-containerd-containerd-dev
 * ships them, compiled by buf (gogo's options and all) into descriptors, by file name
 * (`github.com/containerd/containerd/api/…`).
 */
export function debianContainerdProtos(): Map<string, FileDescriptorProto> {
  for (const [, source] of ROOTS) {
    if (!existsSync(source)) {
      throw new Error(`${source} is missing: install golang-github-containerd-containerd-dev`);
    }
  }
  const module = mkdtempSync(join(tmpdir(), "containerd-protos-"));
  for (const [path, source] of ROOTS) {
    mkdirSync(dirname(join(module, path)), { recursive: true });
    symlinkSync(source, join(module, path));
  }
  writeFileSync(join(module, "buf.yaml"), "version: v2\n");
  const output = join(module, "image.binpb");
  execFileSync(BUF, ["build", module, "-o", output], { stdio: ["ignore", "ignore", "pipe"] });
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(output));
  return new Map(set.file.map((file) => [file.name, file]));
}

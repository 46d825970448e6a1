// The proto descriptors compiled into containerd's binary. Go's gogo/protobuf
// registers each .proto file as a gzipped FileDescriptorProto; they sit in the
// binary's data as gzip members, which this finds and inflates.
import { readFileSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** gzip's magic, deflate, no flags, no mtime: how Go's compress/gzip starts a member. */
const GZIP_MEMBER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
/** Larger than any descriptor containerd registers (the biggest, Kubernetes' core/v1, inflates to 66 KiB). */
const MAX_INFLATED = 1 << 20;

/**
 * Every FileDescriptorProto registered in the Go binary at `path`, by file name
 * and package (`name` alone is not unique: CRI's v1 and v1alpha2 are both `api.proto`).
 */
export function embeddedDescriptors(path) {
  const binary = readFileSync(path);
  const found = [];
  for (let at = binary.indexOf(GZIP_MEMBER); at >= 0; at = binary.indexOf(GZIP_MEMBER, at + 1)) {
    let inflated;
    try {
      inflated = gunzipSync(binary.subarray(at, at + MAX_INFLATED), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: MAX_INFLATED,
      });
    } catch {
      continue;
    }
    try {
      const file = fromBinary(FileDescriptorProtoSchema, inflated);
      if (file.name !== "" && file.syntax !== "" && file.package !== "") found.push(file);
    } catch {
      // Compressed data that is no descriptor.
    }
  }
  return found;
}

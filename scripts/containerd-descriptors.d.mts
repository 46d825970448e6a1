import type { FileDescriptorProto } from "@bufbuild/protobuf/wkt";

/**
 * Every FileDescriptorProto registered in the Go binary at `path` (gogo/protobuf
 * keeps each gzipped in the binary's data).
 */
export function embeddedDescriptors(path: string): FileDescriptorProto[];

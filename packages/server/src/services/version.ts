import type { Version } from "@berth/gen/containerd/services/version/v1/version_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";

/** The build a daemon reports: its release and the git revision it was built from. */
export interface DaemonBuild {
  readonly version: string;
  readonly revision: string;
}

/** `containerd.services.version.v1.Version`: Berth's own version and revision (not containerd's). */
export function createVersionService(build: DaemonBuild): ServiceImpl<typeof Version> {
  return {
    version() {
      return { version: build.version, revision: build.revision };
    },
  };
}

import { type Container, ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { fromBinary } from "@bufbuild/protobuf";

/**
 * A container as stored: its protobuf bytes, decoded only when asked. Listings
 * and Gets over binary protocols send the bytes as they are, so most reads never
 * decode a container at all.
 */
export class StoredContainer {
  private decoded: Container | undefined;

  constructor(readonly bytes: Uint8Array) {}

  /** The decoded container (decoded once). */
  get container(): Container {
    this.decoded ??= fromBinary(ContainerSchema, this.bytes);
    return this.decoded;
  }
}

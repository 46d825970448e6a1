import { ListPageResponseSchema, type PagesService } from "@berth/gen/berth/containers/v1/pages_pb.js";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { listPage } from "../local/container-pages.js";
import type { ContainersLocal } from "../local/containers.js";
import { requestNamespaceKey } from "./context.js";

/** `berth.containers.v1.PagesService`: pages of containers in id order, with an optional total. */
export function createPagesService(local: ContainersLocal): ServiceImpl<typeof PagesService> {
  return {
    async listPage(request, context) {
      const page = await listPage(
        local,
        context.values.get(requestNamespaceKey),
        {
          filters: request.filters,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
          startAfter: request.startAfter,
          includeTotal: request.includeTotal,
        },
        context.signal,
      );
      return create(ListPageResponseSchema, {
        containers: page.containers.map((stored) => stored.container),
        nextPageToken: page.nextPageToken,
        ...(page.total === undefined ? {} : { total: page.total }),
      });
    },
  };
}

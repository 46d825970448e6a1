import type { HistoryService } from "@berth/gen/berth/events/v1/history_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import type { HistoryLocal } from "../local/history.js";

/** `berth.events.v1.HistoryService` over the history rules. */
export function createHistoryService(local: HistoryLocal): ServiceImpl<typeof HistoryService> {
  return {
    list(request) {
      return local.list({
        filters: request.filters,
        after: request.after,
        before: request.before,
        since: request.since,
        until: request.until,
        limit: request.limit,
        newestFirst: request.newestFirst,
        pageToken: request.pageToken,
      });
    },

    async *subscribe(request, context) {
      const resume = { filters: request.filters, after: request.after, since: request.since };
      for await (const event of local.subscribe(resume, context.signal)) yield { event };
    },
  };
}

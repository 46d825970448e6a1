import type { Events } from "@berth/gen/containerd/services/events/v1/events_pb.js";
import type { ServiceImpl } from "@connectrpc/connect";
import type { EventsLocal } from "../local/events.js";
import { requestNamespaceKey } from "./context.js";

/** `containerd.services.events.v1.Events` over the events rules. */
export function createEventsService(local: EventsLocal): ServiceImpl<typeof Events> {
  return {
    async publish(request, context) {
      await local.publish(context.values.get(requestNamespaceKey), request.topic, request.event);
      return {};
    },

    async forward(request) {
      await local.forward(request.envelope);
      return {};
    },

    subscribe(request, context) {
      return local.subscribe(request.filters, context.signal);
    },
  };
}

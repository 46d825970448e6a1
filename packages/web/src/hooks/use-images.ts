import { type BerthClient, Code, ConnectError } from "@berth/client";
import type { Image } from "@berth/gen/containerd/services/images/v1/images_pb.js";
import { useEffect, useState } from "preact/hooks";
import { backoffDelay, sleep } from "../live/backoff.js";
import { hasServicePlugin } from "../live/capabilities.js";
import { namespaceEventFilter } from "../live/events.js";
import { errorMessage } from "../model/errors.js";

/** The images of a namespace, or why they cannot be shown. */
export interface ImagesState {
  /** `false` where the server keeps no images (standalone berthd); `undefined` until it answered. */
  readonly supported: boolean | undefined;
  readonly images: readonly Image[];
  readonly loading: boolean;
  readonly error: string | undefined;
}

const IMAGE_TOPICS = /^\/images\//;

/**
 * Images.List of `namespace`, listed again whenever containerd publishes an
 * `/images/*` event there, while `active`; reconnects with backoff.
 */
export function useImages(client: BerthClient, namespace: string, active: boolean): ImagesState {
  const [state, setState] = useState<ImagesState>({
    supported: undefined,
    images: [],
    loading: true,
    error: undefined,
  });
  useEffect(() => {
    const scoped = client.withNamespace(namespace);
    const stopped = new AbortController();
    let failures = 0;
    const list = async () => {
      const { images } = await scoped.images.list({}, { signal: stopped.signal });
      if (stopped.signal.aborted) return;
      failures = 0;
      setState({ supported: true, images, loading: false, error: undefined });
    };
    const run = async () => {
      while (!stopped.signal.aborted) {
        try {
          if (!(await hasServicePlugin(scoped, "images-service", stopped.signal))) {
            setState({ supported: false, images: [], loading: false, error: undefined });
            return;
          }
          await list();
          if (!active) return;
          const request = { filters: [namespaceEventFilter(namespace)] };
          for await (const envelope of scoped.events.subscribe(request, { signal: stopped.signal })) {
            if (IMAGE_TOPICS.test(envelope.topic)) await list();
          }
        } catch (error) {
          if (stopped.signal.aborted) return;
          if (error instanceof ConnectError && error.code === Code.Unimplemented) {
            setState({ supported: false, images: [], loading: false, error: undefined });
            return;
          }
          setState((previous) => ({ ...previous, loading: false, error: errorMessage(error) }));
        }
        await sleep(backoffDelay(failures++), stopped.signal).catch(() => undefined);
      }
    };
    void run();
    return () => stopped.abort();
  }, [client, namespace, active]);
  return state;
}

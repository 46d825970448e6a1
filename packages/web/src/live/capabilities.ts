/**
 * What the server behind the page can do beyond containers. A containerd
 * behind berthd reports its `tasks-service` and `images-service` plugins
 * through Introspection; standalone berthd reports neither — so the app asks
 * once instead of calling a service that would answer Unimplemented.
 */
import type { BerthClient } from "@berth/client";

/** A containerd service plugin the app's views depend on. */
export type ServicePlugin = "tasks-service" | "images-service";

/** Whether the server has `plugin` loaded (present and without an init error). */
export async function hasServicePlugin(
  client: BerthClient,
  plugin: ServicePlugin,
  signal?: AbortSignal,
): Promise<boolean> {
  const { plugins } = await client.introspection.plugins(
    { filters: [`type==io.containerd.service.v1,id==${plugin}`] },
    signal === undefined ? {} : { signal },
  );
  return plugins.some((found) => found.id === plugin && found.initErr === undefined);
}

import type { Plugin } from "@berth/gen/containerd/services/introspection/v1/introspection_pb.js";
import type { FieldAdaptor } from "./filters/index.js";
import { parseListFilters } from "./list-filters.js";

/** containerd's introspection rules: which plugins a filter selects, and the server's identity. */
export interface IntrospectionLocal {
  /**
   * The plugins any of `filters` matches, in registration order. As in containerd, only `type`
   * and `id` can be filtered on; every other field reads as absent.
   * @throws BerthError (invalid argument) when a filter is malformed, with containerd's text.
   */
  plugins(filters: readonly string[]): Plugin[];
  /** The server's UUID, the same across restarts. */
  serverUuid(): Promise<string>;
}

/** Dependencies of {@link createIntrospectionLocal}. */
export interface IntrospectionDependencies {
  /** The plugins this daemon is made of, in registration order. */
  readonly plugins: () => readonly Plugin[];
  readonly serverUuid: () => Promise<string>;
}

/** Builds the introspection rules. */
export function createIntrospectionLocal(dependencies: IntrospectionDependencies): IntrospectionLocal {
  return {
    plugins(filters) {
      const filter = parseListFilters(filters);
      const all = dependencies.plugins();
      return filter === undefined ? [...all] : all.filter((plugin) => filter.match(pluginFields(plugin)));
    },
    serverUuid: dependencies.serverUuid,
  };
}

function pluginFields(plugin: Plugin): FieldAdaptor {
  return {
    field([name]) {
      // containerd reports an empty type or id as absent.
      if (name === "type") return plugin.type === "" ? undefined : plugin.type;
      if (name === "id") return plugin.id === "" ? undefined : plugin.id;
      return undefined;
    },
  };
}

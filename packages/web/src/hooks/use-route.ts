import { useCallback, useEffect, useState } from "preact/hooks";
import { lastNamespace, rememberNamespace } from "../model/namespace.js";
import { formatRoute, parseRoute, type Route } from "../model/route.js";

/** How a route change enters the browser's history. */
export interface NavigateOptions {
  /** Replace the current entry (typing in a filter) instead of adding one (default false). */
  readonly replace?: boolean;
}

/** The current route and a way to change it. */
export interface RouteState {
  readonly route: Route;
  /** Goes to the route with `patch` applied; the URL follows. */
  navigate(patch: Partial<Route>, options?: NavigateOptions): void;
}

const read = () => parseRoute(location.hash, lastNamespace());

/**
 * The route in `location.hash`, following back/forward and pasted links
 * (`hashchange`); navigating writes the hash, so a reload lands on the same view.
 */
export function useRoute(): RouteState {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener("hashchange", onChange);
    // The first address may lack parameters (`/`, `#/leases`): write them out without a new entry.
    history.replaceState(null, "", formatRoute(read()));
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  useEffect(() => rememberNamespace(route.namespace), [route.namespace]);
  const navigate = useCallback((patch: Partial<Route>, options: NavigateOptions = {}) => {
    const next = { ...read(), ...patch };
    const hash = formatRoute(next);
    if (hash !== location.hash) {
      if (options.replace === true) history.replaceState(null, "", hash);
      else history.pushState(null, "", hash);
    }
    setRoute(next);
  }, []);
  return { route, navigate };
}

/**
 * Entry of the browser app: a Berth client over the Connect protocol to the
 * origin that served the page (berthd), sending the tab's bearer token when
 * one was given, and the app rendered into `#app`.
 */
import { createBerthClient } from "@berth/client";
import { createWebTransport } from "@berth/client/web";
import { render } from "preact";
import { App } from "./components/app.js";
import { createCredentials } from "./live/credentials.js";
import { applyTheme, storedTheme } from "./model/theme.js";

applyTheme(storedTheme());
const credentials = createCredentials(sessionStorageOrUndefined());
const client = createBerthClient(
  createWebTransport({ baseUrl: location.origin, interceptors: [credentials.interceptor] }),
);
const root = document.getElementById("app");
if (root !== null) render(<App client={client} credentials={credentials} />, root);

/** sessionStorage, unless the browser forbids it (then the token lasts as long as the page). */
function sessionStorageOrUndefined(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/**
 * Entry of the browser app: a Berth client over the Connect protocol to the
 * origin that served the page (berthd), and the app rendered into `#app`.
 */
import { createBerthClient } from "@berth/client";
import { createWebTransport } from "@berth/client/web";
import { render } from "preact";
import { App } from "./components/app.js";
import { applyTheme, storedTheme } from "./model/theme.js";

applyTheme(storedTheme());
const client = createBerthClient(createWebTransport({ baseUrl: location.origin }));
const root = document.getElementById("app");
if (root !== null) render(<App client={client} />, root);

/**
 * Builds the browser app into dist/, which berthd serves at `/` with a strict
 * CSP: no inline scripts or styles, so everything is emitted as files under
 * dist/assets/ (hashed names, cached for a year by berthd).
 *
 * `vite` (dev server) proxies API calls to a berthd TCP listener:
 * `BERTHD_URL=http://127.0.0.1:8080 pnpm --filter @berth/web dev`.
 */
import { defineConfig } from "vite";

const berthd = process.env.BERTHD_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // The polyfill is for browsers without modulepreload, which the app does not target.
    modulePreload: { polyfill: false },
    // Vite inlines small assets as data: URLs; the CSP allows those only for images.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      "^/(containerd|grpc)\\.": { target: berthd },
    },
  },
});

/**
 * Builds the dashboard (src/dashboard) into dist/dashboard: static files that the HTTP layer
 * serves, shipped in the npm package. No inline script (the page's Content-Security-Policy
 * forbids it), relative URLs (the page works wherever the handler is mounted), and a manifest
 * by which the server tells a build from the sources.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL("./src/dashboard/", import.meta.url)),
  base: "./",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("./dist/dashboard/", import.meta.url)),
    emptyOutDir: true,
    manifest: "manifest.json",
    modulePreload: { polyfill: false },
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
  },
});

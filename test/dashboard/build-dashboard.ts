/**
 * Vitest global setup: builds the dashboard into dist/dashboard when the build is missing or older
 * than its sources, so that servers run from the sources (tsx) in tests serve the current page.
 * `npm run build` makes the same build for the package.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SOURCES = join(ROOT, "src/dashboard");
const CONFIG = join(ROOT, "vite.dashboard.config.ts");
const MARKER = join(ROOT, "dist/dashboard/manifest.json");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!/\.test\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(MARKER).mtimeMs;
  } catch {
    return 0;
  }
}

export default async function buildDashboard(): Promise<void> {
  if (builtAt() >= Math.max(newestSource(SOURCES), statSync(CONFIG).mtimeMs)) return;
  const { build } = await import("vite");
  await build({ configFile: CONFIG, logLevel: "warn" });
}

/**
 * Serves the built dashboard (src/dashboard, built into dist/dashboard and shipped in the
 * package): the page at `/`, its files under `/assets/`. The page speaks only the management API.
 *
 * Invariants kept here:
 * 1. Every answer carries a Content-Security-Policy that allows scripts and styles from this
 *    origin only (no inline script, no eval) and API calls to this origin only.
 * 2. Only the files of the build are served, read once at start; a name that is not one of them
 *    falls through to the routes after (an app's HTTP functions, or 404), never to the disk.
 * 3. Asset names carry a hash of their content: they are cached for good; the page is revalidated.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Context, Hono, Next } from "hono";
import { InvalidArgumentError } from "../core/errors.js";

/** The Content-Security-Policy of the dashboard's answers. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
});

const TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
});

/** The file by which a folder is known to be a build of the dashboard (Vite's manifest). */
const BUILD_MARKER = "manifest.json";

export interface DashboardOptions {
  /** The folder of a dashboard build (default: the one shipped with Perdure). */
  readonly assetsDir?: string | undefined;
}

/**
 * The folder of the dashboard build: beside the compiled HTTP layer in an installed package
 * (`dist/dashboard`), or, when running from the sources, the repository's `dist/dashboard`
 * (`npm run build:dashboard` makes it; `npm test` builds it when the sources are newer).
 */
export function defaultDashboardDir(): string | undefined {
  const candidates = [new URL("../dashboard/", import.meta.url), new URL("../../dist/dashboard/", import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(join(dir, BUILD_MARKER))) return dir;
  }
  return undefined;
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip?: Buffer | undefined;
  readonly etag: string;
  readonly immutable: boolean;
}

function load(path: string, immutable: boolean): Asset {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? "application/octet-stream";
  const compressible = type.startsWith("text/") || type === "image/svg+xml" || type === "application/json";
  return {
    type,
    body,
    gzip: compressible && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
    immutable,
  };
}

/** The page and its assets, read once; undefined when the folder holds no build. */
function loadBuild(dir: string): { page: Asset; assets: Map<string, Asset> } | undefined {
  if (!existsSync(join(dir, BUILD_MARKER)) || !existsSync(join(dir, "index.html"))) return undefined;
  const assets = new Map<string, Asset>();
  const assetsDir = join(dir, "assets");
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) assets.set(name, load(join(assetsDir, name), true));
  }
  return { page: load(join(dir, "index.html"), false), assets };
}

function answer(c: Context, asset: Asset): Response {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-type": asset.type,
    etag: asset.etag,
    "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "accept-encoding",
  };
  if (c.req.header("if-none-match") === asset.etag) return new Response(null, { status: 304, headers });
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (gzip) headers["content-encoding"] = "gzip";
  const body = gzip ? asset.gzip! : asset.body;
  return new Response(c.req.method === "HEAD" ? null : new Uint8Array(body), { status: 200, headers });
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Perdure</title>
<p>The dashboard is not built. In a checkout of Perdure, run <code>npm run build:dashboard</code>, then reload.</p>`;

/**
 * Mounts the dashboard on a router: `GET /` (and `/index.html`) answers the page, `GET
 * /assets/<file>` its files.
 * @throws InvalidArgumentError when `assetsDir` is given and holds no build.
 */
export function mountDashboard(router: Hono, options: DashboardOptions = {}): void {
  const dir = options.assetsDir ?? defaultDashboardDir();
  const build = dir === undefined ? undefined : loadBuild(dir);
  if (build === undefined && options.assetsDir !== undefined) {
    throw new InvalidArgumentError(`Option 'dashboard.assetsDir' must be a folder with a dashboard build (index.html, ${BUILD_MARKER}); '${options.assetsDir}' has none.`);
  }
  const page = (c: Context): Response =>
    build === undefined
      ? new Response(NOT_BUILT, { status: 503, headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8" } })
      : answer(c, build.page);
  router.on(["GET", "HEAD"], "/", page);
  router.on(["GET", "HEAD"], "/index.html", page);
  router.on(["GET", "HEAD"], "/assets/:file", async (c: Context, next: Next) => {
    const asset = build?.assets.get(c.req.param("file")!);
    if (asset === undefined) return next();
    return answer(c, asset);
  });
}

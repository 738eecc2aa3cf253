/**
 * Serving the dashboard build: the page and its files with a Content-Security-Policy that forbids
 * inline script, compression and caching, nothing but the build's files, the size budget of what
 * ships, and the page a checkout without a build gets.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createHttpHandler, type HttpHandlerOptions } from "../../src/index.js";
import { DASHBOARD_CSP, defaultDashboardDir } from "../../src/http/dashboard.js";
import { startRuntime, type TestRuntime } from "../helpers/runtime.js";
import { app } from "./fixture.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let rt: TestRuntime | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function handler(options: Partial<HttpHandlerOptions> = {}) {
  rt ??= startRuntime(app);
  const fetchHandler = createHttpHandler({ app, client: rt.client, logger: silent, ...options });
  return (path: string, headers: Record<string, string> = {}) => fetchHandler(new Request(`http://localhost${path}`, { headers }));
}

const built = defaultDashboardDir()!;
const assets = readdirSync(join(built, "assets"));
const script = assets.find((f) => f.endsWith(".js"))!;

describe("the dashboard build", () => {
  it("is found where the package ships it, and stays under 150 KB of JavaScript and CSS gzipped", () => {
    expect(built.replaceAll("\\", "/")).toMatch(/dist\/dashboard\/$/);
    const shipped = assets.filter((f) => f.endsWith(".js") || f.endsWith(".css"));
    expect(shipped.length).toBeGreaterThanOrEqual(2);
    const gzipped = shipped.reduce((sum, f) => sum + gzipSync(readFileSync(join(built, "assets", f)), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThan(150 * 1024);
  });

  it("has no inline script: every script element loads a file", () => {
    const html = readFileSync(join(built, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe("");
    }
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});

describe("createHttpHandler({ dashboard: true })", () => {
  it("answers the page at / with a Content-Security-Policy that forbids inline script", async () => {
    const get = handler({ dashboard: true });
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toBe(DASHBOARD_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(await page.text()).toContain('<div id="app">');
  });

  it("answers the build's files, gzipped when asked, cached for good, and 304 when unchanged", async () => {
    const get = handler({ dashboard: true });
    const plain = await get(`/assets/${script}`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(plain.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
    const original = Buffer.from(await plain.arrayBuffer());
    expect(original.equals(readFileSync(join(built, "assets", script)))).toBe(true);

    const zipped = await get(`/assets/${script}`, { "accept-encoding": "gzip, br" });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await zipped.arrayBuffer())).equals(original)).toBe(true);

    const again = await get(`/assets/${script}`, { "if-none-match": plain.headers.get("etag")! });
    expect(again.status).toBe(304);
  });

  it("serves nothing but the build: other names fall through to 404, the management API is untouched", async () => {
    const get = handler({ dashboard: true });
    for (const path of ["/assets/..%2F..%2Fpackage.json", "/assets/nope.js", "/manifest.json", "/main.tsx"]) {
      expect((await get(path)).status, path).toBe(404);
    }
    const list = await get("/runtime/webhooks/durabletask/instances");
    expect(list.status).toBe(200);
    expect(list.headers.get("content-security-policy")).toBeNull();
  });

  it("leaves the page out without the option, and lets an app's own GET / answer first", async () => {
    expect((await handler()("/")).status).toBe(404);
    const own = createApp();
    own.http("GET", "/", async () => new Response("the app's own home"));
    const get = handler({ app: own, dashboard: true });
    expect(await (await get("/")).text()).toBe("the app's own home");
    expect((await get(`/assets/${script}`)).status).toBe(200);
  });

  it("refuses an assetsDir that holds no build, and serves another build from assetsDir", async () => {
    const empty = mkdtempSync(join(tmpdir(), "perdure-no-dashboard-"));
    dirs.push(empty);
    expect(() => handler({ dashboard: { assetsDir: empty } })).toThrow(/must be a folder with a dashboard build/);

    const other = mkdtempSync(join(tmpdir(), "perdure-other-dashboard-"));
    dirs.push(other);
    mkdirSync(join(other, "assets"));
    writeFileSync(join(other, "manifest.json"), "{}");
    writeFileSync(join(other, "index.html"), "<!doctype html><title>custom</title>");
    writeFileSync(join(other, "assets", "x.css"), "body{}");
    const get = handler({ dashboard: { assetsDir: other } });
    expect(await (await get("/")).text()).toContain("custom");
    expect((await get("/assets/x.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });
});

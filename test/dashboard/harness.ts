/**
 * What the dashboard's browser tests share: Debian's Chromium driven by playwright-core, a real
 * `perdure dev` (or `serve`) process on a SQLite file, the management API for arranging and
 * checking, and screenshots.
 *
 * Without Chromium at /usr/bin/chromium the suites are skipped with a message, except in CI
 * (CI=true), where they fail: CI must install it (`.ci/run` does).
 *
 * Screenshots go to a temporary folder, removed afterwards, unless PERDURE_SCREENSHOTS names a
 * folder to keep them in (`npm run screenshots` writes the README's, under docs/screenshots).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { describe, it } from "vitest";
import { ROOT, Running, spawnCli } from "../cli/cli-helpers.js";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
export const FIXTURE_APP = "test/dashboard/fixtures/app.ts";
export const BASE_PATH = "/runtime/webhooks/durabletask";

const hasBrowser = existsSync(CHROMIUM);

/**
 * A describe block that needs Chromium: skipped with a clear message without it, failing in CI.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (hasBrowser) {
    describe(name, body);
    return;
  }
  const why = `Chromium is not installed at ${CHROMIUM} (apt-get update && apt-get install -y chromium)`;
  if (process.env.CI) {
    describe(name, () => {
      it("needs Chromium", () => {
        throw new Error(`${why}. CI must run the browser tests: .ci/run installs it when missing.`);
      });
    });
    return;
  }
  console.log(`${name}: skipped, ${why}.`);
  describe.skip(name, body);
}

/** Launches Chromium with the flags this machine's closed network needs, on a fresh profile. */
export async function launchBrowser(): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "perdure-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    headless: true,
    viewport: { width: 1280, height: 800 },
  });
  return {
    browser: context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page that records what must never happen: dialogs, page errors, CSP violations, console errors. */
export interface WatchedPage {
  readonly page: Page;
  readonly dialogs: string[];
  readonly problems: string[];
}

export async function openPage(browser: BrowserContext, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewportSize(viewport);
  const watched: WatchedPage = { page, dialogs: [], problems: [] };
  page.on("dialog", (dialog) => {
    watched.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("pageerror", (error) => watched.problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    // A refused call (401, 404, 413…) is logged by the browser itself; the page shows the API's message.
    if (message.type() === "error" && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      watched.problems.push(`console: ${message.text()}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e: SecurityPolicyViolationEvent) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return watched;
}

/** A `perdure` process serving the fixture app on a fresh SQLite file, on a free port. */
export interface Server {
  readonly url: string;
  readonly api: string;
  readonly grpcPort?: number | undefined;
  readonly process: Running;
  /** Calls the management API; `path` is relative to its base path. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  readonly command?: "dev" | "serve";
  readonly apiKey?: string;
  readonly grpc?: boolean;
  /** An existing store (file or postgres:// URL) instead of a fresh SQLite file. */
  readonly store?: string;
  readonly app?: string;
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), "perdure-dashboard-"));
  const store = options.store ?? join(dir, "dashboard.db");
  const args = [options.command ?? "dev", options.app ?? FIXTURE_APP, "--store", store, "--port", "0", "--log-level", "warn"];
  if (options.apiKey !== undefined) args.push("--api-key", options.apiKey);
  if (options.grpc) args.push("--grpc", "0");
  const running = new Running(spawnCli(args));
  try {
    const [, url] = await running.waitFor(/listening on (http:\/\/[^\s]+)/, 60_000);
    const grpcPort = options.grpc ? Number((await running.waitFor(/gRPC \(Durable Task protocol\): [^:]+:(\d+)/))[1]) : undefined;
    const api = `${url}${BASE_PATH}`;
    return {
      url: url!,
      api,
      grpcPort,
      process: running,
      call: (method, path, body, headers = {}) =>
        fetch(`${api}${path}`, {
          method,
          body: body === undefined ? undefined : JSON.stringify(body),
          headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(options.apiKey ? { "x-api-key": options.apiKey } : {}), ...headers },
        }),
      async stop() {
        await running.stop("SIGTERM");
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await running.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Starts an orchestration through the API; returns its id. */
export async function start(server: Server, name: string, instanceId: string, input?: unknown): Promise<string> {
  const response = await server.call("POST", `/orchestrators/${name}/${encodeURIComponent(instanceId)}`, input);
  if (response.status !== 202) throw new Error(`starting ${name} answered ${response.status}: ${await response.text()}`);
  return instanceId;
}

/** Polls the API until the instance has one of `statuses`. */
export async function waitForStatus(server: Server, instanceId: string, statuses: string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (let delay = 20; ; delay = Math.min(200, delay * 2)) {
    const response = await server.call("GET", `/instances/${encodeURIComponent(instanceId)}`);
    if (response.status === 200 || response.status === 202) {
      const status = (await response.json()) as Record<string, unknown>;
      last = String(status.runtimeStatus);
      if (statuses.includes(last)) return status;
    } else {
      last = `HTTP ${response.status}`;
    }
    if (Date.now() > deadline) throw new Error(`${instanceId} is ${last}, not ${statuses.join(" or ")}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The raw history of an instance, through the API. */
export async function historyOf(server: Server, instanceId: string): Promise<Array<Record<string, unknown>>> {
  const response = await server.call("GET", `/instances/${encodeURIComponent(instanceId)}/history?top=5000`);
  return ((await response.json()) as { events: Array<Record<string, unknown>> }).events;
}

const keptScreens = process.env.PERDURE_SCREENSHOTS ? resolve(ROOT, process.env.PERDURE_SCREENSHOTS) : undefined;
const screens = keptScreens ?? mkdtempSync(join(tmpdir(), "perdure-screens-"));
mkdirSync(screens, { recursive: true });

/** Saves a screenshot of the page as `<name>.png`. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  const path = join(screens, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: "disabled" });
  return path;
}

/** Removes the temporary screenshot folder (kept ones stay). */
export function removeScreenshots(): void {
  if (keptScreens === undefined) rmSync(screens, { recursive: true, force: true });
}

export type { Browser };

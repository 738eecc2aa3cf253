/**
 * The dashboard's performance checks, in Chromium, with 100,000 instances in the store (on SQLite,
 * and on PostgreSQL when PERDURE_TEST_PG_URL is set): the time from navigation to the instances
 * view's first page, and to an instance with a 10,000-event history rendered, and the frame times
 * while its virtualized rows scroll. The figures are printed (the README quotes them), never
 * asserted: a shared machine's timings say nothing about the code. What is asserted is that the
 * views show what they should.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { Running } from "../cli/cli-helpers.js";
import { spawnFixture } from "../helpers/children.js";
import { dropSchemas, freshSchema, pgUrl } from "../helpers/postgres.js";
import { describeInBrowser, launchBrowser, openPage, removeScreenshots, screenshot } from "./harness.js";

const INSTANCES = 100_000;
const ROUNDS = 3;

let browser: { browser: BrowserContext; close(): Promise<void> };
const results: Record<string, unknown> = {};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The perf server on a store; resolves with its URL once seeded. */
async function perfServer(spec: string, schema: string): Promise<{ url: string; seeded: string; stop(): Promise<void> }> {
  const child = spawnFixture("perf-server", "test/dashboard/fixtures/perf-server.ts", [spec, schema, String(INSTANCES)], {});
  const running = new Running(child.process);
  const [seeded] = await running.waitFor(/seeded .*/, 600_000);
  const [, url] = await running.waitFor(/listening on (http:\/\/\S+)/, 60_000);
  return { url: url!, seeded: seeded!, stop: async () => void (await running.stop("SIGTERM")) };
}

/**
 * Records, in the page, the time since navigation start (performance.now()) of the first frame in
 * which the first page of instances (50 rows) or the whole 10,000-event history is shown.
 */
function markWhenShown(): void {
  const marks: Record<string, number> = {};
  (window as unknown as { __shown: Record<string, number> }).__shown = marks;
  const check = (): void => {
    if (marks.firstPage === undefined && document.querySelector("table.instances tbody tr:nth-child(50)")) marks.firstPage = performance.now();
    const events = document.querySelector(".events > p")?.textContent ?? "";
    if (marks.history === undefined && /^10,00\d events$/.test(events) && document.querySelector(".t-row")) marks.history = performance.now();
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}

interface Timing {
  /** From the start of navigation to the frame that shows it, read in the page. */
  readonly inPage: number;
  /** From the test's `goto` to Playwright seeing it: adds the driver's round trips. */
  readonly harness: number;
}

/** How long until `mark` is shown, in a fresh page, `ROUNDS` times. */
async function timeNavigation(url: string, mark: "firstPage" | "history", ready: (page: Page) => Promise<void>): Promise<Timing[]> {
  const times: Timing[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { page, problems } = await openPage(browser.browser);
    await page.addInitScript(markWhenShown);
    const began = Date.now();
    await page.goto(url);
    await ready(page);
    const harness = Date.now() - began;
    const inPage = await page.waitForFunction((m) => (window as unknown as { __shown: Record<string, number> }).__shown[m], mark).then((h) => h.jsonValue());
    times.push({ inPage: Math.round(inPage as number), harness });
    expect(problems).toEqual([]);
    await page.close();
  }
  return times;
}

const medians = (timings: Timing[]) => ({
  inPage: median(timings.map((t) => t.inPage)),
  harness: median(timings.map((t) => t.harness)),
  runs: timings,
});

/** Frame intervals while the element scrolls `steps` times by `by` pixels, one step a frame. */
async function scrollFrames(page: Page, selector: string, steps = 120, by = 240): Promise<{ p50: number; p95: number; max: number; over50: number }> {
  const intervals = await page.evaluate(
    ({ selector, steps, by }) =>
      new Promise<number[]>((resolve) => {
        const el = document.querySelector(selector)!;
        const times: number[] = [];
        const frame = (t: number): void => {
          times.push(t);
          el.scrollTop += by;
          if (times.length <= steps) requestAnimationFrame(frame);
          else resolve(times.slice(1).map((x, i) => x - times[i]!));
        };
        requestAnimationFrame(frame);
      }),
    { selector, steps, by },
  );
  const sorted = [...intervals].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1), over50: intervals.filter((x) => x > 50).length };
}

async function measure(label: string, url: string): Promise<void> {
  const rowsShown = async (page: Page) => {
    await page.locator("table.instances tbody tr").nth(49).waitFor({ timeout: 60_000 });
  };
  const views: Record<string, string> = {
    all: "/",
    "running+failed, oldest first": "/#/instances?status=Running,Failed&order=asc",
    "by name": "/#/instances?name=Broken",
  };
  const firstPage: Record<string, Timing[]> = {};
  for (const [name, path] of Object.entries(views)) firstPage[name] = await timeNavigation(url + path, "firstPage", rowsShown);

  const { page } = await openPage(browser.browser);
  await page.goto(url);
  await expect.poll(() => page.getByTestId("range").textContent(), { timeout: 60_000 }).toBe(`1–50 of ${(INSTANCES + 1).toLocaleString("en-US")}`);
  await screenshot(page, `instances-100k-${label}`);
  const began = Date.now();
  await page.getByRole("button", { name: "Next" }).click();
  await expect.poll(() => page.getByTestId("range").textContent(), { timeout: 60_000 }).toMatch(/^51–100 of /);
  const nextPage = Date.now() - began;
  await page.close();

  const history = await timeNavigation(`${url}/#/instances/long-history`, "history", async (p) => {
    await p.locator(".events > p", { hasText: /^10,00\d events$/ }).waitFor({ timeout: 60_000 });
    await p.locator(".t-row").first().waitFor();
  });
  const { page: long } = await openPage(browser.browser);
  await long.goto(`${url}/#/instances/long-history`);
  await long.locator(".events > p", { hasText: /^10,00\d events$/ }).waitFor({ timeout: 60_000 });
  expect(await long.getByTestId("timeline-caption").textContent()).toMatch(/^3,333 activity attempts · /);
  const eventScroll = await scrollFrames(long, ".e-scroll");
  const timelineScroll = await scrollFrames(long, ".t-scroll");
  expect(await long.locator(".e-scroll .e-row").count()).toBeLessThan(100);
  await screenshot(long, `history-10k-${label}`);
  await long.close();

  const summary = {
    firstPageMs: Object.fromEntries(Object.entries(firstPage).map(([k, v]) => [k, medians(v)])),
    nextPageMs: nextPage,
    history10kMs: medians(history),
    scrollFrameMs: { events: eventScroll, timeline: timelineScroll },
  };
  results[label] = summary;
  console.log(`dashboard performance, ${label}: ${JSON.stringify(summary)}`);
}

describeInBrowser("dashboard: performance with 100,000 instances", () => {
  const dir = mkdtempSync(join(tmpdir(), "perdure-dashboard-perf-"));
  const schema = freshSchema("dash_perf");

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
    if (pgUrl) await dropSchemas(schema);
    if (process.env.PERDURE_SCREENSHOTS) writeFileSync(join(process.env.PERDURE_SCREENSHOTS, "performance.json"), `${JSON.stringify(results, null, 2)}\n`);
    removeScreenshots();
  });

  it("SQLite (WAL, synchronous=FULL): first page, next page, a 10,000-event history, scrolling", { timeout: 900_000 }, async () => {
    const server = await perfServer(join(dir, "perf.db"), "unused");
    try {
      console.log(`dashboard performance, sqlite: ${server.seeded}`);
      await measure("sqlite", server.url);
    } finally {
      await server.stop();
    }
  });

  it.skipIf(!pgUrl)("PostgreSQL (synchronous_commit=on): the same", { timeout: 900_000 }, async () => {
    const server = await perfServer(pgUrl!, schema);
    try {
      console.log(`dashboard performance, postgres: ${server.seeded}`);
      await measure("postgres", server.url);
    } finally {
      await server.stop();
    }
  });
});

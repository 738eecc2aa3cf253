/**
 * One instance in Chromium, against `perdure dev` on SQLite: the timeline's bars counted against
 * the history (a retried activity, retry delays, a timer), the raw events, live growth and
 * completion, links between parent and children, continue-as-new, payloads shown as text
 * (never as markup), and every action changing the instance as shown.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import {
  describeInBrowser,
  historyOf,
  launchBrowser,
  openPage,
  removeScreenshots,
  screenshot,
  start,
  startServer,
  waitForStatus,
  type Server,
  type WatchedPage,
} from "./harness.js";

const XSS = "<img src=x onerror=alert(1)>";

let server: Server;
let browser: { browser: BrowserContext; close(): Promise<void> };
let watched: WatchedPage;

const badge = (page: Page) => page.locator(".instance-head .badge");
const timelineRows = (page: Page, selector = "") => page.locator(`.t-row${selector}`);
const action = (page: Page, name: string) => page.locator(`.actions button[data-action="${name}"]`);

async function open(page: Page, instanceId: string): Promise<void> {
  await page.goto(`${server.url}/#/instances/${encodeURIComponent(instanceId)}`);
  await expect.poll(() => badge(page).count(), { timeout: 20_000 }).toBe(1);
}

async function expectStatus(page: Page, status: string): Promise<void> {
  await expect.poll(() => badge(page).textContent(), { timeout: 30_000 }).toBe(status);
}

/** Opens an action's dialog, fills it, confirms, and waits for the outcome line. */
async function act(page: Page, name: string, fill: (dialog: ReturnType<Page["locator"]>) => Promise<void> = async () => {}): Promise<string> {
  await action(page, name).click();
  const dialog = page.locator("dialog[open]");
  await dialog.waitFor();
  await fill(dialog);
  await dialog.locator('button[type="submit"]').click();
  await dialog.waitFor({ state: "detached" });
  await expect.poll(() => page.locator(".notice").textContent(), { timeout: 20_000 }).not.toBe("");
  return (await page.locator(".notice").textContent()) ?? "";
}

describeInBrowser("dashboard: one instance", () => {
  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await Promise.all([
      start(server, "Pipeline", "pipe-1", "2026-11-28"),
      start(server, "EchoInput", XSS, XSS),
      start(server, "Parent", "par-1"),
      start(server, "Looper", "loop-1", 0),
    ]);
    watched = await openPage(browser.browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeScreenshots();
  });

  it("draws one bar per activity attempt and timer of the history, failed attempts and retry delays marked", async () => {
    const { page } = watched;
    await waitForStatus(server, "pipe-1", ["Completed"]);
    const history = await historyOf(server, "pipe-1");
    const count = (type: string) => history.filter((e) => e.type === type).length;
    expect([count("TaskScheduled"), count("TaskFailed"), count("TimerCreated")]).toEqual([4, 2, 3]);

    await open(page, "pipe-1");
    await expectStatus(page, "Completed");
    await expect.poll(() => timelineRows(page).count()).toBe(count("TaskScheduled") + count("TimerCreated"));
    expect(await timelineRows(page, '[data-kind="activity"]').count()).toBe(count("TaskScheduled"));
    expect(await timelineRows(page, '[data-kind="timer"]').count()).toBe(count("TimerCreated"));
    expect(await timelineRows(page, '[data-kind="activity"][data-state="failed"]').count()).toBe(count("TaskFailed"));
    const fetches = timelineRows(page, '[data-kind="activity"]').filter({ hasText: "FetchRows" });
    expect(await fetches.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-attempt")))).toEqual(["1", "2", "3"]);
    expect(await page.locator(".t-row .t-bar.kind-timer.retry").count()).toBe(2);
    expect(await page.getByTestId("timeline-caption").textContent()).toMatch(/^4 activity attempts · 3 timers · /);

    // The raw events: one row per event, with the columns of `perdure history`.
    await expect.poll(() => page.locator(".e-scroll .e-row").count()).toBe(history.length);
    expect(await page.locator(".e-head").textContent()).toBe("Time (UTC)Since prevElapsedEventDetails");
    expect(await page.locator(".e-row.failed").first().textContent()).toContain("FetchRows, took");
    expect(await page.getByTestId("output").textContent()).toContain('"total": 6');
    expect(await page.getByTestId("input").textContent()).toContain('"2026-11-28"');
    await screenshot(page, "instance", true);
  });

  it("grows a running instance's bars live, and shows it complete", async () => {
    const { page } = watched;
    await start(server, "Approval", "appr-live", 25);
    await open(page, "appr-live");
    await expectStatus(page, "Running");
    const waiting = page.locator('.t-row[data-state="running"] .t-bar');
    await waiting.waitFor();
    const width = () => waiting.evaluate((bar) => bar.getBoundingClientRect().width);
    const first = await width();
    // The bar spans the whole axis while it is the only one; the axis grows with it.
    const label = () => page.locator('.t-row[data-state="running"] .t-dur').textContent();
    const before = await label();
    await expect.poll(label, { timeout: 10_000 }).not.toBe(before);
    expect(await width()).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(0);
    await screenshot(page, "instance-running");

    await server.call("POST", "/instances/appr-live/raiseEvent/approval", { by: "live test" });
    await expectStatus(page, "Completed");
    await expect.poll(() => timelineRows(page, '[data-kind="event"]').textContent()).toContain("event approval");
    expect(await timelineRows(page, '[data-kind="activity"]').textContent()).toContain("Charge");
    expect(await page.getByTestId("output").textContent()).toContain('"charged 25"');
  });

  it("shows a payload that looks like markup as text, and fires no dialog", async () => {
    const { page } = watched;
    await waitForStatus(server, XSS, ["Completed"]);
    const csp = (await fetch(server.url)).headers.get("content-security-policy");
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline/);
    await open(page, XSS);
    await expectStatus(page, "Completed");
    expect(await page.locator("h1").textContent()).toBe(XSS);
    expect(await page.getByTestId("input").locator(".json").textContent()).toBe(JSON.stringify(XSS));
    expect(await page.getByTestId("output").locator(".json").textContent()).toBe(JSON.stringify(XSS));
    expect(await page.locator("main img").count()).toBe(0);
    await page.goto(`${server.url}/#/instances?name=EchoInput`);
    await expect.poll(() => page.locator("table.instances tbody a").first().textContent()).toBe(XSS);
    expect(await page.locator("main img").count()).toBe(0);
    await screenshot(page, "xss-as-text");
    expect(watched.dialogs).toEqual([]);
    expect(watched.problems).toEqual([]);
  });

  it("links children and parents, and says when an instance continued as new", async () => {
    const { page } = watched;
    await waitForStatus(server, "par-1-child-2", ["Completed"]);
    await open(page, "par-1");
    await expect.poll(() => timelineRows(page, '[data-kind="suborchestration"]').count()).toBe(2);
    await page.locator(".links a", { hasText: "par-1-child-1" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("par-1-child-1");
    await expect.poll(() => page.locator(".facts a").textContent()).toBe("par-1");
    await page.locator(".facts a").click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("par-1");

    await waitForStatus(server, "loop-1", ["Completed"]);
    await open(page, "loop-1");
    await expect.poll(() => page.getByTestId("continued-as-new").count()).toBe(1);
    await open(page, "pipe-1");
    expect(await page.getByTestId("continued-as-new").count()).toBe(0);
  });

  it("raises an event with JSON checked before sending, suspends and resumes", async () => {
    const { page } = watched;
    await start(server, "Approval", "appr-act", 30);
    await open(page, "appr-act");
    await expectStatus(page, "Running");
    expect(await action(page, "resume").isDisabled()).toBe(true);
    expect(await action(page, "rewind").isDisabled()).toBe(true);

    expect(await act(page, "suspend", (d) => d.getByLabel("Reason").fill("a pause"))).toMatch(/Suspend requested/);
    await expectStatus(page, "Suspended");
    expect(await action(page, "suspend").isDisabled()).toBe(true);
    expect(await act(page, "resume")).toMatch(/Resume requested/);
    await expectStatus(page, "Running");

    await action(page, "raise").click();
    const dialog = page.locator("dialog[open]");
    await dialog.getByLabel("Event name").fill("approval");
    await dialog.getByLabel(/Data/).fill('{"by": ');
    await expect.poll(() => dialog.locator(".problem").textContent()).toMatch(/^Not valid JSON/);
    expect(await dialog.locator('button[type="submit"]').isDisabled()).toBe(true);
    await screenshot(page, "raise-event-dialog");
    await dialog.getByLabel(/Data/).fill('{"by": "the dialog"}');
    await dialog.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator(".notice").textContent()).toBe("Event 'approval' raised.");
    await expectStatus(page, "Completed");
    expect(await page.getByTestId("custom-status").textContent()).toContain("approved by the dialog");
  });

  it("terminates recursively, and shows the API's error message when a call is refused", async () => {
    const { page } = watched;
    await start(server, "Family", "fam-1");
    await waitForStatus(server, "fam-1-kid", ["Running"]);
    await open(page, "fam-1");
    await expectStatus(page, "Running");
    await action(page, "terminate").click();
    await screenshot(page, "terminate-dialog");
    await page.locator("dialog[open]").getByLabel("Reason").fill("no longer needed");
    await page.locator("dialog[open]").getByLabel(/sub-orchestrations/).check();
    await page.locator('dialog[open] button[type="submit"]').click();
    await expectStatus(page, "Terminated");
    await waitForStatus(server, "fam-1-kid", ["Terminated"]);

    await start(server, "Waiter", "big-event");
    await open(page, "big-event");
    await expectStatus(page, "Running");
    const tooBig = JSON.stringify("x".repeat(1_100_000));
    const notice = await act(page, "raise", async (d) => {
      await d.getByLabel("Event name").fill("go");
      await d.getByLabel(/Data/).fill(tooBig);
    });
    expect(notice).toBe("Raise event failed: The request body is over the limit of 1048576 bytes.");
    expect(await page.locator(".notice").getAttribute("class")).toContain("error");
    await expectStatus(page, "Running");
  });

  it("rewinds a failed instance, restarts one under a new id, and purges one", async () => {
    const { page } = watched;
    await start(server, "Fragile", "frag-1", "frag-1");
    await waitForStatus(server, "frag-1", ["Failed"]);
    await open(page, "frag-1");
    await expectStatus(page, "Failed");
    expect(await page.locator(".failure-line").textContent()).toContain("frag-1 failed the first time");
    await screenshot(page, "instance-failed");
    expect(await act(page, "rewind", (d) => d.getByLabel("Reason").fill("fixed"))).toMatch(/Rewind requested/);
    await expectStatus(page, "Completed");
    await expect.poll(() => page.locator('.e-row[data-type="ExecutionRewound"]').count()).toBe(1);

    expect(await action(page, "purge").isDisabled()).toBe(false);
    expect(await act(page, "restart")).toBe("Restarted from frag-1 as this new instance.");
    await expect.poll(() => decodeURIComponent(page.url())).not.toContain("/instances/frag-1");
    const restartedId = decodeURIComponent(page.url().split("/instances/")[1]!);
    await expectStatus(page, "Completed");
    expect(await page.getByTestId("input").textContent()).toContain('"frag-1"');

    expect(await act(page, "purge")).toBe(`Instance ${restartedId} purged.`);
    expect(new URL(page.url()).hash).toBe("#/instances");
    expect((await server.call("GET", `/instances/${encodeURIComponent(restartedId)}`)).status).toBe(404);
    expect(watched.problems).toEqual([]);
  });

  it("is usable with the keyboard alone", async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/instances?prefix=pipe-`);
    const link = page.locator("table.instances tbody a").first();
    await link.waitFor();
    for (let i = 0; i < 40 && !(await link.evaluate((a) => a === document.activeElement)); i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("h1").textContent()).toBe("pipe-1");
    const restart = action(page, "restart");
    await restart.waitFor();
    for (let i = 0; i < 40 && !(await restart.evaluate((b) => b === document.activeElement)); i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.locator("dialog[open]").waitFor();
    await page.keyboard.press("Escape");
    await page.locator("dialog[open]").waitFor({ state: "detached" });
  });
});

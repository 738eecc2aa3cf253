/**
 * The instances view in Chromium, against `perdure dev` on SQLite: counts by status, filters
 * that live in the URL (several statuses, name, id prefix, time range) with a working back
 * button, server-side pages in both orders, and live refresh that can be paused.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import {
  describeInBrowser,
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

let server: Server;
let browser: { browser: BrowserContext; close(): Promise<void> };

const rows = (page: Page) => page.locator("table.instances tbody tr");
const ids = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-instance-id")));
const chip = (page: Page, status: string) => page.locator(`.counts button[data-status="${status}"]`);
const hashParams = (page: Page) => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "");

/** Waits until the table shows exactly `count` rows. */
async function expectRows(page: Page, count: number): Promise<void> {
  await expect.poll(() => rows(page).count(), { timeout: 20_000 }).toBe(count);
}

describeInBrowser("dashboard: instances", () => {
  let watched: WatchedPage;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    await Promise.all([
      ...["pipe-1", "pipe-2", "pipe-3"].map((id, i) => start(server, "Pipeline", id, `2026-11-2${i}`)),
      start(server, "EchoInput", "echo-1", { hello: "world" }),
      start(server, "Approval", "appr-wait-1", 10),
      start(server, "Approval", "appr-wait-2", 20),
      start(server, "Approval", "appr-fail", 500),
    ]);
    await waitForStatus(server, "appr-fail", ["Running"]);
    await server.call("POST", "/instances/appr-fail/raiseEvent/approval", { by: "ana" });
    for (const id of ["pipe-1", "pipe-2", "pipe-3", "echo-1"]) await waitForStatus(server, id, ["Completed"]);
    await waitForStatus(server, "appr-fail", ["Failed"]);
    watched = await openPage(browser.browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeScreenshots();
  });

  it("shows every instance with its status, and the counts the API gives", async () => {
    const { page } = watched;
    await page.goto(server.url);
    await expectRows(page, 7);
    const counts = (await (await server.call("GET", "/instanceCounts")).json()) as { total: number; counts: Record<string, number> };
    expect(counts.counts).toMatchObject({ Completed: 4, Running: 2, Failed: 1 });
    await expect.poll(() => chip(page, "Completed").textContent()).toBe("Completed 4");
    expect(await chip(page, "Running").textContent()).toBe("Running 2");
    expect(await chip(page, "Failed").textContent()).toBe("Failed 1");
    expect(await page.locator(".counts button").first().textContent()).toBe(`All ${counts.total}`);
    const failedRow = page.locator('tr[data-instance-id="appr-fail"]');
    expect(await failedRow.locator(".badge").textContent()).toBe("Failed");
    expect(await failedRow.locator(".badge").getAttribute("class")).toContain("tone-danger");
    expect(await page.getByTestId("range").textContent()).toBe("1–7 of 7");
    await screenshot(page, "instances");
  });

  it("filters by several statuses at once, keeps the filter in the URL, and goes back with the back button", async () => {
    const { page } = watched;
    await page.goto(server.url);
    await expectRows(page, 7);
    await chip(page, "Running").click();
    await expectRows(page, 2);
    await chip(page, "Failed").click();
    await expectRows(page, 3);
    expect(hashParams(page).get("status")).toBe("Running,Failed");
    expect(new Set(await rows(page).locator(".badge").allTextContents())).toEqual(new Set(["Running", "Failed"]));
    expect(await chip(page, "Failed").getAttribute("aria-pressed")).toBe("true");
    await screenshot(page, "instances-filtered");

    // A shared link opens the same view.
    const link = page.url();
    const other = await openPage(browser.browser);
    await other.page.goto(link);
    await expectRows(other.page, 3);
    await other.page.close();

    await page.goBack();
    await expectRows(page, 2);
    expect(hashParams(page).get("status")).toBe("Running");
    await page.goBack();
    await expectRows(page, 7);
  });

  it("filters by name, id prefix and creation time", async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/instances`);
    await expectRows(page, 7);
    await page.getByLabel("Name", { exact: true }).fill("Approval");
    await page.getByRole("button", { name: "Apply" }).click();
    await expectRows(page, 3);
    expect(hashParams(page).get("name")).toBe("Approval");
    await expect.poll(() => chip(page, "Running").textContent()).toBe("Running 2");

    await page.getByRole("button", { name: "Clear" }).click();
    await expectRows(page, 7);
    await page.getByLabel("Id prefix").fill("pipe-");
    await page.keyboard.press("Enter");
    await expectRows(page, 3);
    expect((await ids(page)).sort()).toEqual(["pipe-1", "pipe-2", "pipe-3"]);

    const later = new Date(Date.now() + 3_600_000);
    const local = new Date(later.getTime() - later.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel("Created from").fill(local);
    await page.getByRole("button", { name: "Apply" }).click();
    await expectRows(page, 0);
    await expect.poll(() => page.locator(".empty").textContent()).toBe("No orchestration matches these filters.");
    expect(hashParams(page).get("from")).toBe(new Date(local).toISOString());
    await page.getByLabel("Created from").fill("");
    await page.getByLabel("to", { exact: true }).fill(local);
    await page.getByRole("button", { name: "Apply" }).click();
    await expectRows(page, 3);
  });

  it("reads pages from the server, newest or oldest first", async () => {
    const { page } = watched;
    const batch = Array.from({ length: 120 }, (_, i) => `many-${String(i).padStart(3, "0")}`);
    for (let i = 0; i < batch.length; i += 20) await Promise.all(batch.slice(i, i + 20).map((id) => start(server, "EchoInput", id, id)));
    const apiOrder = async (order: string) => {
      const all: string[] = [];
      let token: string | null = null;
      do {
        const response: Response = await server.call("GET", `/instances?instanceIdPrefix=many-&order=${order}&top=1000`, undefined, token ? { "x-ms-continuation-token": token } : {});
        all.push(...((await response.json()) as { instanceId: string }[]).map((s) => s.instanceId));
        token = response.headers.get("x-ms-continuation-token");
      } while (token);
      return all;
    };
    const newest = await apiOrder("desc");
    expect(newest).toHaveLength(120);

    await page.goto(`${server.url}/#/instances?prefix=many-`);
    await expectRows(page, 50);
    await expect.poll(() => page.getByTestId("range").textContent()).toBe("1–50 of 120");
    expect(await ids(page)).toEqual(newest.slice(0, 50));
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.getByTestId("range").textContent()).toBe("51–100 of 120");
    expect(await ids(page)).toEqual(newest.slice(50, 100));
    await page.getByRole("button", { name: "Next" }).click();
    await expect.poll(() => page.getByTestId("range").textContent()).toBe("101–120 of 120");
    expect(await ids(page)).toEqual(newest.slice(100));
    expect(await page.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous" }).click();
    await expect.poll(() => page.getByTestId("range").textContent()).toBe("51–100 of 120");
    expect(await ids(page)).toEqual(newest.slice(50, 100));

    await page.getByRole("button", { name: /Created/ }).click();
    await expect.poll(() => page.getByTestId("range").textContent()).toBe("1–50 of 120");
    expect(hashParams(page).get("order")).toBe("asc");
    expect(await ids(page)).toEqual((await apiOrder("asc")).slice(0, 50));
    expect(await page.getByRole("button", { name: "First", exact: true }).isDisabled()).toBe(true);
  });

  it("refreshes live when an instance completes, and not while paused", async () => {
    const { page } = watched;
    await page.goto(`${server.url}/#/instances?name=Approval`);
    await expectRows(page, 3);
    const badge = (id: string) => page.locator(`tr[data-instance-id="${id}"] .badge`);
    expect(await badge("appr-wait-1").textContent()).toBe("Running");
    await server.call("POST", "/instances/appr-wait-1/raiseEvent/approval", { by: "live" });
    await expect.poll(() => badge("appr-wait-1").textContent(), { timeout: 20_000 }).toBe("Completed");

    await page.getByRole("button", { name: "Pause live updates" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Resume live updates" }).count()).toBe(1);
    await server.call("POST", "/instances/appr-wait-2/raiseEvent/approval", { by: "paused" });
    await waitForStatus(server, "appr-wait-2", ["Completed"]);
    // Two refresh periods: paused, the page must not have looked.
    await page.waitForTimeout(5500);
    expect(await badge("appr-wait-2").textContent()).toBe("Running");
    await page.getByRole("button", { name: "Resume live updates" }).click();
    await expect.poll(() => badge("appr-wait-2").textContent(), { timeout: 20_000 }).toBe("Completed");
    expect(watched.problems).toEqual([]);
    expect(watched.dialogs).toEqual([]);
  });
});

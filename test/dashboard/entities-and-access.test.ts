/**
 * In Chromium: the entity views (list by name, state, lock holder, queued operations, signal),
 * the API-key prompt, an instance made by the official JavaScript Durable Task SDK over gRPC,
 * and the narrow layout.
 */
import { NoOpLogger, TaskHubGrpcClient, TaskHubGrpcWorker, type ActivityContext, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
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
} from "./harness.js";

let browser: { browser: BrowserContext; close(): Promise<void> };
const servers: Server[] = [];
const pages: Page[] = [];

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<Server> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}

async function page(viewport?: { width: number; height: number }) {
  const watched = await openPage(browser.browser, viewport);
  pages.push(watched.page);
  return watched;
}

async function entityState(s: Server, name: string, key: string): Promise<{ state: unknown; lock: { owner: string } | null; queue: unknown[] }> {
  return (await (await s.call("GET", `/entities/${name}/${key}/details`)).json()) as never;
}

describeInBrowser("dashboard: entities, API key, SDK instances, narrow windows", () => {
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close();
    for (const s of servers.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await browser?.close();
    removeScreenshots();
  });

  it("lists entities by name, shows state, lock holder and queued operations, and signals one", async () => {
    const s = await server();
    await s.call("POST", "/entities/Counter/c1?op=add", 5);
    await s.call("POST", "/entities/Counter/held?op=add", 2);
    await expect.poll(async () => (await entityState(s, "Counter", "held")).state, { timeout: 20_000 }).toEqual({ value: 2 });
    await start(s, "HoldLock", "holder");
    await expect.poll(async () => (await entityState(s, "Counter", "held")).lock?.owner, { timeout: 20_000 }).toBe("holder");
    await s.call("POST", "/entities/Counter/held?op=add", 40);
    await expect.poll(async () => (await entityState(s, "Counter", "held")).queue.length, { timeout: 20_000 }).toBe(1);

    const { page: p, problems, dialogs } = await page();
    await p.goto(`${s.url}/#/entities`);
    await expect.poll(() => p.locator("table.entities tbody tr").count(), { timeout: 20_000 }).toBe(2);
    await p.getByLabel("Entity name").fill("Counter");
    await p.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => new URL(p.url()).hash).toBe("#/entities?name=Counter");
    await screenshot(p, "entities");
    await p.locator("table.entities a", { hasText: "held" }).click();

    await expect.poll(() => p.getByTestId("lock-holder").textContent(), { timeout: 20_000 }).toBe("holder");
    expect(await p.getByTestId("entity-state").textContent()).toContain('"value": 2');
    const queued = p.locator("table.queue tbody tr");
    expect(await queued.count()).toBe(1);
    expect(await queued.textContent()).toContain("add");
    expect(await queued.textContent()).toContain("40");
    await screenshot(p, "entity");

    // Signal through the form: JSON is checked first, then a confirmation.
    await p.getByLabel("Operation", { exact: true }).fill("add");
    await p.getByLabel(/Input/).fill("{oops");
    await expect.poll(() => p.locator(".signal .problem").textContent()).toMatch(/^Not valid JSON/);
    expect(await p.getByRole("button", { name: "Signal…" }).isDisabled()).toBe(true);
    await p.getByLabel(/Input/).fill("1");
    await p.getByRole("button", { name: "Signal…" }).click();
    await p.locator("dialog[open]").getByRole("button", { name: "Signal", exact: true }).click();
    await expect.poll(() => p.locator(".notice").textContent()).toMatch(/^Signaled 'add'/);
    await expect.poll(() => p.locator("table.queue tbody tr").count(), { timeout: 20_000 }).toBe(2);

    // The holder releases the lock: the queued operations run.
    await s.call("POST", "/instances/holder/raiseEvent/release", null);
    await expect.poll(() => p.getByTestId("lock-holder").textContent(), { timeout: 20_000 }).toBe("nobody");
    await expect.poll(() => p.getByTestId("entity-state").textContent(), { timeout: 20_000 }).toContain('"value": 43');
    expect(await p.locator("table.queue").count()).toBe(0);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it("asks for the API key, says when it is refused, and keeps it for the session", async () => {
    const s = await server({ apiKey: "s3cret-key" });
    await start(s, "EchoInput", "guarded", 1);
    const { page: p, problems } = await page();
    await p.goto(s.url);
    const prompt = p.locator(".key-overlay");
    await prompt.waitFor();
    expect(await prompt.getByRole("alert").textContent()).toMatch(/asks for its API key/);
    await screenshot(p, "api-key-prompt");
    await prompt.getByLabel("Key").fill("wrong");
    await prompt.getByRole("button", { name: "Use this key" }).click();
    await expect.poll(() => prompt.getByRole("alert").textContent()).toMatch(/refused this key/);
    await prompt.getByLabel("Key").fill("s3cret-key");
    await prompt.getByRole("button", { name: "Use this key" }).click();
    await expect.poll(() => p.locator('tr[data-instance-id="guarded"]').count(), { timeout: 20_000 }).toBe(1);
    await p.reload();
    await expect.poll(() => p.locator('tr[data-instance-id="guarded"]').count(), { timeout: 20_000 }).toBe(1);
    expect(await prompt.count()).toBe(0);
    await p.getByRole("button", { name: "Forget API key" }).click();
    await prompt.waitFor();
    expect(problems).toEqual([]);
  });

  it("shows an instance made by the JavaScript Durable Task SDK over gRPC like any other", async () => {
    const s = await server({ grpc: true });
    const hello = async (_ctx: ActivityContext, city: string): Promise<string> => `Hello, ${city}!`;
    const greetings = async function* (ctx: OrchestrationContext): AsyncGenerator<unknown, string[], string> {
      const a = yield ctx.callActivity(hello, "Tokyo");
      const b = yield ctx.callActivity(hello, "London");
      return [a, b];
    };
    const address = `localhost:${s.grpcPort}`;
    const worker = new TaskHubGrpcWorker({ hostAddress: address, logger: new NoOpLogger(), shutdownTimeoutMs: 2000 });
    worker.addOrchestrator(greetings);
    worker.addActivity(hello);
    await worker.start();
    const client = new TaskHubGrpcClient({ hostAddress: address, logger: new NoOpLogger() });
    try {
      const id = await client.scheduleNewOrchestration(greetings, undefined, "sdk-greetings");
      await waitForStatus(s, id, ["Completed"]);
      const { page: p, problems } = await page();
      await p.goto(`${s.url}/#/instances?name=greetings`);
      await expect.poll(() => p.locator('tr[data-instance-id="sdk-greetings"] .badge').textContent(), { timeout: 20_000 }).toBe("Completed");
      await p.locator('a:text-is("sdk-greetings")').click();
      await expect.poll(() => p.locator('.t-row[data-kind="activity"]').count(), { timeout: 20_000 }).toBe(2);
      expect(await p.locator('.t-row[data-state="completed"]').count()).toBe(2);
      expect(await p.getByTestId("output").textContent()).toContain('"Hello, London!"');
      await screenshot(p, "instance-grpc-sdk");
      expect(problems).toEqual([]);
    } finally {
      await worker.stop().catch(() => undefined);
      await client.stop().catch(() => undefined);
    }
  });

  it("fits a narrow window without scrolling sideways", async () => {
    const s = await server();
    await start(s, "Pipeline", "narrow-1", "2026-12-01");
    await waitForStatus(s, "narrow-1", ["Completed"]);
    const { page: p, problems } = await page({ width: 390, height: 844 });
    const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await p.goto(s.url);
    await p.locator('tr[data-instance-id="narrow-1"]').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(p, "narrow-instances", true);
    await p.locator('a:text-is("narrow-1")').click();
    await expect.poll(() => p.locator(".t-row").count(), { timeout: 20_000 }).toBe(7);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(p, "narrow-instance", true);
    expect(problems).toEqual([]);
  });
});

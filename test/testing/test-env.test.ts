/**
 * The test kit's environment: virtual time drives durable timers and `currentUtcDateTime`,
 * activities are recorded and mockable, ids come from a seed, and closing leaves nothing behind.
 */
import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, NonRetriableError, type TimerTask, type Task } from "../../src/index.js";
import { createTestEnv, type TestEnv } from "../../src/testing/index.js";

const DAY = 86_400_000;
const T0 = "2026-01-01T00:00:00.000Z";

const app = createApp();
const prepare = app.activity("Prepare", async (order: string) => `prepared ${order}`);
const ship = app.activity("Ship", async (order: string) => `shipped ${order}`);
const charge = app.activity("Charge", async (amount: number) => `charged ${amount}`);

/** Prepares, sleeps a week, ships; answers with the times it saw. */
const weekLater = app.orchestration("WeekLater", function* (ctx, order: string) {
  const started = ctx.currentUtcDateTime.toISOString();
  const prepared = yield* ctx.callActivity(prepare, order);
  yield* ctx.createTimer(7 * DAY);
  const shipped = yield* ctx.callActivity(ship, order);
  return { started, shippedAt: ctx.currentUtcDateTime.toISOString(), prepared, shipped };
});

/** Waits on a timer, then on an event racing a timeout, then on a short timer; records when each came. */
const race = app.orchestration("Race", function* (ctx) {
  const at = () => ctx.currentUtcDateTime.toISOString().slice(11, 16);
  const timeout = ctx.createTimer(3 * 3_600_000);
  const first = ctx.createTimer(3_600_000);
  yield* first;
  const seen: Array<[string, string]> = [["1h", at()]];
  const winner = yield* ctx.any([ctx.waitForExternalEvent("Go"), timeout]);
  seen.push([winner === timeout ? "3h" : "Go", at()]);
  yield* ctx.createTimer(30 * 60_000);
  seen.push(["30m", at()]);
  return seen;
});

const retried = app.orchestration("Retried", function* (ctx, amount: number) {
  return yield* ctx.callActivity(charge, amount, { retry: { firstRetryIntervalMs: 60_000, backoffCoefficient: 2, maxAttempts: 4 } });
});

const waiting = app.orchestration("Waiting", function* (ctx) {
  return yield* ctx.waitForExternalEvent<string>("Answer");
});

const guids = app.orchestration("Guids", function* (ctx) {
  yield* ctx.createTimer(1000);
  return [ctx.instanceId, ctx.newGuid(), ctx.newGuid()];
});

const ticking = app.orchestration("Ticking", function* (ctx) {
  for (;;) yield* ctx.createTimer(60_000);
});

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("virtual time", () => {
  it("runs a flow with a 7-day timer to its end, its clock a week later", async () => {
    env = createTestEnv(app);
    const id = await env.startNew(weekLater, { input: "o-1" });
    const status = await env.waitForCompletion(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({
      started: T0,
      shippedAt: new Date(Date.parse(T0) + 7 * DAY).toISOString(),
      prepared: "prepared o-1",
      shipped: "shipped o-1",
    });
    expect(env.now.toISOString()).toBe("2026-01-08T00:00:00.000Z");
    // Both activities ran, each at the virtual time of its episode.
    expect(env.calls().map((c) => [c.name, c.at.toISOString()])).toEqual([
      ["Prepare", T0],
      ["Ship", "2026-01-08T00:00:00.000Z"],
    ]);
  });

  it("fires nothing before its time: advancing six days leaves the flow waiting", async () => {
    env = createTestEnv(app, { startTime: new Date("2030-05-01T12:00:00Z") });
    const id = await env.startNew(weekLater, { input: "o-2" });
    await env.advanceTime("6d");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Running");
    expect(env.calls(ship)).toEqual([]);
    await env.advanceTime("1d");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Completed");
  });

  it("interleaves timers and events in the order of their times", async () => {
    env = createTestEnv(app);
    const id = await env.startNew(race);
    await env.advanceTime("2h");
    await env.raiseEvent(id, "Go");
    await env.advanceTime("90m");
    const status = await env.client.getStatus(id);
    expect(status?.output).toEqual([
      ["1h", "01:00"],
      ["Go", "02:00"],
      ["30m", "02:30"],
    ]);
    // The timeout lost the race: it was canceled and wakes nothing at 03:00.
    expect(await env.store.nextWakeUp()).toBeUndefined();
  });

  it("runUntilIdle stops where only an event can move an instance, and waitForCompletion says so", async () => {
    env = createTestEnv(app);
    const id = await env.startNew(waiting);
    await expect(env.waitForCompletion(id)).rejects.toThrow(/is Running .* nothing is left to run/);
    await env.raiseEvent(id, "Answer", "yes");
    expect((await env.waitForCompletion(id)).output).toBe("yes");
    expect(env.now.toISOString()).toBe(T0);
  });

  it("stops an orchestration that never idles at `until`, and refuses to chase it forever", async () => {
    env = createTestEnv(app);
    await env.startNew(ticking);
    await env.runUntilIdle({ until: "10m" });
    expect(env.now.toISOString()).toBe("2026-01-01T00:10:00.000Z");
    await expect(env.runUntilIdle({ maxTimers: 5 })).rejects.toThrow(/went through 5 timers/);
  });

  it("refuses a duration it cannot read", async () => {
    env = createTestEnv(app);
    await expect(env.advanceTime("three days")).rejects.toThrow(/"3d", "72h"/);
    await expect(env.advanceTime(-1)).rejects.toThrow(/≥ 0/);
  });
});

describe("activities", () => {
  it("records each call with its input and attempt, and retries with backoff on the virtual clock", async () => {
    env = createTestEnv(app);
    env.mockActivity(charge, (amount: number, { attempt }) => {
      if (attempt < 3) throw new Error(`card service unavailable (attempt ${attempt})`);
      return `charged ${amount} on attempt ${attempt}`;
    });
    const id = await env.startNew(retried, { input: 42 });
    const status = await env.waitForCompletion(id);
    expect(status.output).toBe("charged 42 on attempt 3");
    expect(env.calls(charge).map((c) => ({ input: c.input, attempt: c.attempt, at: c.at.toISOString(), ok: c.outcome?.ok }))).toEqual([
      { input: 42, attempt: 1, at: T0, ok: false },
      { input: 42, attempt: 2, at: "2026-01-01T00:01:00.000Z", ok: false },
      { input: 42, attempt: 3, at: "2026-01-01T00:03:00.000Z", ok: true },
    ]);
  });

  it("fails the call for good on a non-retriable error, and runs the real activity when not mocked", async () => {
    env = createTestEnv(app);
    env.mockActivity("Charge", () => {
      throw new NonRetriableError("card declined");
    });
    const failed = await env.waitForCompletion(await env.startNew(retried, { input: 1 }));
    expect(failed.runtimeStatus).toBe("Failed");
    expect(env.calls("charge")).toHaveLength(1);
    const shipped = await env.waitForCompletion(await env.startNew(weekLater, { input: "o-3" }));
    expect(shipped.output).toMatchObject({ shipped: "shipped o-3" });
  });

  it("mocks an activity the app does not register, and leaves the shared app as it was", async () => {
    const other = createApp();
    const audit = other.orchestration("Audit", function* (ctx) {
      return yield* ctx.callActivity<string>("Lookup", "k");
    });
    env = createTestEnv(other);
    env.mockActivity("Lookup", (key: string) => `value of ${key}`);
    expect((await env.waitForCompletion(await env.startNew(audit))).output).toBe("value of k");
    expect(other.getActivity("Lookup")).toBeUndefined();
  });
});

describe("determinism and clean-up", () => {
  async function run(seed: number): Promise<unknown> {
    const e = createTestEnv(app, { seed });
    try {
      return (await e.waitForCompletion(await e.startNew(guids))).output;
    } finally {
      await e.close();
    }
  }

  it("makes the same instance ids and guids from the same seed, and others from another", async () => {
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect((a as string[])[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("leaves no timer, handle or file behind, however many environments a file creates", async () => {
    // Timers, immediates and file requests: what a leftover would hold (the runner's own pipes come and go).
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "PipeWrap").sort();
    const before = resources();
    const files: string[] = [];
    for (let i = 0; i < 200; i++) {
      const e = createTestEnv(app, { store: i % 20 === 0 ? "file" : "memory", seed: i });
      await e.waitForCompletion(await e.startNew(guids));
      if (i % 20 === 0) files.push((e.store as unknown as { where: string }).where);
      await e.close();
      await expect(e.store.getInstance("x")).rejects.toThrow(/closed/);
    }
    // None more of any kind than before (the runner's own may have ended meanwhile).
    const count = (list: string[]) => list.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
    const [was, is] = [count(before), count(resources())];
    for (const [kind, n] of is) expect(n, kind).toBeLessThanOrEqual(was.get(kind) ?? 0);
    expect(files).toHaveLength(10);
    for (const file of files) expect(existsSync(file)).toBe(false);
  });
});

// The timer type stays exported for users who keep a reference to cancel it.
export type { TimerTask };

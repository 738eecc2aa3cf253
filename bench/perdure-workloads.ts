/**
 * Workloads of Perdure's own features, beside the shared W1–W4 (nothing to compare with other
 * engines): the deploy check's throughput, and a 7-day flow in the test kit.
 *
 * CHECK: 2,000 in-flight instances, each with a 50-event history (16 activities, then a wait for
 * an event), run through the engine on a fresh store (untimed); then `checkDeploy` replays them
 * all against the same code, reading the store read-only. Reports histories (and events) checked
 * per second. Checks: every instance checked, none failing.
 *
 * KIT: `createTestEnv`, a flow that prepares, sleeps 7 days on a durable timer and ships, then
 * `close()`: 100 runs after 10 untimed ones. Reports the median and the slowest run.
 */
import { performance } from "node:perf_hooks";
import { createApp, createClient, createWorker, sqlite, type Store } from "../src/index.js";
import { checkDeploy, createTestEnv } from "../src/testing/index.js";

const app = createApp();
const step = app.activity("Step", async (x: number) => x + 1);
/** 16 steps, then a wait: a history of 50 events (2 + 3 per step) that stays in flight. */
const inFlight = app.orchestration("CheckFlow", function* (ctx, i: number) {
  let value = i;
  for (let k = 0; k < 16; k++) value = yield* ctx.callActivity(step, value);
  return value + (yield* ctx.waitForExternalEvent<number>("Finish"));
});

const DAY = 86_400_000;
const prepare = app.activity("Prepare", async (order: string) => `prepared ${order}`);
const ship = app.activity("Ship", async (order: string) => `shipped ${order}`);
const weekLater = app.orchestration("WeekLater", function* (ctx, order: string) {
  yield* ctx.callActivity(prepare, order);
  yield* ctx.createTimer(7 * DAY);
  return yield* ctx.callActivity(ship, order);
});

class CheckFailed extends Error {}
function check(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailed(`check failed: ${message}`);
}

/** Seeds `file` with the in-flight instances (untimed), then times the check on a read-only store. */
export async function runCheckWorkload(file: string, synchronous: "FULL" | "NORMAL"): Promise<Record<string, number | string>> {
  const M = 2000;
  const store: Store = sqlite(file, { synchronous });
  const durability = store.durability;
  const worker = createWorker(app, store, { maxConcurrentActivities: 256, maxConcurrentOrchestrations: 2 }).start();
  const client = createClient(store, { app });
  for (let i = 0; i < M; i++) await client.startNew(inFlight, { input: i, instanceId: `check-${i}` });
  const last = `check-${M - 1}`;
  for (;;) {
    const page = await store.getHistory(last);
    if (page.events.length >= 50 && (await store.nextWakeUp()) === undefined && worker.activeActivities === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await worker.stop();
  await store.close();
  const reader = sqlite(file, { readOnly: true });
  try {
    const events = (await reader.getHistory("check-0")).events.length;
    check(events === 50, `a seeded history has ${events} events, not 50`);
    const t0 = performance.now();
    const report = await checkDeploy(app, reader);
    const wall = performance.now() - t0;
    check(report.checked === M, `checked ${report.checked} of ${M}`);
    check(report.failing.length === 0 && report.inputChanges.length === 0, "some instance failed the check");
    return { M, events_per_history: events, durability, wall_ms: round(wall), histories_per_s: round((M / wall) * 1000) };
  } finally {
    await reader.close();
  }
}

/** Times the 7-day flow in fresh test environments. */
export async function runKitWorkload(): Promise<Record<string, number | string>> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const env = createTestEnv(app);
    try {
      const status = await env.waitForCompletion(await env.startNew(weekLater, { input: "o-1" }));
      check(status.output === "shipped o-1" && env.now.toISOString() === "2026-01-08T00:00:00.000Z", "the 7-day flow");
    } finally {
      await env.close();
    }
    return performance.now() - t0;
  };
  for (let i = 0; i < 10; i++) await once();
  const runs: number[] = [];
  for (let i = 0; i < 100; i++) runs.push(await once());
  runs.sort((a, b) => a - b);
  return { runs: runs.length, durability: "in-memory SQLite", p50_ms: round(runs[49]!, 2), max_ms: round(runs.at(-1)!, 2) };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

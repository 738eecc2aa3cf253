/**
 * A worker on PostgreSQL, where a completion runs its orchestration's next episode ahead of the
 * database's answer (postgres/last-commits.ts): a long chain takes that path at every step, and an
 * event that arrives while an activity runs is seen before the activity's result, whichever episode
 * applies it. (test/store/postgres.test.ts checks the void episode itself, deterministically.)
 *
 * Needs PERDURE_TEST_PG_URL; skipped without it. Uses its own schema, dropped at the end.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createClient, createWorker } from "../../src/index.js";
import { postgres } from "../../src/store/postgres/index.js";
import { gate, type Gate } from "../helpers/gates.js";
import { announceSkip, dropSchemas, freshSchema, pgUrl as url } from "../helpers/postgres.js";
import { waitUntil } from "../helpers/runtime.js";

announceSkip("The PostgreSQL worker test");

const app = createApp();
const inc = app.activity("Inc", async (x: number) => x + 1);
const chain = app.orchestration("Chain", function* (ctx, n: number) {
  let value = 0;
  for (let i = 0; i < n; i++) value = yield* ctx.callActivity(inc, value);
  return value;
});
let held: Gate = gate();
let started = 0;
const slow = app.activity("Slow", async (x: number) => {
  started++;
  await held.promise;
  return x * 2;
});
const both = app.orchestration("Both", function* (ctx, x: number) {
  const seen: string[] = [];
  const result = ctx.callActivity(slow, x);
  const event = ctx.waitForExternalEvent<string>("go");
  const first = yield* ctx.any([result, event]);
  seen.push(first === result ? "result" : "event");
  seen.push(String(yield* event), String(yield* result));
  const after = yield* ctx.callActivity(inc, x);
  return { seen, after };
});

// Two activities in a row, each held until its gate opens; the task id each ran as.
const gates = new Map<number, Gate>();
const runs = new Map<number, number>();
const taskIds = new Map<number, number>();
const heldStep = app.activity("HeldStep", async (x: number, ctx) => {
  runs.set(x, (runs.get(x) ?? 0) + 1);
  taskIds.set(x, ctx.taskId);
  await gates.get(x)!.promise;
  return x;
});
const twoHeld = app.orchestration("TwoHeld", function* (ctx) {
  const a = yield* ctx.callActivity(heldStep, 1);
  const b = yield* ctx.callActivity(heldStep, 2);
  return [a, b];
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  held.open();
  for (const g of gates.values()) g.open();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!url)("a worker on PostgreSQL", () => {
  async function setUp(leaseMs?: number) {
    const schema = freshSchema("perdure_worker");
    cleanups.push(() => dropSchemas(schema));
    const store = await postgres(url!, { schema, poolSize: 4, onWarning: () => undefined });
    cleanups.push(() => store.close());
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const worker = createWorker(app, store, { logger: quiet, leaseMs }).start();
    cleanups.push(() => worker.stop({ timeoutMs: 2000 }));
    return { store, client: createClient(store, { app }) };
  }

  it("runs a 50-step chain, each step's result stored once", { timeout: 60_000 }, async () => {
    const { store, client } = await setUp();
    const id = await client.startNew(chain, { input: 50 });
    expect((await client.waitForCompletion<number>(id, { timeoutMs: 50_000 })).output).toBe(50);
    const history = (await store.getHistory(id)).events;
    expect(history.filter((e) => e.type === "TaskCompleted")).toHaveLength(50);
    expect(history.filter((e) => e.type === "TaskScheduled")).toHaveLength(50);
  });

  it("renews the lease of an activity that took over its predecessor's task row, and runs each once", { timeout: 60_000 }, async () => {
    const { store, client } = await setUp(600);
    const renewals = new Map<number, number>();
    const renew = store.renewActivityLease.bind(store);
    store.renewActivityLease = async (item, leaseMs) => {
      const renewed = await renew(item, leaseMs);
      renewals.set(item.taskId, (renewals.get(item.taskId) ?? 0) + 1);
      return renewed;
    };
    gates.set(1, gate());
    gates.set(2, gate());
    runs.clear();
    const id = await client.startNew(twoHeld);
    await waitUntil(() => runs.get(1) === 1, "the first activity runs");
    gates.get(1)!.open();
    await waitUntil(() => runs.get(2) === 1, "the second activity runs");
    // Its lease (600 ms) is renewed every 200 ms while it runs; unrenewed, it would run again.
    await waitUntil(() => (renewals.get(taskIds.get(2)!) ?? 0) >= 3, "the second activity's lease was renewed three times");
    gates.get(2)!.open();
    expect((await client.waitForCompletion<number[]>(id, { timeoutMs: 50_000 })).output).toEqual([1, 2]);
    expect([runs.get(1), runs.get(2)]).toEqual([1, 1]);
  });

  it("applies an event that came while an activity ran before the activity's result", { timeout: 60_000 }, async () => {
    const { client } = await setUp();
    held = gate();
    started = 0;
    const id = await client.startNew(both, { input: 21 });
    await waitUntil(() => started === 1, "the activity runs");
    await client.raiseEvent(id, "go", "now");
    held.open();
    const status = await client.waitForCompletion<{ seen: string[]; after: number }>(id, { timeoutMs: 50_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ seen: ["event", "now", "42"], after: 22 });
  });
});

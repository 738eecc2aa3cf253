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

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  held.open();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!url)("a worker on PostgreSQL", () => {
  async function setUp() {
    const schema = freshSchema("perdure_worker");
    cleanups.push(() => dropSchemas(schema));
    const store = await postgres(url!, { schema, poolSize: 4, onWarning: () => undefined });
    cleanups.push(() => store.close());
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const worker = createWorker(app, store, { logger: quiet }).start();
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

/**
 * Perdure's own orchestrations, on both stores: events carried over by continue-as-new come
 * before the events raised after them, and the new execution starts before it is told anything;
 * rewinding a parent whose failed sub-orchestration was purged starts that child again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";
import { gate, type Gate } from "../helpers/gates.js";
import { STORE_KINDS, startRuntimeOn, type StoreKind, type StoreRuntime } from "../helpers/stores.js";
import { waitUntil } from "../helpers/runtime.js";

let runtime: StoreRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

async function start(kind: StoreKind, app: ReturnType<typeof createApp>): Promise<StoreRuntime> {
  runtime = await startRuntimeOn(kind, app);
  return runtime;
}

describe.each(STORE_KINDS)("continue-as-new with events arriving (%s)", (kind) => {
  it("carries the unconsumed events over ahead of later ones, and starts each execution before its events", { timeout: 60_000 }, async () => {
    const app = createApp();
    let hold: Gate = gate();
    const holding = { count: 0 };
    const pause = app.activity("Pause", async () => {
      holding.count++;
      await hold.promise;
    });
    // Each generation takes one event, pauses (events arrive meanwhile), and goes on with what it has seen.
    const collect = app.orchestration("Collect", function* (ctx, seen: number[]) {
      const next = yield* ctx.waitForExternalEvent<number>("item");
      const all = [...seen, next];
      if (all.length === 4) return all;
      yield* ctx.callActivity(pause);
      ctx.continueAsNew(all);
      return undefined;
    });
    const { client } = await start(kind, app);
    const id = await client.startNew(collect, { input: [] });
    await client.raiseEvent(id, "item", 1);
    await waitUntil(() => holding.count === 1, "the first generation pauses");
    // Raised while the first generation waits for its activity: unconsumed, so carried over.
    await client.raiseEvent(id, "item", 2);
    await client.raiseEvent(id, "item", 3);
    const paused = hold;
    hold = gate();
    paused.open();
    await waitUntil(() => holding.count === 2, "the second generation pauses");
    await client.raiseEvent(id, "item", 4);
    hold.open();
    const status = await client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status).toMatchObject({ runtimeStatus: "Completed", output: [1, 2, 3, 4] });
    const history = await client.getHistory(id);
    expect(history.slice(0, 2).map((e) => e.type)).toEqual(["OrchestratorStarted", "ExecutionStarted"]);
    const raised = history.filter((e) => e.type === "EventRaised");
    // The last execution started with the one event carried over to it.
    expect(raised.map((e) => (e.type === "EventRaised" ? e.input : undefined))).toEqual(["4"]);
    expect(history.indexOf(raised[0]!)).toBe(2);
    for (const event of history) expect(Date.parse(event.timestamp)).toBeGreaterThan(Date.parse("2020-01-01T00:00:00Z"));
  });
});

describe.each(STORE_KINDS)("rewind over a purged sub-orchestration (%s)", (kind) => {
  it("starts the purged child again, and the parent completes with its output", { timeout: 60_000 }, async () => {
    const app = createApp();
    const attempts = { count: 0 };
    const shaky = app.activity("Shaky", async (n: number) => {
      attempts.count++;
      if (attempts.count === 1) throw new Error("not this time");
      return n * 2;
    });
    const child = app.orchestration("Child", function* (ctx, n: number) {
      return yield* ctx.callActivity(shaky, n);
    });
    const parent = app.orchestration("Parent", function* (ctx, n: number) {
      const doubled = yield* ctx.callSubOrchestrator(child, n, { instanceId: `${ctx.instanceId}-child` });
      return `child said ${doubled}`;
    });
    const { client, store } = await start(kind, app);
    const id = await client.startNew(parent, { input: 21 });
    expect(await client.waitForCompletion(id, { timeoutMs: 30_000 })).toMatchObject({ runtimeStatus: "Failed" });
    const failedChild = await store.getInstance(`${id}-child`);
    expect(failedChild).toMatchObject({ status: "Failed" });
    expect(await client.purge(`${id}-child`)).toBe(1);

    await client.rewind(id, "the child's service is back");
    expect(await client.waitForCompletion(id, { timeoutMs: 30_000 })).toMatchObject({ runtimeStatus: "Completed", output: "child said 42" });
    const again = await store.getInstance(`${id}-child`);
    expect(again).toMatchObject({ status: "Completed", parent: { instanceId: id, taskScheduledId: 0 } });
    expect(again?.executionId).not.toBe(failedChild?.executionId);
    expect(attempts.count).toBe(2);
  });
});

/**
 * Durable entities end to end on SQLite: the three entity examples, order per sender, rollback
 * of a failing operation, entity storage (list, read, clean), and kinds kept apart.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createApp,
  EntityOperationFailedError,
  entityId,
  UnknownEntityError,
  type EntityContext,
} from "../../src/index.js";
import { newEvent } from "../../src/core/history.js";
import { TestClock } from "../../src/store/conformance/conformance.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import { createTestEnv } from "../../src/testing/index.js";
import * as counterExample from "../../examples/entity-counter.js";
import * as aggregatorExample from "../../examples/entity-aggregator.js";
import * as breakerExample from "../../examples/circuit-breaker.js";

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe("entity examples", () => {
  it("counter: client signals and an orchestration's signals are all applied before its call", async () => {
    rt = startRuntime(counterExample.app);
    const visits = entityId(counterExample.counter, "visits");
    await rt.client.signalEntity(visits, "add", 10);
    const id = await rt.client.startNew(counterExample.addAll, { input: { key: "visits", amounts: [1, 2, 3] } });
    const status = await rt.client.waitForCompletion<number>(id, { timeoutMs: 30_000 });
    expect(status.output).toBe(16);
    expect(await rt.client.readEntityState(visits)).toEqual({ exists: true, state: 16 });
    await rt.client.signalEntity(visits, "reset");
    await waitUntil(async () => !(await rt!.client.readEntityState(visits)).exists, "the counter is deleted");
  });

  it("aggregator: many orchestrations feed one entity and no sale is lost", async () => {
    rt = startRuntime(aggregatorExample.app, { maxConcurrentOrchestrations: 4 });
    const regions = ["north", "south", "east"];
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        rt!.client.startNew(aggregatorExample.recordSale, { input: { day: "d1", sale: { region: regions[i % 3]!, units: i + 1 } } }),
      ),
    );
    for (const id of ids) expect((await rt.client.waitForCompletion(id, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    const report = await rt.client.startNew(aggregatorExample.dailyReport, { input: "d1" });
    const { output } = await rt.client.waitForCompletion<{ total: number; count: number; byRegion: Record<string, number> }>(report, {
      timeoutMs: 30_000,
    });
    expect(output).toEqual({ total: 4650, count: 30, byRegion: { north: 1450, south: 1550, east: 1650 } });
  });

  it("circuit breaker: opens after N failures, skips the service while open, lets a trial through after the cool-down", async () => {
    const env = createTestEnv(breakerExample.app);
    try {
      const billing = entityId(breakerExample.breaker, "billing");
      await env.client.signalEntity(billing, "configure", { threshold: 2, coolDownMs: 60_000 });
      const run = async (fail: boolean): Promise<breakerExample.Outcome> => {
        const id = await env.startNew(breakerExample.guardedCall, { input: { service: "billing", fail } });
        return (await env.waitForCompletion<breakerExample.Outcome>(id)).output!;
      };
      expect(await run(true)).toMatchObject({ via: "fallback", reason: expect.stringContaining("unavailable") });
      expect(await run(true)).toMatchObject({ via: "fallback", reason: expect.stringContaining("unavailable") });
      expect(await run(false)).toEqual({ via: "fallback", reason: "circuit open" });
      expect(env.calls(breakerExample.callService)).toHaveLength(2);
      await env.advanceTime("59s");
      expect(await run(false)).toEqual({ via: "fallback", reason: "circuit open" });
      await env.advanceTime("1s");
      expect(await run(false)).toEqual({ via: "service", answer: "billing answered" });
      expect(await run(false)).toEqual({ via: "service", answer: "billing answered" });
      expect(env.calls(breakerExample.callService)).toHaveLength(4);
      expect((await env.client.readEntityState<breakerExample.CircuitBreaker>(billing)).state).toMatchObject({ failures: 0, openedAt: null });
    } finally {
      await env.close();
    }
  });
});

/** A log entity that appends its input, and fails on demand after changing its state. */
function logApp() {
  const app = createApp();
  type LogOps = { append: (item: string) => void; appendThenFail: (item: string) => void; items: () => string[] };
  const log = app.entity<LogOps>("Log", (ctx: EntityContext<string[]>) => {
    const items = ctx.getState(() => []);
    switch (ctx.operationName) {
      case "append":
        items.push(ctx.getInput<string>());
        break;
      case "appendThenFail":
        items.push(ctx.getInput<string>());
        throw new Error(`refused ${ctx.getInput<string>()}`);
      case "items":
        ctx.return(items);
        break;
    }
  });
  const sender = app.orchestration("Sender", function* (ctx, input: { name: string; count: number }) {
    const id = entityId(log, "shared");
    for (let i = 0; i < input.count; i++) {
      if (i % 5 === 4) yield* ctx.callEntity(id, "append", `${input.name}:${i}`);
      else ctx.signalEntity(id, "append", `${input.name}:${i}`);
    }
    return input.count;
  });
  const failing = app.orchestration("Failing", function* (ctx) {
    const id = entityId(log, "shared");
    yield* ctx.callEntity(id, "append", "before");
    let error: unknown;
    try {
      yield* ctx.callEntity(id, "appendThenFail", "bad");
    } catch (caught) {
      error = caught;
    }
    yield* ctx.callEntity(id, "append", "after");
    const items = yield* ctx.callEntity(id, "items");
    const failure = error as EntityOperationFailedError;
    return { items, isEntityError: error instanceof EntityOperationFailedError, message: failure.message, inner: failure.details.errorMessage };
  });
  return { app, log, sender, failing };
}

describe("entity semantics", () => {
  it("applies each sender's operations in the order it sent them", async () => {
    const { app, log, sender } = logApp();
    rt = startRuntime(app, { maxConcurrentOrchestrations: 3 });
    const shared = entityId(log, "shared");
    const clientSends = (async () => {
      for (let i = 0; i < 15; i++) await rt!.client.signalEntity(shared, "append", `client:${i}`);
    })();
    const ids = await Promise.all(["a", "b", "c"].map((name) => rt!.client.startNew(sender, { input: { name, count: 20 } })));
    await clientSends;
    for (const id of ids) await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    await waitUntil(async () => ((await rt!.client.readEntityState<string[]>(shared)).state?.length ?? 0) === 75, "all 75 items arrive");
    const items = (await rt.client.readEntityState<string[]>(shared)).state!;
    for (const [name, count] of [["a", 20], ["b", 20], ["c", 20], ["client", 15]] as const) {
      const mine = items.filter((item) => item.startsWith(`${name}:`));
      expect(mine).toEqual(Array.from({ length: count }, (_, i) => `${name}:${i}`));
    }
  });

  it("rolls back a failing operation, gives the caller its error, and goes on", async () => {
    const { app, failing } = logApp();
    rt = startRuntime(app);
    const id = await rt.client.startNew(failing);
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.output).toEqual({
      items: ["before", "after"],
      isEntityError: true,
      message: "Entity operation 'appendThenFail' on '@log@shared' failed: Error: refused bad",
      inner: "refused bad",
    });
  });

  it("logs a failing signal and keeps the state as it was", async () => {
    const { app, log } = logApp();
    const warnings: string[] = [];
    rt = startRuntime(app, { logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} } });
    const shared = entityId(log, "shared");
    await rt.client.signalEntity(shared, "append", "one");
    await rt.client.signalEntity(shared, "appendThenFail", "two");
    await rt.client.signalEntity(shared, "append", "three");
    await waitUntil(async () => (await rt!.client.readEntityState<string[]>(shared)).state?.length === 2, "both good signals apply");
    expect((await rt.client.readEntityState(shared)).state).toEqual(["one", "three"]);
    expect(warnings.join("\n")).toContain("Signaled operation 'appendThenFail' on entity '@log@shared' failed: Error: refused two");
  });

  it("delivers a scheduled signal no earlier than its time", async () => {
    const clock = new TestClock();
    const { app, log } = logApp();
    rt = startRuntime(app, { clock: clock.now });
    const shared = entityId(log, "shared");
    await rt.client.signalEntity(shared, "append", "later", { at: new Date(clock.ms + 60_000) });
    await rt.client.signalEntity(shared, "append", "now");
    await waitUntil(async () => (await rt!.client.readEntityState<string[]>(shared)).exists, "the first signal applies");
    expect(await rt.store.nextWakeUp()).toBe(clock.ms + 60_000);
    expect((await rt.client.readEntityState(shared)).state).toEqual(["now"]);
    clock.advance(60_000);
    rt.worker.wake();
    await waitUntil(async () => (await rt!.client.readEntityState<string[]>(shared)).state?.length === 2, "the scheduled signal applies");
  });

  it("refuses a signal to an entity the app does not register, writing nothing", async () => {
    const { app } = logApp();
    rt = startRuntime(app);
    await expect(rt.client.signalEntity(entityId("Nope", "k"), "x")).rejects.toBeInstanceOf(UnknownEntityError);
    expect((await rt.client.listEntities()).entities).toEqual([]);
  });
});

describe("entity storage", () => {
  it("lists entities apart from orchestrations, reads them, and cleans orphaned locks and empty entities", async () => {
    const { app, log, sender } = logApp();
    rt = startRuntime(app);
    const orchestration = await rt.client.startNew(sender, { input: { name: "a", count: 1 } });
    await rt.client.waitForCompletion(orchestration, { timeoutMs: 30_000 });
    await rt.client.signalEntity(entityId(log, "empty"), "items");
    // A lock taken for an orchestration that does not exist: only cleaning can release it.
    await rt.store.sendMessages([
      {
        instanceId: "@log@locked",
        ensureInstance: { name: "log", kind: "entity" },
        event: newEvent("EntityLockRequested", new Date().toISOString(), {
          criticalSectionId: "cs-ghost",
          lockSet: ["@log@locked"],
          position: 0,
          parentInstanceId: "ghost",
        }),
      },
    ]);
    await rt.client.signalEntity(entityId(log, "locked"), "append", "waits for the lock");
    await waitUntil(async () => (await rt!.client.listEntities()).entities.length === 3 && (await lockedBy(rt!, "@log@locked")) === "ghost", "the entities exist");

    expect((await rt.client.list()).instances.map((i) => i.instanceId)).toEqual([orchestration]);
    const page = await rt.client.listEntities({ name: "LOG", includeState: true, pageSize: 2 });
    const next = await rt.client.listEntities({ name: "log", includeState: true, continuationToken: page.continuationToken });
    const all = [...page.entities, ...next.entities].sort((x, y) => x.instanceId.localeCompare(y.instanceId));
    expect(all.map((e) => ({ id: e.id, exists: e.exists, lockedBy: e.lockedBy, backlogSize: e.backlogSize, state: e.state }))).toEqual([
      { id: { name: "log", key: "empty" }, exists: false, lockedBy: undefined, backlogSize: 0, state: undefined },
      { id: { name: "log", key: "locked" }, exists: false, lockedBy: "ghost", backlogSize: 1, state: undefined },
      { id: { name: "log", key: "shared" }, exists: true, lockedBy: undefined, backlogSize: 0, state: ["a:0"] },
    ]);

    expect(await rt.client.cleanEntityStorage({ removeEmptyEntities: true, releaseOrphanedLocks: true })).toEqual({
      emptyEntitiesRemoved: 1,
      orphanedLocksReleased: 1,
    });
    await waitUntil(async () => (await rt!.client.readEntityState(entityId(log, "locked"))).exists, "the queued operation runs");
    expect((await rt.client.readEntityState(entityId(log, "locked"))).state).toEqual(["waits for the lock"]);
    expect((await rt.client.listEntities()).entities.map((e) => e.instanceId).sort()).toEqual(["@log@locked", "@log@shared"]);
    // Purging orchestrations leaves entities alone.
    expect(await rt.client.purgeBy({ all: true })).toBe(1);
    expect((await rt.client.listEntities()).entities).toHaveLength(2);
  });
});

async function lockedBy(runtime: TestRuntime, instanceId: string): Promise<string | undefined> {
  const page = await runtime.client.listEntities();
  return page.entities.find((e) => e.instanceId === instanceId)?.lockedBy;
}

/**
 * Perdure's durable entities over the protocol: the JavaScript SDK's client signals, reads,
 * queries and cleans them, and its orchestrations call, signal and lock them, while a worker of
 * ours runs them on the same store.
 */
import { status } from "@grpc/grpc-js";
import { EntityInstanceId, OrchestrationStatus, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createWorker, type EntityContext } from "../../src/index.js";
import { silent, startHarness, waitUntil, type Harness } from "./harness.js";

let harness: Harness | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await harness?.close();
  harness = undefined;
});

function counterApp() {
  const app = createApp();
  app.entity("Counter", (ctx: EntityContext<number>) => {
    switch (ctx.operationName) {
      case "add":
        ctx.setState(ctx.getState(() => 0) + ctx.getInput<number>());
        break;
      case "get":
        ctx.return(ctx.getState(() => 0));
        break;
      case "delete":
        ctx.destructOnExit();
        break;
    }
  });
  return app;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;

describe("Perdure entities over the protocol", () => {
  it("are signaled, read, queried and cleaned by the SDK's client", { timeout: 60_000 }, async () => {
    const app = counterApp();
    harness = await startHarness(() => undefined, { app, startWorker: false });
    const h = harness;
    const local = createWorker(app, h.store, { logger: silent }).start();
    cleanups.push(() => local.stop({ timeoutMs: 2000 }));
    const a = new EntityInstanceId("counter", "a");
    await h.client.signalEntity(a, "add", 5);
    await h.client.signalEntity(a, "add", 2);
    await h.client.signalEntity(new EntityInstanceId("counter", "b"), "add", 1);
    await waitUntil(async () => (await h.client.getEntity<number>(a))?.state === 7, "both signals are applied");
    expect(await h.client.getEntity(new EntityInstanceId("counter", "nobody"))).toBeUndefined();

    await waitUntil(async () => (await h.client.getEntity(new EntityInstanceId("counter", "b"))) !== undefined, "b exists");
    const found: Array<[string, unknown]> = [];
    for await (const entity of h.client.getEntities({ instanceIdStartsWith: "counter", includeState: true })) {
      found.push([entity.id.toString(), entity.state]);
    }
    expect(found.sort()).toEqual([
      ["@counter@a", 7],
      ["@counter@b", 1],
    ]);

    await h.client.signalEntity(a, "delete");
    await waitUntil(async () => (await h.client.getEntity(a)) === undefined, "the entity is deleted");
    const cleaned = await h.client.cleanEntityStorage({ removeEmptyEntities: true, releaseOrphanedLocks: true });
    expect(cleaned.emptyEntitiesRemoved).toBe(1);

    const tooLong = new EntityInstanceId("counter", "k".repeat(120));
    await expect(h.client.signalEntity(tooLong, "add", 1)).rejects.toSatisfy((e) => (e as { code?: number }).code === status.INVALID_ARGUMENT);
  });

  it("are called, signaled and locked by SDK orchestrations", { timeout: 60_000 }, async () => {
    const app = counterApp();
    const useCounter: Orchestrator = async function* (ctx, key: string) {
      const id = new EntityInstanceId("counter", key);
      ctx.entities.signalEntity(id, "add", 10);
      const lock = yield ctx.entities.lockEntities(id);
      const inside = yield ctx.entities.callEntity(id, "get");
      yield ctx.entities.callEntity(id, "add", 1);
      lock.release();
      const after = yield ctx.entities.callEntity(id, "get");
      return { inside, after };
    };
    const forgetful: Orchestrator = async function* (ctx, key: string) {
      // Ends while it holds the lock: the server releases it.
      yield ctx.entities.lockEntities(new EntityInstanceId("counter", key));
      return "done";
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(useCounter);
      w.addOrchestrator(forgetful);
    }, { app });
    const h = harness;
    const local = createWorker(app, h.store, { logger: silent }).start();
    cleanups.push(() => local.stop({ timeoutMs: 2000 }));

    const id = await h.client.scheduleNewOrchestration(useCounter, "c");
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(JSON.parse(state!.serializedOutput!)).toEqual({ inside: 10, after: 11 });

    const holder = await h.client.scheduleNewOrchestration(forgetful, "d");
    expect((await h.client.waitForOrchestrationCompletion(holder, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    await h.client.signalEntity(new EntityInstanceId("counter", "d"), "add", 3);
    await waitUntil(async () => (await h.client.getEntity<number>(new EntityInstanceId("counter", "d")))?.state === 3, "the lock was released");
  });
});

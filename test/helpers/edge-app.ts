/**
 * The app the edge suites share: an orchestration that waits for an event, one that finishes at
 * once, and a counter entity; a store filled with one of each; and a snapshot of every stored
 * instance and entity, which a refused call must leave as it was.
 */
import { createApp, entityId, type EntityContext } from "../../src/index.js";
import { waitUntil } from "./runtime.js";
import type { StoreRuntime, TestStore } from "./stores.js";

export const app = createApp();
export const hold = app.orchestration("Hold", function* (ctx) {
  return yield* ctx.waitForExternalEvent<number>("go");
});
export const done = app.orchestration("Done", function* (_ctx, x: number) {
  return x;
});
export const counter = app.entity<{ add: (n: number) => void }>("Counter", (ctx: EntityContext<number>) => {
  ctx.setState(ctx.getState(() => 0) + ctx.getInput<number>());
});

/** Every instance and entity, as `kind:id status state`. */
export async function snapshot(store: TestStore): Promise<string[]> {
  const rows = await store.raw("SELECT kind, instance_id, status, entity_state FROM {s}.instances ORDER BY instance_id");
  return rows.map((r) => `${String(r.kind)}:${String(r.instance_id)} ${String(r.status)} ${String(r.entity_state)}`);
}

/** Finished instances `done-1`…, the waiting instance `held`, and the entity Counter c1 with state 2. */
export async function seed(rt: StoreRuntime, finished = 1): Promise<void> {
  const client = rt.client;
  for (let i = 1; i <= finished; i++) {
    await client.startNew(done, { instanceId: `done-${i}`, input: 1 });
    await client.waitForCompletion(`done-${i}`, { timeoutMs: 30_000 });
  }
  await client.startNew(hold, { instanceId: "held" });
  await client.signalEntity(entityId(counter, "c1"), "add", 2);
  await waitUntil(async () => (await client.readEntityState(entityId(counter, "c1"))).exists, "the entity has state", 30_000);
}

/** A normal instance still runs from start to end. */
export async function expectWorkerServes(rt: StoreRuntime): Promise<boolean> {
  const id = await rt.client.startNew(done, { input: 5 });
  const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
  return status.runtimeStatus === "Completed" && status.output === 5;
}

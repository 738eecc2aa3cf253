/**
 * Durable entities: a counter whose operations run one at a time, whoever sends them. A client
 * signals it, and an orchestration signals it and then calls it for its value: operations from
 * one sender arrive in the order they were sent, so the call sees every earlier signal.
 *
 * Run: `npx tsx examples/entity-counter.ts`
 */
import { createApp, createClient, createWorker, entityId, sqlite, type EntityContext } from "../src/index.js";
import { isMain } from "./run.js";

/** The counter's operations: each name with its input and result. */
export type CounterOps = {
  add: (amount: number) => void;
  reset: () => void;
  get: () => number;
};

export const app = createApp();

export const counter = app.entity<CounterOps>("Counter", (ctx: EntityContext<number>) => {
  switch (ctx.operationName) {
    case "add":
      ctx.setState(ctx.getState(() => 0) + ctx.getInput<number>());
      break;
    case "reset":
      ctx.destructOnExit();
      break;
    case "get":
      ctx.return(ctx.getState(() => 0));
      break;
  }
});

/** Adds each amount to the counter `key`, then returns the counter's value. */
export const addAll = app.orchestration("AddAll", function* (ctx, input: { key: string; amounts: number[] }) {
  const id = entityId(counter, input.key);
  for (const amount of input.amounts) ctx.signalEntity(id, "add", amount);
  return yield* ctx.callEntity(id, "get");
});

if (isMain(import.meta.url)) {
  const store = sqlite(process.env.PERDURE_DB ?? "perdure.db");
  const worker = createWorker(app, store).start();
  const client = createClient(store, { app });
  try {
    const visits = entityId(counter, "visits");
    await client.signalEntity(visits, "reset");
    await client.signalEntity(visits, "add", 10);
    const instanceId = await client.startNew(addAll, { input: { key: "visits", amounts: [1, 2, 3] } });
    const status = await client.waitForCompletion<number>(instanceId, { timeoutMs: 30_000 });
    console.log(`AddAll saw the counter at ${status.output}`);
    console.log("Stored state:", await client.readEntityState<number>(visits));
  } finally {
    await worker.stop();
    await store.close();
  }
}

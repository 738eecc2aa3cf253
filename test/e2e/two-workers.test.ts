import { afterEach, expect, it } from "vitest";
import { createApp, createClient, createWorker, sqlite, type Store, type Worker } from "../../src/index.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };
let store: Store | undefined;
let workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers) await w.stop({ timeoutMs: 2000 });
  workers = [];
  await store?.close();
  store = undefined;
});

it("two workers sharing one store complete interleaved chains with the right outputs", async () => {
  const app = createApp();
  const step = app.activity("Inc", async (x: number) => x + 1);
  const chain = app.orchestration("Chain10", function* (ctx, start: number) {
    let value = start;
    for (let i = 0; i < 10; i++) value = yield* ctx.callActivity(step, value);
    return value;
  });
  store = sqlite(":memory:");
  // Small activity limits make the workers take turns on the same instances.
  workers = [
    createWorker(app, store, { logger: silent, maxConcurrentActivities: 1 }).start(),
    createWorker(app, store, { logger: silent, maxConcurrentActivities: 1 }).start(),
  ];
  const client = createClient(store, { app });
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => client.startNew(chain, { input: i * 100 })));
  const statuses = await Promise.all(ids.map((id) => client.waitForCompletion<number>(id, { timeoutMs: 60_000 })));
  expect(statuses.map((s) => s.runtimeStatus)).toEqual(ids.map(() => "Completed"));
  expect(statuses.map((s) => s.output)).toEqual(ids.map((_, i) => i * 100 + 10));
});

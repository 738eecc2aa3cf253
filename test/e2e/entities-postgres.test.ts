/**
 * Durable entities on PostgreSQL with several workers sharing one schema: critical sections over
 * overlapping entity sets, one of them failing inside its section, finish without deadlock and
 * without lost updates, and leave no entity locked. Each worker keeps warm executors, so an
 * instance moves between workers that each hold a copy of it.
 *
 * Needs PERDURE_TEST_PG_URL; skipped without it. Uses its own schema, dropped at the end.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createClient, createWorker, entityId, type Worker } from "../../src/index.js";
import { postgres, type PostgresStore } from "../../src/store/postgres/index.js";
import { announceSkip, dropSchemas, freshSchema, pgUrl as url } from "../helpers/postgres.js";
import { waitUntil } from "../helpers/runtime.js";

announceSkip("The PostgreSQL entity test");

class Account {
  balance = 0;
  get(): number {
    return this.balance;
  }
  set(value: number): void {
    this.balance = value;
  }
}

function accountsApp() {
  const app = createApp();
  const account = app.entity("Account", Account);
  const incrementAll = app.orchestration("IncrementAll", function* (ctx, keys: string[]) {
    const ids = keys.map((key) => entityId(account, key));
    const lock = yield* ctx.lockEntities(...ids);
    for (const id of ids) {
      const value = yield* ctx.callEntity(id, "get");
      yield* ctx.callEntity(id, "set", value + 1);
    }
    if (keys.includes("boom")) throw new Error("failed inside the critical section");
    lock.release();
    return keys.length;
  });
  return { app, account, incrementAll };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!url)("durable entities on PostgreSQL", () => {
  it("runs contending critical sections on three workers without deadlock or lost updates", { timeout: 120_000 }, async () => {
    const schema = freshSchema("perdure_entities");
    cleanups.push(() => dropSchemas(schema));
    const store: PostgresStore = await postgres(url!, { schema, poolSize: 6, onWarning: () => undefined });
    cleanups.push(() => store.close());
    const { app, account, incrementAll } = accountsApp();
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const workers: Worker[] = [1, 2, 3].map(() => createWorker(app, store, { logger: quiet, maxConcurrentOrchestrations: 4 }).start());
    cleanups.push(async () => {
      for (const worker of workers) await worker.stop({ timeoutMs: 2000 });
    });
    const client = createClient(store, { app });

    const sets = Array.from({ length: 24 }, (_, i) => [["x", "y"], ["z", "y"], ["z", "x", "boom"]][i % 3]!);
    const ids = await Promise.all(sets.map((keys) => client.startNew(incrementAll, { input: keys })));
    const statuses = [];
    for (const id of ids) statuses.push((await client.waitForCompletion(id, { timeoutMs: 90_000 })).runtimeStatus);
    expect(statuses.filter((s) => s === "Completed")).toHaveLength(16);
    expect(statuses.filter((s) => s === "Failed")).toHaveLength(8);

    const balance = async (key: string) => (await client.readEntityState<Account>(entityId(account, key))).state?.balance;
    expect([await balance("x"), await balance("y"), await balance("z"), await balance("boom")]).toEqual([16, 16, 16, 8]);
    const locked = async () => (await client.listEntities()).entities.filter((e) => e.lockedBy !== undefined);
    await waitUntil(async () => (await locked()).length === 0, "every release has been processed");
  });
});

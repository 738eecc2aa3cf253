/**
 * Versions across worker processes on PostgreSQL: one worker process registers Order versions 1
 * and 2, another only 2. Instances started on version 1 finish on version 1's code, and only on
 * the process that has it; new instances start on version 2; an instance on a version no worker
 * has waits, and completes once a worker with it starts.
 *
 * Needs PERDURE_TEST_PG_URL; skipped without it. Uses its own schema, dropped at the end.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createClient, postgres, type Client, type PostgresStore } from "../../src/index.js";
import { spawnFixture, type Child } from "../helpers/children.js";
import { announceSkip, dropSchemas, freshSchema, pgUrl as url } from "../helpers/postgres.js";
import { waitUntil } from "../helpers/runtime.js";
import { VERSIONS_SCHEMA_ENV, versionedApp } from "./fixtures/versioned-app.js";

announceSkip("The PostgreSQL versioning test");

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Output {
  readonly code: string;
  readonly ctxVersion: string;
  readonly completedBy: string;
}

describe.skipIf(!url)("versions across worker processes on PostgreSQL", () => {
  it("runs each instance on its version's code, in a process that has it, and waits for a missing version", { timeout: 180_000 }, async () => {
    const schema = freshSchema("perdure_versions");
    cleanups.push(() => dropSchemas(schema));
    const store: PostgresStore = await postgres(url!, { schema, poolSize: 4 });
    cleanups.push(() => store.close());
    const children: Child[] = [];
    cleanups.push(async () => {
      for (const child of children) if (!child.hasExited()) child.process.kill("SIGTERM");
      await Promise.all(children.map((c) => c.exited));
    });
    const startWorker = async (name: string, versions: string): Promise<Child> => {
      const child = spawnFixture(name, "test/e2e/fixtures/versioned-worker.ts", [name, versions], { [VERSIONS_SCHEMA_ENV]: schema });
      children.push(child);
      await waitUntil(() => {
        if (child.hasExited()) throw new Error(`${name} ended early:\n${child.output()}`);
        return child.output().includes(`ready ${name}`);
      }, `${name} is ready`, 60_000);
      return child;
    };
    // The client of the new code knows both versions; a plain one starts what it is told.
    const client: Client = createClient(store, { app: versionedApp(["1", "2"], "client") });
    const plain = createClient(store);
    const status = (id: string) => client.getStatus<Output>(id);

    // Only the worker with version 2 runs at first.
    await startWorker("v2-only", "2");
    const v1 = await Promise.all([1, 2, 3].map((i) => client.startNew("Order", { instanceId: `v1-${i}`, version: "1" })));
    const v2 = await Promise.all([1, 2, 3].map((i) => client.startNew("Order", { instanceId: `v2-${i}` })));
    const v3 = await plain.startNew("Order", { instanceId: "v3-1", version: "3" });
    for (const id of [...v1, ...v2, v3]) await client.raiseEvent(id, "Go");
    for (const id of v2) {
      const done = await client.waitForCompletion<Output>(id, { timeoutMs: 60_000 });
      expect(done.version).toBe("2");
      expect(done.output).toEqual({ code: "2", ctxVersion: "2", stamped: "stamped for 2", completedBy: "v2-only" });
    }
    // The version 1 and 3 instances were left alone: not started, their event still in the inbox.
    for (const id of [...v1, v3]) {
      expect((await status(id))?.runtimeStatus).toBe("Pending");
      expect(await client.getHistory(id)).toEqual([]);
    }

    // The worker with versions 1 and 2 starts: the version 1 instances finish there, on version 1's code.
    await startWorker("v1-and-v2", "1,2");
    for (const id of v1) {
      const done = await client.waitForCompletion<Output>(id, { timeoutMs: 60_000 });
      expect(done.output).toEqual({ code: "1", ctxVersion: "1", stamped: "stamped for 1", completedBy: "v1-and-v2" });
    }
    // New instances still start on version 2, and either worker may run them.
    const later = await client.startNew("Order");
    await client.raiseEvent(later, "Go");
    expect((await client.waitForCompletion<Output>(later, { timeoutMs: 60_000 })).output).toMatchObject({ code: "2" });
    const registered = (await store.listWorkers()).map((w) => [w.workerId, w.orchestrations.map((o) => o.version).join(",")]);
    expect(registered).toEqual([
      ["v1-and-v2", "1,2"],
      ["v2-only", "2"],
    ]);

    // Version 3 waited the whole time; a worker that has it runs it to its end.
    expect((await status(v3))?.runtimeStatus).toBe("Pending");
    await startWorker("v3", "3");
    const done = await client.waitForCompletion<Output>(v3, { timeoutMs: 60_000 });
    expect(done.output).toEqual({ code: "3", ctxVersion: "3", stamped: "stamped for 3", completedBy: "v3" });
  });
});

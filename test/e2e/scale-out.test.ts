/**
 * Scaling out on PostgreSQL (DESIGN.md invariants 2, 3 and 6 across processes): worker processes
 * and a client process share one schema and run 2,000 chains of 5 activities. One worker is
 * killed with SIGKILL mid-run, another joins late. Every chain completes with the right output,
 * the work is spread over the workers, and no activity result is applied twice.
 *
 * Needs PERDURE_TEST_PG_URL; skipped without it. Uses its own schema, dropped at the end.
 */
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/index.js";
import { spawnFixture, type Child } from "../helpers/children.js";
import { announceSkip, freshSchema, pgUrl as url } from "../helpers/postgres.js";
import { waitUntil } from "../helpers/runtime.js";
import { SCALE_STEPS, SCHEMA_ENV, WORKER_ENV } from "./fixtures/scale-app.js";

announceSkip("The scale-out test");

const COUNT = 2000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!url)("scale-out on PostgreSQL", () => {
  it("runs 2,000 chains on workers that come and go, each result applied once", { timeout: 360_000 }, async () => {
    const schema = freshSchema("perdure_scale");
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const children: Child[] = [];
    cleanups.push(async () => {
      for (const child of children) if (!child.hasExited()) child.process.kill("SIGKILL");
      await Promise.all(children.map((c) => c.exited));
    });
    const env = { [SCHEMA_ENV]: schema };
    const startWorker = (id: string): Child => {
      const child = spawnFixture(id, "test/e2e/fixtures/scale-worker.ts", [], { ...env, [WORKER_ENV]: id });
      children.push(child);
      return child;
    };
    const alive = (child: Child): boolean => {
      if (child.hasExited()) throw new Error(`${child.name} ended early:\n${child.output()}`);
      return true;
    };
    const completed = async (): Promise<number> => {
      const exists = await admin.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
      if (exists.rowCount === 0) return 0;
      const result = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".instances WHERE status = 'Completed'`);
      return result.rows[0].n as number;
    };

    // Three workers start together (and migrate the new schema between them), then the client.
    const first = ["w1", "w2", "w3"].map(startWorker);
    await waitUntil(() => first.every((w) => alive(w) && w.output().includes("ready")), "the first workers are ready", 60_000);
    const client = spawnFixture("client", "test/e2e/fixtures/scale-client.ts", [String(COUNT)], env);
    children.push(client);

    await waitUntil(async () => alive(client) && (await completed()) >= COUNT / 4, "a quarter of the chains completed", 180_000);
    const victim = first[0]!;
    victim.process.kill("SIGKILL");
    await victim.exited;
    expect(victim.process.signalCode).toBe("SIGKILL");
    const late = startWorker("w4");
    await waitUntil(() => alive(late) && late.output().includes("ready"), "the late worker is ready", 60_000);

    await waitUntil(() => client.hasExited(), "the client has every result", 300_000);
    expect(client.process.exitCode, client.output()).toBe(0);
    const summary = JSON.parse(client.output().split("\n").find((line) => line.startsWith("{"))!);
    expect(summary).toEqual({ completed: COUNT, wrong: [] });

    // Every chain completed with the right output, as the store has it.
    const rows = (await admin.query(`SELECT instance_id, status, output FROM "${schema}".instances`)).rows as Array<{
      instance_id: string;
      status: string;
      output: string;
    }>;
    expect(rows).toHaveLength(COUNT);
    const by = new Map<string, number>();
    for (const row of rows) {
      expect(row.status).toBe("Completed");
      const output = JSON.parse(row.output) as { v: number; by: string[] };
      expect(output.v).toBe(Number(row.instance_id.slice("scale-".length)) + SCALE_STEPS);
      for (const worker of output.by) by.set(worker, (by.get(worker) ?? 0) + 1);
    }
    // The work was spread: the killed worker, the others and the late one all ran steps.
    expect([...by.keys()].sort()).toEqual(["w1", "w2", "w3", "w4"]);
    expect([...by.values()].reduce((a, b) => a + b, 0)).toBe(COUNT * SCALE_STEPS);

    // No result applied twice: each history holds exactly one TaskCompleted per step.
    const history = (await admin.query(`SELECT instance_id, event FROM "${schema}".history`)).rows as Array<{
      instance_id: string;
      event: string;
    }>;
    const completions = new Map<string, number[]>();
    for (const row of history) {
      const event = JSON.parse(row.event) as HistoryEvent;
      if (event.type !== "TaskCompleted") continue;
      const list = completions.get(row.instance_id) ?? [];
      list.push(event.taskScheduledId);
      completions.set(row.instance_id, list);
    }
    expect(completions.size).toBe(COUNT);
    for (const [id, tasks] of completions) {
      expect(tasks.length, `TaskCompleted events of ${id}`).toBe(SCALE_STEPS);
      expect(new Set(tasks).size, `distinct tasks completed in ${id}`).toBe(SCALE_STEPS);
    }
    const leftovers = await admin.query(`SELECT (SELECT count(*) FROM "${schema}".tasks)::int AS tasks, (SELECT count(*) FROM "${schema}".messages)::int AS messages`);
    expect(leftovers.rows[0]).toEqual({ tasks: 0, messages: 0 });

    for (const child of children) if (!child.hasExited()) child.process.kill("SIGTERM");
    await Promise.all(children.map((c) => c.exited));
  });
});

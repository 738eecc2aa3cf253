/**
 * The PostgreSQL store: the conformance suite, and what only a shared server does — concurrent
 * migration, notifications across stores, reconnecting after the server drops connections, a
 * newer schema refused. Needs PERDURE_TEST_PG_URL (CI sets it); without it these suites are
 * skipped, and with it an unreachable server fails them. This file uses its own schema, dropped
 * at the end.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import ts from "typescript";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeStoreConformance, TestClock } from "../../src/store/conformance/conformance.js";
import { RecordingStepper, WORKER, commitFor, newTask, raised, refusedCommit, startRequest } from "../../src/store/conformance/fixtures.js";
import type { StepInput } from "../../src/store/store.js";
import { SchemaTooNewError } from "../../src/store/errors.js";
import { postgres, type PostgresOptions, type PostgresStore } from "../../src/store/postgres/index.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS, channelOf } from "../../src/store/postgres/migrations.js";
import { newEvent } from "../../src/core/history.js";
import { INLINE_MESSAGE_ID, type ActivityWorkItem, type StoreEvent } from "../../src/store/store.js";
import { announceSkip, dropSchemas, pgUrl as url, withAdmin as admin } from "../helpers/postgres.js";

announceSkip("The PostgreSQL suites");

const suffix = randomBytes(4).toString("hex");
const schema = `perdure_test_${suffix}`;
const silent = () => undefined;
const schemas = new Set<string>([schema]);

function open(options: PostgresOptions = {}): Promise<PostgresStore> {
  return postgres(url!, { schema, poolSize: 4, onWarning: silent, ...options });
}

/** Resolves when `predicate` holds for an event, or fails after `timeoutMs`. */
function nextEvent(store: PostgresStore, predicate: (event: StoreEvent) => boolean, timeoutMs = 10_000): Promise<StoreEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching store event within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = store.subscribe((event) => {
      if (!predicate(event)) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

afterAll(async () => {
  if (!url) return;
  await dropSchemas(...schemas);
});

describe.skipIf(!url)("postgres", () => {
  /** One schema for the file: each test starts from empty tables. */
  const truncate = () =>
    admin((client) => client.query(`TRUNCATE "${schema}".instances, "${schema}".messages, "${schema}".history, "${schema}".tasks, "${schema}".workers`));

  describeStoreConformance("postgres", async ({ clock }) => {
    const store = await open({ clock });
    await truncate();
    return store;
  });

  describe("postgres specifics", () => {
    const stores: PostgresStore[] = [];
    const track = async (pending: Promise<PostgresStore>): Promise<PostgresStore> => {
      const store = await pending;
      stores.push(store);
      return store;
    };
    beforeEach(async () => {
      await open().then((store) => store.close()); // makes sure the schema exists
      await truncate();
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    it("names itself and states the server's synchronous_commit", async () => {
      const store = await track(open());
      expect(store.name).toBe("postgres");
      const setting = await admin(async (c) => (await c.query("SHOW synchronous_commit")).rows[0].synchronous_commit);
      expect(store.durability).toBe(`synchronous_commit=${setting}`);
    });

    it("migrates a new schema exactly once when several stores open it at once", async () => {
      const fresh = `perdure_test_${suffix}_m`;
      schemas.add(fresh);
      const opened = await Promise.all(Array.from({ length: 6 }, () => track(open({ schema: fresh, poolSize: 1 }))));
      expect(opened.map((s) => s.migrationsApplied.length).sort()).toEqual([0, 0, 0, 0, 0, LATEST_SCHEMA_VERSION]);
      const versions = await admin(async (c) => (await c.query(`SELECT version FROM "${fresh}".schema_migrations ORDER BY version`)).rows);
      expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      await opened[0]!.createInstance(startRequest("m-1"));
      expect((await opened[5]!.getInstance("m-1"))?.status).toBe("Pending");
    });

    it("brings a schema of version 1 up to date, keeping its instances", async () => {
      const old = `perdure_test_${suffix}_v1`;
      schemas.add(old);
      await admin(async (c) => {
        await c.query(`CREATE SCHEMA "${old}"`);
        await c.query(`CREATE TABLE "${old}".schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        for (const statement of MIGRATIONS[0]!.statements(`"${old}"`, channelOf(old))) await c.query(statement);
        await c.query(`INSERT INTO "${old}".schema_migrations (version, description) VALUES (1, 'version 1')`);
      });
      const first = await track(open({ schema: old }));
      expect(first.migrationsApplied).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      await first.createInstance(startRequest("v1-1"));
      const second = await track(open({ schema: old }));
      expect(second.migrationsApplied).toEqual([]);
      const done = nextEvent(second, (e) => e.kind === "instance" && e.instanceId === "v1-1" && e.status === "Completed");
      await first.stepOrchestration(new RecordingStepper((w) => commitFor(w, { status: "Completed" })), WORKER);
      await done;
    });

    it("notifies only while another store listens on the schema", async () => {
      // A plain LISTEN connection that is not a store: it hears what stores send, and is not
      // counted as a listener. Notifications arrive in commit order, so a marker sent after a
      // commit arrives after that commit's notifications, if it sent any.
      const heard: string[] = [];
      const raw = new pg.Client({ connectionString: url });
      await raw.connect();
      try {
        let marked: (() => void) | undefined;
        raw.on("notification", (n) => {
          if (n.payload === "marker") marked?.();
          else heard.push(n.payload ?? "");
        });
        await raw.query(`LISTEN "${channelOf(schema)}"`);
        const mark = async (): Promise<void> => {
          const arrived = new Promise<void>((resolve) => (marked = resolve));
          await admin((c) => c.query("SELECT pg_notify($1, 'marker')", [channelOf(schema)]));
          await arrived;
        };
        const a = await track(open());
        await a.createInstance(startRequest("l-1"));
        await mark();
        expect(heard).toEqual([]);

        const b = await open();
        await a.createInstance(startRequest("l-2"));
        await mark();
        expect(heard.some((p) => p.includes('"l-2"'))).toBe(true);
        expect(heard.some((p) => p.includes('"w"'))).toBe(true);

        // A start that carries its first episode consumes its start message: no work to announce.
        heard.length = 0;
        const first = new RecordingStepper((w) => commitFor(w, { history: [w.messages[0]!.event] }));
        expect(await a.createInstance(startRequest("l-4"), first)).toEqual({ leasedTasks: [] });
        expect(first.calls).toHaveLength(1);
        await mark();
        expect(heard.some((p) => p.includes('"l-4"'))).toBe(true);
        expect(heard.filter((p) => p.includes('"w"'))).toEqual([]);

        await b.close();
        heard.length = 0;
        await a.createInstance(startRequest("l-3"));
        await mark();
        expect(heard).toEqual([]);
      } finally {
        await raw.end();
      }
    });

    describe("a completion's next episode, run ahead", () => {
      /** Creates `id` and steps it once, scheduling one task leased to WORKER; that task. */
      async function scheduled(store: PostgresStore, id: string): Promise<ActivityWorkItem> {
        await store.createInstance(startRequest(id));
        const first = new RecordingStepper((w) =>
          commitFor(w, {
            history: [w.messages[0]!.event, newEvent("TaskScheduled", w.now, { name: "Task1" })],
            tasks: [newTask(id, `${id}-e1`, 1, WORKER)],
          }),
        );
        const result = await store.stepOrchestration(first, WORKER);
        expect(result?.leasedTasks).toHaveLength(1);
        return result!.leasedTasks[0]!;
      }
      const finishing = (discards: string[] = []) =>
        Object.assign(
          new RecordingStepper((w) => commitFor(w, { history: [w.messages.at(-1)!.event], status: "Completed", output: '"done"' }), true),
          { discard: () => void discards.push("discard") },
        );

      it("applies it with the completion when the instance is as this store last committed it", async () => {
        const store = await track(open());
        const task = await scheduled(store, "ra-1");
        const stepper = finishing();
        const result = await store.completeActivity(task, { ok: true, result: '"r"' }, stepper);
        expect(result).toEqual({ leasedTasks: [] });
        expect(stepper.calls).toHaveLength(1);
        expect(stepper.calls[0]!.messages.map((m) => m.id)).toEqual([INLINE_MESSAGE_ID]);
        expect(stepper.calls[0]!.instance.status).toBe("Running");
        const instance = await store.getInstance("ra-1");
        expect([instance?.status, instance?.output]).toEqual(["Completed", '"done"']);
        expect((await store.getHistory("ra-1")).events.map((e) => e.type)).toEqual(["ExecutionStarted", "TaskScheduled", "TaskCompleted"]);
      });

      it("hands the completed task's row to the one task the episode leases, under a new token that the old answer does not hold", async () => {
        const store = await track(open());
        const task = await scheduled(store, "ra-row");
        const next = new RecordingStepper(
          (w) =>
            commitFor(w, {
              history: [w.messages[0]!.event, newEvent("TaskScheduled", w.now, { name: "Task2" })],
              tasks: [newTask("ra-row", "ra-row-e1", 2, WORKER)],
            }),
          true,
        );
        const result = await store.completeActivity(task, { ok: true, result: '"r1"' }, next);
        expect(next.calls).toHaveLength(1);
        expect(result?.leasedTasks).toHaveLength(1);
        const second = result!.leasedTasks[0]!;
        expect(second.id).toBe(task.id);
        expect(second.lockToken).not.toBe(task.lockToken);
        expect([second.taskId, second.name, second.input, second.instanceId]).toEqual([2, "Task2", '"in-2"', "ra-row"]);
        expect(Date.parse(second.lockedUntil)).toBeGreaterThan(Date.parse(task.lockedUntil) - 1);

        // A late answer for the first task, or its renewal, holds the old token: it finds nothing.
        await expect(store.completeActivity(task, { ok: true, result: '"again"' })).rejects.toThrow(/lease/i);
        await expect(store.renewActivityLease(task, 30_000)).rejects.toThrow(/lease/i);

        await store.completeActivity(second, { ok: true, result: '"r2"' }, finishing());
        const completed = (await store.getHistory("ra-row")).events.filter((e) => e.type === "TaskCompleted");
        expect(completed.map((e) => (e as { result?: string }).result)).toEqual(['"r1"', '"r2"']);
        expect((await store.getInstance("ra-row"))?.status).toBe("Completed");
        const left = await admin((c) => c.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE instance_id = 'ra-row'`));
        expect(left.rows[0].n).toBe(0);
      });

      it("announces the finished instance with the record a read gives, on either stepped path", async () => {
        const store = await track(open());
        const events: StoreEvent[] = [];
        const stop = store.subscribe((event) => events.push(event));
        try {
          // Run ahead: the completion finishes the instance.
          const task = await scheduled(store, "ra-4");
          await store.completeActivity(task, { ok: true, result: '"r"' }, finishing());
          // Stepped the usual way, failing with details and a custom status.
          await store.createInstance(startRequest("ra-5"));
          const failure = { errorType: "Boom", errorMessage: "it failed", stackTrace: undefined };
          await store.stepOrchestration(
            new RecordingStepper((w) => commitFor(w, { status: "Failed", failureDetails: failure, customStatus: '"last words"' })),
            WORKER,
          );
          for (const id of ["ra-4", "ra-5"]) {
            const announced = events.find((e) => e.kind === "instance" && e.instanceId === id && (e.status === "Completed" || e.status === "Failed"));
            expect(announced?.kind === "instance" ? announced.record : undefined).toStrictEqual(await store.getInstance(id));
          }
        } finally {
          stop();
        }
      });

      it("discards it when the instance moved on, and leaves the outcome in the inbox after what came first", async () => {
        const store = await track(open());
        const task = await scheduled(store, "ra-2");
        await store.sendMessages([{ instanceId: "ra-2", event: raised("meanwhile") }]);
        const discards: string[] = [];
        const stepper = finishing(discards);
        expect(await store.completeActivity(task, { ok: true, result: '"r"' }, stepper)).toBeUndefined();
        expect(stepper.calls).toHaveLength(1);
        expect(discards).toEqual(["discard"]);
        expect((await store.getInstance("ra-2"))?.status).toBe("Running");
        const next = new RecordingStepper((w) => commitFor(w, { status: "Completed" }));
        await store.stepOrchestration(next, WORKER);
        expect(next.calls[0]!.messages.map((m) => m.event.type)).toEqual(["EventRaised", "TaskCompleted"]);
        expect((await store.getInstance("ra-2"))?.status).toBe("Completed");
      });

      it("applies an episode run ahead with its tasks, messages and children as the stepped path would", async () => {
        const clock = new TestClock();
        const store = await track(open({ clock: clock.now }));
        const task = await scheduled(store, "ra-6");
        await store.createInstance(startRequest("ra-other"));
        const events: StoreEvent[] = [];
        const stop = store.subscribe((event) => events.push(event));
        try {
          // The usual episode: a result, the next task leased here, a message to another instance.
          const next = new RecordingStepper(
            (w) =>
              commitFor(w, {
                history: [w.messages.at(-1)!.event, newEvent("TaskScheduled", w.now, { name: "Task2" })],
                tasks: [newTask("ra-6", "ra-6-e1", 2, WORKER)],
                messages: [{ instanceId: "ra-other", event: raised("hello") }],
                customStatus: '"half way"',
              }),
            true,
          );
          const result = await store.completeActivity(task, { ok: true, result: '"one"' }, next);
          expect(next.calls[0]!.messages.map((m) => m.id)).toEqual([INLINE_MESSAGE_ID]);
          expect(result?.leasedTasks).toMatchObject([{ instanceId: "ra-6", taskId: 2, name: "Task2", dequeueCount: 1 }]);
          expect(await store.getInstance("ra-6")).toMatchObject({ status: "Running", customStatus: '"half way"', lastUpdatedAt: clock.iso() });
          expect(events).toContainEqual({ kind: "work", queue: "instances" });
          expect(events.some((e) => e.kind === "instance" && e.instanceId === "ra-6")).toBe(false);
          // An episode that starts a child goes the general way, in the same statement.
          clock.advance(5);
          const child = new RecordingStepper(
            (w) =>
              commitFor(w, {
                history: [w.messages.at(-1)!.event],
                children: [startRequest("ra-6:child", { parent: { name: "Flow", instanceId: "ra-6", taskScheduledId: 3 } })],
              }),
            true,
          );
          await store.completeActivity(result!.leasedTasks[0]!, { ok: true, result: '"two"' }, child);
          expect(child.calls[0]!.messages.map((m) => m.id)).toEqual([INLINE_MESSAGE_ID]);
          expect(await store.getInstance("ra-6:child")).toMatchObject({ status: "Pending", parent: { instanceId: "ra-6" } });
          const types = (await store.getHistory("ra-6")).events.map((e) => e.type);
          expect(types).toEqual(["ExecutionStarted", "TaskScheduled", "TaskCompleted", "TaskScheduled", "TaskCompleted"]);
          expect((await store.getInstance("ra-6"))?.lastUpdatedAt).toBe(clock.iso());
          const other = await store.leaseOrchestration(WORKER);
          expect(other?.instance.instanceId).toBe("ra-other");
          expect(other?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted", "EventRaised"]);
        } finally {
          stop();
        }
      });

      it("does not run ahead for a stepper that is not warm for the history this store committed", async () => {
        const store = await track(open());
        const task = await scheduled(store, "ra-3");
        const cold = new RecordingStepper((w) => commitFor(w, { status: "Completed" }), false);
        await store.completeActivity(task, { ok: true, result: '"r"' }, cold);
        expect(cold.calls).toHaveLength(1);
        expect(cold.calls[0]!.history?.map((e) => e.type)).toEqual(["ExecutionStarted", "TaskScheduled"]);
        expect((await store.getInstance("ra-3"))?.status).toBe("Completed");
      });
    });

    describe("a start's first episode, run ahead", () => {
      const scheduling = (id: string) =>
        new RecordingStepper((w) =>
          commitFor(w, {
            history: [w.messages[0]!.event, newEvent("TaskScheduled", w.now, { name: "Task1" })],
            tasks: [newTask(id, `${id}-e1`, 1, WORKER)],
          }),
        );

      it("runs only while the store is otherwise idle; starts that share a transaction are plain", async () => {
        const store = await track(open());
        const a = scheduling("sa-1");
        const b = scheduling("sa-2");
        // Asked for in one turn: they share a transaction, so neither runs its episode.
        const results = await Promise.all([store.createInstance(startRequest("sa-1"), a), store.createInstance(startRequest("sa-2"), b)]);
        expect(results).toEqual([undefined, undefined]);
        expect([a.calls.length, b.calls.length]).toEqual([0, 0]);
        expect((await store.getInstance("sa-1"))?.status).toBe("Pending");
        const c = scheduling("sa-3");
        const alone = await store.createInstance(startRequest("sa-3"), c);
        expect(c.calls).toHaveLength(1);
        expect(alone?.leasedTasks).toHaveLength(1);
        expect((await store.getInstance("sa-3"))?.status).toBe("Running");
      });

      it("lets the first task's completion run ahead, on the record the start left", async () => {
        const store = await track(open());
        const events: StoreEvent[] = [];
        const stop = store.subscribe((event) => events.push(event));
        try {
          const started = await store.createInstance(startRequest("sa-4", { input: '"in"', version: "3" }), scheduling("sa-4"));
          const task = started!.leasedTasks[0]!;
          const finish = new RecordingStepper((w) => commitFor(w, { history: [w.messages.at(-1)!.event], status: "Completed", output: '"done"' }), true);
          await store.completeActivity(task, { ok: true, result: '"r"' }, finish);
          // Run ahead: no read of the instance, which the stepper got as the start's commit left it.
          expect(finish.calls[0]!.messages.map((m) => m.id)).toEqual([INLINE_MESSAGE_ID]);
          const { lastUpdatedAt: _updated, ...atStep } = finish.calls[0]!.instance;
          const { lastUpdatedAt: _read, completedAt: _completed, output: _output, ...read } = (await store.getInstance("sa-4"))!;
          expect(atStep).toStrictEqual({ ...read, status: "Running" });
          const announced = events.find((e) => e.kind === "instance" && e.instanceId === "sa-4" && e.status === "Completed");
          expect(announced?.kind === "instance" ? announced.record : undefined).toStrictEqual(await store.getInstance("sa-4"));
          expect((await store.getHistory("sa-4")).events.map((e) => e.type)).toEqual(["ExecutionStarted", "TaskScheduled", "TaskCompleted"]);
        } finally {
          stop();
        }
      });
    });

    it("answers reads of instances asked for in one turn with one statement per thousand ids", async () => {
      const store = await track(open());
      for (const id of ["rd-1", "rd-2", "rd-3"]) await store.createInstance(startRequest(id, { input: JSON.stringify(id) }));
      const pool = (store as unknown as { pool: pg.Pool }).pool;
      const sent: string[] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
      (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
        sent.push(typeof config === "string" ? config : (config as { text: string }).text);
        return query(config, ...rest);
      };
      const ids = ["rd-2", "rd-missing", "rd-1", "rd-2", ...Array.from({ length: 1200 }, (_, i) => `rd-none-${i}`), "rd-3"];
      const records = await Promise.all(ids.map((id) => store.getInstance(id)));
      expect(records.slice(0, 4).map((r) => r?.input)).toEqual(['"rd-2"', undefined, '"rd-1"', '"rd-2"']);
      expect(records.at(-1)?.input).toBe('"rd-3"');
      expect(records.slice(4, -1).every((r) => r === undefined)).toBe(true);
      // Each caller gets a record of its own.
      expect(records[0]).not.toBe(records[3]);
      expect(records[0]).toStrictEqual(records[3]);
      expect(sent).toHaveLength(2);
      // Alone, a read is the usual one-row statement; a read asked for before close is answered.
      sent.length = 0;
      expect((await store.getInstance("rd-1"))?.instanceId).toBe("rd-1");
      expect(sent).toHaveLength(1);
      const late = store.getInstance("rd-3");
      await store.close();
      expect((await late)?.instanceId).toBe("rd-3");
    });

    it("refuses a schema written by newer code and leaves it untouched", async () => {
      const newer = `perdure_test_${suffix}_n`;
      schemas.add(newer);
      const objects = async () =>
        admin(async (c) => (await c.query("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = $1 ORDER BY relname", [newer])).rows);
      await admin(async (c) => {
        await c.query(`CREATE SCHEMA "${newer}"`);
        await c.query(`CREATE TABLE "${newer}".schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
        await c.query(`INSERT INTO "${newer}".schema_migrations (version, description) VALUES ($1, 'from the future')`, [LATEST_SCHEMA_VERSION + 1]);
      });
      const before = await objects();
      const error = await open({ schema: newer }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemaTooNewError);
      expect((error as Error).message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 1}`);
      expect(await objects()).toEqual(before);
    });

    it("tells a subscriber of another store about work and status changes", async () => {
      const a = await track(open());
      const b = await track(open());
      const pending = nextEvent(b, (e) => e.kind === "instance" && e.instanceId === "n-1" && e.status === "Pending");
      const work = nextEvent(b, (e) => e.kind === "work");
      await a.createInstance(startRequest("n-1"));
      await Promise.all([pending, work]);
      const completed = nextEvent(b, (e) => e.kind === "instance" && e.instanceId === "n-1" && e.status === "Completed");
      await a.stepOrchestration(new RecordingStepper((w) => commitFor(w, { status: "Completed", output: '"done"' })), WORKER);
      await completed;
      expect((await b.getInstance("n-1"))?.output).toBe('"done"');
    });

    it("never steps one instance in two stores at once", async () => {
      const a = await track(open());
      const b = await track(open());
      for (let i = 0; i < 40; i++) await a.createInstance(startRequest(`x-${i}`));
      const stepped: string[] = [];
      const stepper = new RecordingStepper((w) => {
        stepped.push(w.instance.instanceId);
        return commitFor(w, { status: "Completed" });
      });
      const drain = async (store: PostgresStore) => {
        while ((await store.stepOrchestration(stepper, { ...WORKER, maxInstances: 3 })) !== undefined);
      };
      await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
      expect(stepped.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `x-${i}`).sort());
    });

    it("starts a continued-as-new execution ahead of a message whose transaction commits after it", async () => {
      const store = await track(open());
      await store.createInstance(startRequest("can"));
      const item = (await store.leaseOrchestration(WORKER))!;
      const start = newEvent("ExecutionStarted", "2026-01-01T00:00:00.000Z", { name: "Flow", instanceId: "can", executionId: "can-e2" });
      await admin(async (client) => {
        // Another sender: its message's id is taken now, and its transaction commits after the continue-as-new.
        await client.query("BEGIN");
        await client.query(`INSERT INTO "${schema}".messages (instance_id, event, visible_at) VALUES ('can', $1, 0)`, [JSON.stringify(raised("late"))]);
        await store.commitOrchestration(
          item,
          commitFor(item, {
            history: [item.messages[0]!.event],
            status: "ContinuedAsNew",
            continueAsNew: { executionId: "can-e2", startMessages: [start, raised("carried")] },
          }),
        );
        await client.query("COMMIT");
      });
      const next = await store.leaseOrchestration(WORKER);
      expect(next?.messages.map((m) => (m.event.type === "EventRaised" ? m.event.name : m.event.type))).toEqual(["ExecutionStarted", "carried", "late"]);
      await store.commitOrchestration(next!, commitFor(next!));
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
    });

    it("keeps working and listening after the server ends its connections", async () => {
      const appName = `perdure-test-${suffix}`;
      const a = await track(open({ applicationName: appName }));
      const b = await track(open());
      await a.createInstance(startRequest("r-0"));
      const killed = await admin(async (c) =>
        (await c.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1",
          [appName],
        )).rowCount,
      );
      expect(killed).toBeGreaterThanOrEqual(2);
      // Calls may fail while the dead connections are found out; the store must come back by itself.
      const deadline = Date.now() + 20_000;
      for (let i = 1; ; i++) {
        try {
          await a.createInstance(startRequest(`r-${i}`));
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      expect((await a.leaseOrchestration(WORKER))?.instance.instanceId).toBe("r-0");
      // LISTEN resumes: an event from another store reaches a's subscribers again.
      const heard = new Set<string>();
      const stop = a.subscribe((e) => {
        if (e.kind === "instance") heard.add(e.instanceId);
      });
      try {
        for (let i = 0; heard.size === 0; i++) {
          if (Date.now() > deadline) throw new Error("a's subscribers heard nothing after the reconnect");
          const waiting = nextEvent(a, (e) => e.kind === "instance" && e.instanceId === `from-b-${i}`, 500).catch(() => undefined);
          await b.createInstance(startRequest(`from-b-${i}`));
          await waiting;
        }
      } finally {
        stop();
      }
    });

    it("commits writes asked for in one turn together, and rolls back only the one that fails", async () => {
      const store = await track(open());
      const [x, dup, y] = await Promise.allSettled([
        store.createInstance(startRequest("gc-a")),
        store.createInstance(startRequest("gc-a")),
        store.createInstance(startRequest("gc-b")),
      ]);
      expect([x.status, dup.status, y.status]).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((dup as PromiseRejectedResult).reason.name).toBe("InstanceExistsError");
      expect((await store.getInstance("gc-b"))?.status).toBe("Pending");
    });

    it("tells a stepper at once when its write rolls back, before later writes of the batch run", async () => {
      const clock = new TestClock();
      const store = await track(open({ clock: clock.now }));
      await store.createInstance(startRequest("gc-step"));
      const order: string[] = [];
      const failing = {
        isWarm: () => false,
        step: (work: StepInput) => {
          order.push("step");
          return refusedCommit(work);
        },
        discard: () => order.push("discard"),
      };
      const later = { isWarm: () => false, step: () => void order.push("second step") };
      const results = await Promise.allSettled([
        store.stepOrchestration(failing, WORKER),
        store.stepOrchestration(later, WORKER),
      ]);
      expect(results[0]!.status).toBe("rejected");
      expect(order).toEqual(["step", "discard", "second step"]);
      expect((await store.getInstance("gc-step"))?.status).toBe("Pending");
    });
  });
});

describe("loading perdure", () => {
  it("does not load pg until a PostgreSQL store is opened", () => {
    // Follows the static imports from the package entry: none may reach pg.
    const root = fileURLToPath(new URL("../../src/", import.meta.url));
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022);
      for (const statement of source.statements) {
        // What loads at run time: value imports and re-exports (not `import type`, not `import()`).
        let specifier: ts.Expression | undefined;
        if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) specifier = statement.moduleSpecifier;
        if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) specifier = statement.moduleSpecifier;
        if (specifier === undefined || !ts.isStringLiteral(specifier)) continue;
        const name = specifier.text;
        if (!name.startsWith(".")) {
          if (name === "pg" || name.startsWith("pg/")) reached.push(relative(root, file));
          continue;
        }
        visit(join(dirname(file), name.replace(/\.js$/, ".ts")));
      }
    };
    visit(join(root, "index.ts"));
    expect(seen.has(join(root, "store/postgres/index.ts"))).toBe(true);
    expect(reached).toEqual([]);
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/core/errors.js";
import { describeStoreConformance, TestClock } from "../../src/store/conformance/conformance.js";
import { SchemaTooNewError } from "../../src/store/errors.js";
import { LATEST_SCHEMA_VERSION, sqlite, type SqliteStore } from "../../src/store/sqlite/index.js";
import { connectionOf } from "../../src/store/sqlite/internal.js";
import { refusedCommit, startRequest } from "../../src/store/conformance/fixtures.js";
import type { StepInput } from "../../src/store/store.js";

describeStoreConformance("sqlite", async ({ clock }) => sqlite(":memory:", { clock }));

describe("sqlite file stores", () => {
  let dir: string;
  const open: SqliteStore[] = [];
  const openStore = (path: string, options?: Parameters<typeof sqlite>[1]): SqliteStore => {
    const store = sqlite(path, options);
    open.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "perdure-sqlite-"));
  });
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates and migrates a new file on first open, and not again on reopen", async () => {
    const path = join(dir, "new.db");
    const first = openStore(path);
    expect(first.migrationsApplied).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    expect(connectionOf(first).pragma("user_version", { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    await first.close();
    const again = openStore(path);
    expect(again.migrationsApplied).toEqual([]);
  });

  it("keeps instances, history and inboxes across close and reopen", async () => {
    const path = join(dir, "data.db");
    const clock = new TestClock();
    const first = openStore(path, { clock: clock.now });
    await first.createInstance(startRequest("a", { input: '"x"' }));
    const item = await first.leaseOrchestration({ workerId: "w", leaseMs: 1000 });
    const history = [item!.messages[0]!.event];
    await first.commitOrchestration(item!, {
      executionId: "a-e1",
      history,
      consumedMessageIds: [item!.messages[0]!.id],
      status: "Running",
      tasks: [{ instanceId: "a", executionId: "a-e1", taskId: 1, name: "T" }],
      messages: [],
      children: [],
      canceledTimerIds: [],
    });
    await first.sendMessages([{ instanceId: "a", event: history[0]! }]);
    const row = await first.getInstance("a");
    await first.close();

    const second = openStore(path, { clock: clock.now });
    expect(await second.getInstance("a")).toStrictEqual(row);
    expect((await second.getHistory("a")).events).toStrictEqual(history);
    expect((await second.leaseActivities({ workerId: "w", leaseMs: 1000, max: 5 })).map((t) => t.taskId)).toEqual([1]);
    expect((await second.leaseOrchestration({ workerId: "w", leaseMs: 1000 }))?.messages.map((m) => m.event)).toEqual(history);
  });

  it("refuses a file with a newer schema and leaves it byte for byte unchanged", () => {
    const path = join(dir, "newer.db");
    const raw = new Database(path);
    raw.exec("CREATE TABLE future (x INTEGER)");
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(path);
    const files = readdirSync(dir);
    const error = (() => {
      try {
        openStore(path);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect((error as Error).message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 1}`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(files);
  });

  it("runs in WAL mode with synchronous=FULL by default", () => {
    const store = openStore(join(dir, "full.db"));
    const db = connectionOf(store);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(store.durability).toBe("WAL+FULL");
    expect(store.name).toBe("sqlite");
  });

  it("uses synchronous=NORMAL only when asked", () => {
    const store = openStore(join(dir, "normal.db"), { synchronous: "NORMAL", busyTimeoutMs: 250 });
    const db = connectionOf(store);
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(250);
    expect(store.durability).toBe("WAL+NORMAL");
  });

  it("states the journal mode in force for an in-memory store", () => {
    expect(openStore(":memory:").durability).toBe("MEMORY+FULL");
  });

  it("refuses bad options, naming them", () => {
    const bad = [{ synchronous: "OFF" as "FULL" }, { busyTimeoutMs: -1 }, { busyTimeoutMs: 1.5 }];
    for (const options of bad) {
      expect(() => openStore(join(dir, "bad.db"), options)).toThrow(InvalidArgumentError);
    }
  });

  it("fences across connections to one file", async () => {
    const path = join(dir, "shared.db");
    const clock = new TestClock();
    const a = openStore(path, { clock: clock.now });
    const b = openStore(path, { clock: clock.now });
    expect(b.migrationsApplied).toEqual([]);
    await a.createInstance(startRequest("x"));
    const held = await a.leaseOrchestration({ workerId: "a", leaseMs: 1000 });
    expect(held).toBeDefined();
    expect(await b.leaseOrchestration({ workerId: "b", leaseMs: 1000 })).toBeUndefined();
    clock.advance(1001);
    const taken = await b.leaseOrchestration({ workerId: "b", leaseMs: 1000 });
    expect(taken?.instance.instanceId).toBe("x");
    await expect(a.abandonOrchestration(held!)).rejects.toMatchObject({ name: "LeaseLostError" });
  });
});

describe("sqlite group commit", () => {
  it("commits writes asked for in one turn together, and rolls back only the one that fails", async () => {
    const store = sqlite(":memory:");
    try {
      const [a, dup, b] = await Promise.allSettled([
        store.createInstance(startRequest("gc-a")),
        store.createInstance(startRequest("gc-a")),
        store.createInstance(startRequest("gc-b")),
      ]);
      expect(a.status).toBe("fulfilled");
      expect(dup.status).toBe("rejected");
      expect((dup as PromiseRejectedResult).reason.name).toBe("InstanceExistsError");
      expect(b.status).toBe("fulfilled");
      expect((await store.getInstance("gc-a"))?.status).toBe("Pending");
      expect((await store.getInstance("gc-b"))?.status).toBe("Pending");
    } finally {
      await store.close();
    }
  });

  it("tells a stepper at once when its write rolls back, before later writes of the same batch run", async () => {
    const store = sqlite(":memory:");
    try {
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
      const later = {
        isWarm: () => false,
        step: () => {
          order.push("second step");
          return undefined;
        },
      };
      const results = await Promise.allSettled([
        store.stepOrchestration(failing, { workerId: "w", leaseMs: 1000 }),
        store.stepOrchestration(later, { workerId: "w", leaseMs: 1000 }),
      ]);
      expect(results[0]!.status).toBe("rejected");
      expect(order).toEqual(["step", "discard", "second step"]);
      // The failed episode changed nothing: the start message is still there to run.
      expect((await store.getInstance("gc-step"))?.status).toBe("Pending");
    } finally {
      await store.close();
    }
  });

  it("commits writes still queued when the store closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "perdure-sqlite-"));
    try {
      const store = sqlite(join(dir, "close.db"));
      const pending = store.createInstance(startRequest("gc-close"));
      await store.close();
      await pending;
      const reopened = sqlite(join(dir, "close.db"));
      expect((await reopened.getInstance("gc-close"))?.instanceId).toBe("gc-close");
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

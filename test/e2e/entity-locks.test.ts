/**
 * Critical sections end to end on SQLite: mutual exclusion without lost updates, contending
 * sections over overlapping entity sets that finish without deadlock, operations of others
 * waiting while an entity is locked, and locks released however the owner ends (release,
 * failure, termination, continue-as-new, termination while still waiting for the lock).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, entityId } from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

class Account {
  balance = 0;
  get(): number {
    return this.balance;
  }
  set(value: number): void {
    this.balance = value;
  }
  add(amount: number): void {
    this.balance += amount;
  }
}

function lockApp() {
  const app = createApp();
  const account = app.entity("Account", Account);
  const ids = (keys: readonly string[]) => keys.map((key) => entityId(account, key));

  /** Read-modify-write of every entity: loses updates unless the section excludes others. */
  const incrementAll = app.orchestration("IncrementAll", function* (ctx, keys: string[]) {
    const lock = yield* ctx.lockEntities(...ids(keys));
    for (const id of ids(keys)) {
      const value = yield* ctx.callEntity(id, "get");
      yield* ctx.callEntity(id, "set", value + 1);
    }
    lock.release();
    return ctx.isInCriticalSection;
  });
  const holdUntilEvent = app.orchestration("HoldUntilEvent", function* (ctx, keys: string[]) {
    const lock = yield* ctx.lockEntities(...ids(keys));
    ctx.setCustomStatus("holding");
    yield* ctx.waitForExternalEvent("release");
    lock.release();
    return "released";
  });
  const failInside = app.orchestration("FailInside", function* (ctx, key: string) {
    yield* ctx.lockEntities(entityId(account, key));
    yield* ctx.callEntity(entityId(account, key), "add", 1);
    throw new Error("failed inside the critical section");
  });
  const lockAndAdd = app.orchestration("LockAndAdd", function* (ctx, keys: string[]) {
    yield* ctx.lockEntities(...ids(keys));
    for (const id of ids(keys)) yield* ctx.callEntity(id, "add", 1);
    return "done"; // ends without releasing: the end releases
  });
  const reader = app.orchestration("Reader", function* (ctx, key: string) {
    return yield* ctx.callEntity(entityId(account, key), "get");
  });
  const eternal = app.orchestration("Eternal", function* (ctx, generation: number) {
    yield* ctx.lockEntities(entityId(account, "e"));
    yield* ctx.callEntity(entityId(account, "e"), "add", 1);
    if (generation < 3) ctx.continueAsNew(generation + 1);
    return generation;
  });
  return { app, account, incrementAll, holdUntilEvent, failInside, lockAndAdd, reader, eternal };
}

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function balance(runtime: TestRuntime, key: string): Promise<number | undefined> {
  return (await runtime.client.readEntityState<Account>(entityId("Account", key))).state?.balance;
}

async function entityInfo(runtime: TestRuntime, key: string) {
  const page = await runtime.client.listEntities({ name: "Account" });
  return page.entities.find((e) => e.id.key === key);
}

async function waitUnlocked(runtime: TestRuntime, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await waitUntil(async () => (await entityInfo(runtime, key))?.lockedBy === undefined, `'${key}' is unlocked`);
  }
}

describe("critical sections", () => {
  it("lets contending sections over overlapping sets ([x,y] and [y,z]) all finish, without lost updates", async () => {
    const t = lockApp();
    rt = startRuntime(t.app, { maxConcurrentOrchestrations: 4 });
    const sets = [["x", "y"], ["z", "y"], ["y", "x"], ["y", "z"], ["x", "y"], ["y", "z"], ["x", "z", "y"]];
    const ids = await Promise.all(sets.map((keys) => rt!.client.startNew(t.incrementAll, { input: keys })));
    for (const id of ids) {
      const status = await rt.client.waitForCompletion(id, { timeoutMs: 60_000 });
      expect(status.runtimeStatus).toBe("Completed");
      expect(status.output).toBe(false);
    }
    expect(await balance(rt, "x")).toBe(4);
    expect(await balance(rt, "y")).toBe(7);
    expect(await balance(rt, "z")).toBe(4);
    await waitUnlocked(rt, ["x", "y", "z"]);
  });

  it("makes others' operations wait while locked, then runs them in arrival order", async () => {
    const t = lockApp();
    rt = startRuntime(t.app, { maxConcurrentOrchestrations: 2 });
    const holder = await rt.client.startNew(t.holdUntilEvent, { input: ["w"] });
    await waitUntil(async () => (await rt!.client.getStatus(holder))?.customStatus === "holding", "the holder holds the lock");
    await rt.client.signalEntity(entityId(t.account, "w"), "add", 100);
    const readerId = await rt.client.startNew(t.reader, { input: "w" });
    const contender = await rt.client.startNew(t.lockAndAdd, { input: ["w"] });
    await waitUntil(async () => (await entityInfo(rt!, "w"))?.backlogSize === 3, "three operations wait for the lock");
    expect((await entityInfo(rt, "w"))?.lockedBy).toBe(holder);
    expect((await rt.client.getStatus(readerId))?.runtimeStatus).toBe("Running");

    await rt.client.raiseEvent(holder, "release");
    expect((await rt.client.waitForCompletion(holder, { timeoutMs: 30_000 })).output).toBe("released");
    expect((await rt.client.waitForCompletion(readerId, { timeoutMs: 30_000 })).output).toBe(100);
    expect((await rt.client.waitForCompletion(contender, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    expect(await balance(rt, "w")).toBe(101);
    await waitUnlocked(rt, ["w"]);
  });

  it("releases the lock when the orchestration fails inside its section", async () => {
    const t = lockApp();
    rt = startRuntime(t.app);
    const failed = await rt.client.startNew(t.failInside, { input: "f" });
    const status = await rt.client.waitForCompletion(failed, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.failureDetails?.errorMessage).toBe("failed inside the critical section");
    const next = await rt.client.startNew(t.lockAndAdd, { input: ["f"] });
    expect((await rt.client.waitForCompletion(next, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    expect(await balance(rt, "f")).toBe(2);
    await waitUnlocked(rt, ["f"]);
  });

  it("releases the lock when the orchestration ends without releasing it, and when it continues as new", async () => {
    const t = lockApp();
    rt = startRuntime(t.app);
    const first = await rt.client.startNew(t.lockAndAdd, { input: ["p", "q"] });
    const second = await rt.client.startNew(t.lockAndAdd, { input: ["q", "p"] });
    const eternal = await rt.client.startNew(t.eternal, { input: 0 });
    for (const id of [first, second]) expect((await rt.client.waitForCompletion(id, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    expect((await rt.client.waitForCompletion(eternal, { timeoutMs: 30_000 })).output).toBe(3);
    expect([await balance(rt, "p"), await balance(rt, "q"), await balance(rt, "e")]).toEqual([2, 2, 4]);
    await waitUnlocked(rt, ["p", "q", "e"]);
  });

  it("releases the lock when the holder is terminated", async () => {
    const t = lockApp();
    rt = startRuntime(t.app);
    const holder = await rt.client.startNew(t.holdUntilEvent, { input: ["t1", "t2"] });
    await waitUntil(async () => (await rt!.client.getStatus(holder))?.customStatus === "holding", "the holder holds the lock");
    const contender = await rt.client.startNew(t.lockAndAdd, { input: ["t2"] });
    await waitUntil(async () => (await entityInfo(rt!, "t2"))?.backlogSize === 1, "the contender waits");
    await rt.client.terminate(holder, "stop");
    expect((await rt.client.waitForCompletion(holder, { timeoutMs: 30_000 })).runtimeStatus).toBe("Terminated");
    expect((await rt.client.waitForCompletion(contender, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    await waitUnlocked(rt, ["t1", "t2"]);
  });

  it("releases every entity of a section whose owner is terminated while still waiting for the lock", async () => {
    const t = lockApp();
    rt = startRuntime(t.app);
    const holder = await rt.client.startNew(t.holdUntilEvent, { input: ["b"] });
    await waitUntil(async () => (await rt!.client.getStatus(holder))?.customStatus === "holding", "the holder holds 'b'");
    // The waiter gets 'a' (first in order), then waits for 'b'.
    const waiter = await rt.client.startNew(t.lockAndAdd, { input: ["a", "b"] });
    await waitUntil(async () => (await entityInfo(rt!, "a"))?.lockedBy === waiter, "the waiter holds 'a'");
    await waitUntil(async () => (await entityInfo(rt!, "b"))?.backlogSize === 1, "the waiter's request waits at 'b'");
    await rt.client.terminate(waiter, "give up");
    expect((await rt.client.waitForCompletion(waiter, { timeoutMs: 30_000 })).runtimeStatus).toBe("Terminated");
    await waitUnlocked(rt, ["a"]);
    await rt.client.raiseEvent(holder, "release");
    await rt.client.waitForCompletion(holder, { timeoutMs: 30_000 });
    // 'b' then grants the ended waiter's request and releases it right after: nobody is left holding it.
    const after = await rt.client.startNew(t.lockAndAdd, { input: ["a", "b"] });
    expect((await rt.client.waitForCompletion(after, { timeoutMs: 30_000 })).runtimeStatus).toBe("Completed");
    await waitUnlocked(rt, ["a", "b"]);
    expect([await balance(rt, "a"), await balance(rt, "b")]).toEqual([1, 1]);
  });
});

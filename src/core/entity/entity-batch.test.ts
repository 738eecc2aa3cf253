import { describe, expect, it } from "vitest";
import { newEvent, type HistoryEvent } from "../history.js";
import { executeEntityBatch, type EntityBatchResult, type EntityDefinition } from "./entity-batch.js";
import type { EntityContextImpl } from "./entity-context.js";
import { parseEntityRecord } from "./entity-record.js";

const NOW = "2026-01-01T00:00:00.000Z";
const ID = "@counter@a";

const signal = (operation: string, input?: unknown, requestId = `s-${operation}`): HistoryEvent =>
  newEvent("EntityOperationSignaled", NOW, { requestId, operation, input: json(input), targetInstanceId: ID });
const call = (operation: string, input?: unknown, requestId = `c-${operation}`, from = "orch-1"): HistoryEvent =>
  newEvent("EntityOperationCalled", NOW, {
    requestId,
    operation,
    input: json(input),
    parentInstanceId: from,
    parentExecutionId: `${from}-e1`,
    targetInstanceId: ID,
  });
const lockRequest = (lockSet: string[], position: number, owner = "orch-1", criticalSectionId = "cs-1"): HistoryEvent =>
  newEvent("EntityLockRequested", NOW, { criticalSectionId, lockSet, position, parentInstanceId: owner, parentExecutionId: `${owner}-e1` });
const unlock = (owner = "orch-1", criticalSectionId = "cs-1", chain?: { lockSet: string[]; position: number }): HistoryEvent =>
  newEvent("EntityUnlockSent", NOW, { criticalSectionId, parentInstanceId: owner, targetInstanceId: ID, ...chain });

function json(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** A function-style counter: add, fail-after-add (sets then throws), get, reset (destructs), ping (signals). */
const counter: EntityDefinition = {
  name: "counter",
  kind: "function",
  fn: (ctx: EntityContextImpl) => {
    switch (ctx.operationName) {
      case "add":
        ctx.setState((ctx.getState(() => 0) as number) + ctx.getInput<number>());
        return;
      case "addThenFail":
        ctx.setState((ctx.getState(() => 0) as number) + ctx.getInput<number>());
        ctx.signalEntity({ name: "audit", key: "x" }, "log", "never sent");
        throw new RangeError("too much");
      case "get":
        ctx.return(ctx.getState(() => 0));
        return;
      case "reset":
        ctx.destructOnExit();
        return;
      case "notify":
        ctx.signalEntity({ name: "Audit", key: "x" }, "log", ctx.getState());
        return;
      case "async":
        return Promise.resolve(1);
      default:
        throw new Error(`unknown operation ${ctx.operationName}`);
    }
  },
};

function run(definition: EntityDefinition, messages: HistoryEvent[], stored?: string): EntityBatchResult {
  return executeEntityBatch(definition, { instanceId: ID, stored, messages, now: NOW });
}

const stateOf = (r: EntityBatchResult): unknown => {
  const state = parseEntityRecord(r.stored).state;
  return state === undefined ? undefined : JSON.parse(state);
};
const replies = (r: EntityBatchResult) =>
  r.messages.filter((m) => !m.toEntity).map((m) => ({ to: m.instanceId, executionId: m.executionId, event: m.event }));

describe("entity batches: operations", () => {
  it("runs operations in arrival order and answers each caller with its result", () => {
    const r = run(counter, [signal("add", 2), call("get", undefined, "c1"), signal("add", 5), call("get", undefined, "c2")]);
    expect(stateOf(r)).toBe(7);
    expect(replies(r)).toEqual([
      { to: "orch-1", executionId: "orch-1-e1", event: newEvent("EntityOperationCompleted", NOW, { requestId: "c1", output: "2" }) },
      { to: "orch-1", executionId: "orch-1-e1", event: newEvent("EntityOperationCompleted", NOW, { requestId: "c2", output: "7" }) },
    ]);
    expect(r.outcomes.map((o) => [o.operation, o.isSignal, o.ok])).toEqual([
      ["add", true, true],
      ["get", false, true],
      ["add", true, true],
      ["get", false, true],
    ]);
  });

  it("starts from the stored state", () => {
    const first = run(counter, [signal("add", 3)]);
    const second = run(counter, [signal("add", 4)], first.stored);
    expect(stateOf(second)).toBe(7);
  });

  it("rolls back only the operation that throws: its state change and its signals are dropped", () => {
    const r = run(counter, [signal("add", 1), call("addThenFail", 100, "bad"), signal("addThenFail", 100, "bad-signal"), signal("add", 2)]);
    expect(stateOf(r)).toBe(3);
    expect(r.messages.filter((m) => m.toEntity)).toEqual([]);
    const [failure] = replies(r);
    expect(failure?.event).toMatchObject({
      type: "EntityOperationFailed",
      requestId: "bad",
      failureDetails: { errorType: "RangeError", errorMessage: "too much" },
    });
    expect(r.outcomes.filter((o) => !o.ok).map((o) => [o.requestId, o.isSignal])).toEqual([
      ["bad", false],
      ["bad-signal", true],
    ]);
  });

  it("deletes the state on destructOnExit, and a later operation of the batch starts anew", () => {
    const r = run(counter, [signal("add", 5), signal("reset"), call("get")]);
    expect(replies(r)[0]?.event).toMatchObject({ type: "EntityOperationCompleted", output: "0" });
    expect(r.stored).toBeUndefined();
    expect(run(counter, [signal("add", 5), signal("reset")]).stored).toBeUndefined();
  });

  it("does not make an entity exist by reading it with an initializer", () => {
    const r = run(counter, [call("get")]);
    expect(replies(r)[0]?.event).toMatchObject({ output: "0" });
    expect(r.stored).toBeUndefined();
  });

  it("keeps changes made to the object getState returned", () => {
    const list: EntityDefinition = {
      name: "list",
      kind: "function",
      fn: (ctx) => void (ctx.getState<string[]>(() => [])!).push(ctx.getInput<string>()),
    };
    const r = run(list, [signal("append", "a"), signal("append", "b")]);
    expect(stateOf(r)).toEqual(["a", "b"]);
  });

  it("sends the signals of a successful operation to other entities, lower-casing their names", () => {
    const r = run(counter, [signal("add", 4), signal("notify")]);
    expect(r.messages).toEqual([
      {
        instanceId: "@audit@x",
        toEntity: true,
        event: expect.objectContaining({ type: "EntityOperationSignaled", operation: "log", input: "4", targetInstanceId: "@audit@x" }),
      },
    ]);
  });

  it("fails an operation that returns a Promise, without changing the state", () => {
    const r = run(counter, [signal("add", 1), call("async")]);
    expect(stateOf(r)).toBe(1);
    expect(replies(r)[0]?.event).toMatchObject({ type: "EntityOperationFailed", failureDetails: { errorType: "InvalidEntityError" } });
  });

  it("fails an operation whose result or state a payload check refuses, and keeps the state", () => {
    const r = executeEntityBatch(
      counter,
      { instanceId: ID, stored: undefined, messages: [signal("add", 1), signal("add", 1000)], now: NOW },
      {
        checkPayload: (payload) => {
          if (payload !== undefined && payload.length > 3) throw new Error("too large");
        },
      },
    );
    expect(stateOf(r)).toBe(1);
    expect(r.outcomes.map((o) => o.ok)).toEqual([true, false]);
  });
});

class Account {
  balance = 0;
  history: string[] = [];
  static built = 0;
  constructor() {
    Account.built++;
  }
  deposit(amount: number): number {
    this.balance += amount;
    this.history.push(`+${amount}`);
    return this.balance;
  }
  withdraw(amount: number): number {
    this.balance -= amount;
    this.history.push(`-${amount}`);
    if (this.balance < 0) throw new Error("insufficient funds");
    return this.balance;
  }
  get(): number {
    return this.balance;
  }
}
const account: EntityDefinition = { name: "account", kind: "class", create: () => new Account() };

describe("entity batches: class entities", () => {
  it("keeps the instance's fields as state and answers with the method's result", () => {
    Account.built = 0;
    const r = run(account, [signal("deposit", 10), call("Deposit", 5, "d"), call("get", undefined, "g")]);
    expect(stateOf(r)).toEqual({ balance: 15, history: ["+10", "+5"] });
    expect(replies(r).map((m) => m.event)).toMatchObject([{ output: "15" }, { output: "15" }]);
    expect(Account.built).toBe(1);
    const next = run(account, [call("get", undefined, "g2")], r.stored);
    expect(replies(next)[0]?.event).toMatchObject({ output: "15" });
  });

  it("rebuilds the instance from the state before a failed operation", () => {
    const r = run(account, [signal("deposit", 10), call("withdraw", 50, "w"), signal("deposit", 1)]);
    expect(stateOf(r)).toEqual({ balance: 11, history: ["+10", "+1"] });
    expect(replies(r)[0]?.event).toMatchObject({ type: "EntityOperationFailed", failureDetails: { errorMessage: "insufficient funds" } });
  });

  it("fails an unknown operation with the list of operations, and deletes the state on 'delete'", () => {
    const r = run(account, [signal("deposit", 1), call("nope", undefined, "n"), signal("delete")]);
    expect(replies(r)[0]?.event).toMatchObject({
      type: "EntityOperationFailed",
      failureDetails: { errorType: "InvalidEntityError", errorMessage: expect.stringContaining("deposit, withdraw, get") },
    });
    expect(r.stored).toBeUndefined();
  });
});

describe("entity batches: the lock protocol", () => {
  const set = ["@counter@a", "@counter@b"];

  it("locks for the first position and forwards the request to the next entity", () => {
    const r = run(counter, [lockRequest(set, 0)]);
    expect(parseEntityRecord(r.stored).lock).toEqual({ owner: "orch-1", ownerExecutionId: "orch-1-e1", criticalSectionId: "cs-1" });
    expect(r.messages).toEqual([{ instanceId: "@counter@b", toEntity: true, event: { ...(lockRequest(set, 1) as object) } }]);
  });

  it("grants the lock to the owner from the last entity of the set", () => {
    const r = run(counter, [lockRequest(set, 1)]);
    expect(replies(r)).toEqual([
      { to: "orch-1", executionId: "orch-1-e1", event: newEvent("EntityLockGranted", NOW, { criticalSectionId: "cs-1" }) },
    ]);
  });

  it("runs only the owner's operations while locked, and the others in arrival order after the release", () => {
    const locked = run(counter, [lockRequest([ID], 0), signal("add", 1, "s1"), call("add", 10, "owner-1"), call("add", 100, "other-1", "orch-2")]);
    expect(stateOf(locked)).toBe(10);
    expect(parseEntityRecord(locked.stored).queue.map((m) => (m as { requestId: string }).requestId)).toEqual(["s1", "other-1"]);
    const more = run(counter, [signal("add", 1000, "s2"), call("get", undefined, "owner-get")], locked.stored);
    expect(replies(more).map((m) => m.event)).toMatchObject([{ requestId: "owner-get", output: "10" }]);
    const released = run(counter, [unlock(), signal("add", 5, "s3")], more.stored);
    expect(stateOf(released)).toBe(10 + 1 + 100 + 1000 + 5);
    expect(released.outcomes.map((o) => o.requestId)).toEqual(["s1", "other-1", "s2", "s3"]);
    expect(parseEntityRecord(released.stored)).toEqual({ state: "1116", queue: [] });
  });

  it("queues another orchestration's lock request until the release, then locks for it", () => {
    const first = run(counter, [lockRequest([ID], 0, "orch-1", "cs-1"), lockRequest([ID], 0, "orch-2", "cs-2")]);
    expect(parseEntityRecord(first.stored).lock?.owner).toBe("orch-1");
    const second = run(counter, [unlock("orch-1", "cs-1")], first.stored);
    expect(parseEntityRecord(second.stored).lock).toMatchObject({ owner: "orch-2", criticalSectionId: "cs-2" });
    expect(replies(second)).toMatchObject([{ to: "orch-2", event: { type: "EntityLockGranted", criticalSectionId: "cs-2" } }]);
  });

  it("forwards a travelling release along the lock set, whether or not it held the section", () => {
    const three = ["@counter@a", "@counter@b", "@counter@c"];
    const held = run(counter, [lockRequest(three, 0), unlock("orch-1", "cs-1", { lockSet: three, position: 0 })]);
    expect(held.stored).toBeUndefined();
    expect(held.messages.map((m) => [m.instanceId, m.event.type])).toEqual([
      ["@counter@b", "EntityLockRequested"],
      ["@counter@b", "EntityUnlockSent"],
    ]);
    expect(held.messages[1]?.event).toMatchObject({ targetInstanceId: "@counter@b", position: 1, lockSet: three });
    const unheld = run(counter, [unlock("orch-1", "other", { lockSet: three, position: 1 })]);
    expect(unheld.messages.map((m) => [m.instanceId, m.event.type])).toEqual([["@counter@c", "EntityUnlockSent"]]);
    const last = run(counter, [unlock("orch-1", "cs-1", { lockSet: three, position: 2 })]);
    expect(last.messages).toEqual([]);
  });

  it("ignores a release of a section it does not hold", () => {
    const locked = run(counter, [lockRequest([ID], 0)]);
    const r = run(counter, [unlock("orch-1", "someone-else")], locked.stored);
    expect(parseEntityRecord(r.stored).lock?.criticalSectionId).toBe("cs-1");
  });
});

describe("entity batches: outcomes of operations that ran elsewhere", () => {
  it("asks for the outcome of each operation that may run, in order, and applies them like its own", () => {
    const locked = run(counter, [lockRequest([ID], 0)]);
    const asked: Array<[string, string | undefined, string | undefined]> = [];
    const outcomes = [
      { ok: true as const, output: '"first"', state: "10", signals: [] },
      { ok: false as const, failureDetails: { errorType: "Error", errorMessage: "no" } },
    ];
    const remote: EntityDefinition = {
      name: "counter",
      kind: "outcomes",
      outcome: (frame) => {
        asked.push([frame.requestId, frame.input, frame.state]);
        return outcomes[asked.length - 1]!;
      },
    };
    // Another orchestration's call and a signal wait for the lock; the owner's calls run.
    const messages = [call("get", undefined, "other", "orch-2"), call("add", 1, "mine"), signal("add", 3, "aside"), call("bad", 2, "mine-2")];
    const r = run(remote, messages, locked.stored);
    expect(asked).toEqual([
      ["mine", "1", undefined],
      ["mine-2", "2", "10"],
    ]);
    expect(stateOf(r)).toBe(10);
    expect(replies(r)).toEqual([
      { to: "orch-1", executionId: "orch-1-e1", event: newEvent("EntityOperationCompleted", NOW, { requestId: "mine", output: '"first"' }) },
      {
        to: "orch-1",
        executionId: "orch-1-e1",
        event: newEvent("EntityOperationFailed", NOW, { requestId: "mine-2", failureDetails: { errorType: "Error", errorMessage: "no" } }),
      },
    ]);
    expect(parseEntityRecord(r.stored).queue.map((m) => (m as { requestId?: string }).requestId)).toEqual(["other", "aside"]);
  });
});

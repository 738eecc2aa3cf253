/**
 * Replay of entity calls, signals and critical sections: the actions they produce, their history
 * echoes, the answers that settle them, the locking rules, and the nondeterminism checks.
 */
import { describe, expect, it } from "vitest";
import { createApp, type App } from "../../sdk/app.js";
import { entityId } from "../../sdk/entity-context.js";
import type { OrchestrationContext } from "../../sdk/orchestration-context.js";
import { HistoryBuilder } from "../../testing/history-builder.js";
import { Simulator, replay, value } from "../../../test/helpers/simulator.js";
import type { Action, EntityMessage } from "../actions.js";
import { EntityOperationFailedError, LockingRulesViolationError, TaskFailedError } from "../errors.js";
import type { HistoryEvent } from "../history.js";

type CounterOps = { add: (n: number) => void; get: () => number };
const messages = (actions: readonly Action[]): EntityMessage[] =>
  actions.flatMap((a) => (a.type === "SendEntityMessage" ? [a.message] : []));
const requestIdOf = (action: Action | undefined): string => {
  if (action?.type !== "SendEntityMessage" || action.message.type !== "EntityOperationCalled") throw new Error("not a call");
  return action.message.requestId;
};
const sectionIdOf = (action: Action | undefined): string => {
  if (action?.type !== "SendEntityMessage" || action.message.type !== "EntityLockRequested") throw new Error("not a lock");
  return action.message.criticalSectionId;
};

function appWith(name: string, fn: (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>): App {
  const app = createApp();
  app.entity<CounterOps>("Counter", () => undefined);
  app.orchestration(name, fn);
  return app;
}

const counterA = entityId<CounterOps>({ kind: "entity", name: "Counter" }, "a");
const counterB = entityId<CounterOps>({ kind: "entity", name: "Counter" }, "b");

describe("callEntity", () => {
  const app = appWith("Calls", function* (ctx) {
    const before = yield* ctx.callEntity(counterA, "get");
    yield* ctx.callEntity(counterA, "add", 5);
    return before;
  });

  it("sends EntityOperationCalled with a deterministic request id, echoed under its sequence number", () => {
    const sim = new Simulator(app, "Calls");
    const r = sim.start();
    expect(messages(r.actions)).toEqual([
      {
        type: "EntityOperationCalled",
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        operation: "get",
        input: undefined,
        parentInstanceId: "sim-1",
        parentExecutionId: sim.h.executionId,
        targetInstanceId: "@counter@a",
      },
    ]);
    expect(r.newHistory.at(-1)).toMatchObject({ type: "EntityOperationCalled", eventId: 0, operation: "get", targetInstanceId: "@counter@a" });
    const again = new Simulator(app, "Calls").start();
    expect(requestIdOf(again.actions[0])).toBe(requestIdOf(r.actions[0]));
  });

  it("completes with the operation's result, and replays to the same actions cold", () => {
    const sim = new Simulator(app, "Calls", "cold");
    const first = requestIdOf(sim.start().actions[0]);
    let r = sim.deliver(sim.h.entityOperationCompleted(first, 7));
    expect(messages(r.actions)).toMatchObject([{ type: "EntityOperationCalled", operation: "add", input: "5" }]);
    r = sim.deliver(sim.h.entityOperationCompleted(requestIdOf(r.actions[0])));
    expect(r.status).toBe("Completed");
    expect(value(r.output)).toBe(7);
  });

  it("fails at the yield with EntityOperationFailedError, a TaskFailedError carrying the details", () => {
    let caught: unknown;
    const failing = appWith("Failing", function* (ctx) {
      try {
        yield* ctx.callEntity(counterA, "add", 1);
      } catch (error) {
        caught = error;
      }
      return "handled";
    });
    const sim = new Simulator(failing, "Failing");
    const requestId = requestIdOf(sim.start().actions[0]);
    sim.deliver(sim.h.entityOperationFailed(requestId, { errorType: "RangeError", errorMessage: "too big" }));
    expect(caught).toBeInstanceOf(EntityOperationFailedError);
    expect(caught).toBeInstanceOf(TaskFailedError);
    expect(caught).toMatchObject({
      taskKind: "entity",
      operationName: "add",
      entityInstanceId: "@counter@a",
      details: { errorType: "RangeError", errorMessage: "too big" },
      message: "Entity operation 'add' on '@counter@a' failed: RangeError: too big",
    });
  });

  it("drops a duplicate answer, and fails on an answer to a request it never made", () => {
    const sim = new Simulator(app, "Calls");
    const first = requestIdOf(sim.start().actions[0]);
    sim.deliver(sim.h.entityOperationCompleted(first, 1));
    const r = sim.deliver(sim.h.entityOperationCompleted(first, 2));
    expect(r.status).toBe("Running");
    const stray = sim.deliver(sim.h.entityOperationCompleted("not-a-request", 2));
    expect(stray.status).toBe("Failed");
    expect(stray.failureDetails?.errorMessage).toContain("EntityOperationCompleted answering request 'not-a-request'");
  });
});

describe("signalEntity", () => {
  it("sends a one-way operation, optionally scheduled, that nothing answers", () => {
    const app = appWith("Signals", function* (ctx) {
      ctx.signalEntity(counterA, "add", 1);
      ctx.signalEntity(counterB, "add", 2, { at: new Date("2026-02-01T00:00:00.000Z") });
      return yield* ctx.callEntity(counterB, "get");
    });
    const sim = new Simulator(app, "Signals");
    const r = sim.start();
    expect(messages(r.actions)).toMatchObject([
      { type: "EntityOperationSignaled", operation: "add", input: "1", targetInstanceId: "@counter@a" },
      { type: "EntityOperationSignaled", operation: "add", input: "2", targetInstanceId: "@counter@b", scheduledTime: "2026-02-01T00:00:00.000Z" },
      { type: "EntityOperationCalled", operation: "get" },
    ]);
    expect(r.newHistory.filter((e) => e.eventId >= 0).map((e) => [e.type, e.eventId])).toEqual([
      ["EntityOperationSignaled", 0],
      ["EntityOperationSignaled", 1],
      ["EntityOperationCalled", 2],
    ]);
    const done = sim.deliver(sim.h.entityOperationCompleted(requestIdOf(r.actions[2]), 2));
    expect(value(done.output)).toBe(2);
  });
});

describe("critical sections", () => {
  const app = appWith("Transfer", function* (ctx) {
    const lock = yield* ctx.lockEntities(counterB, counterA, counterB);
    const a = yield* ctx.callEntity(counterA, "get");
    yield* ctx.callEntity(counterB, "add", a);
    lock.release();
    return ctx.isInCriticalSection;
  });

  it("asks for a sorted, deduplicated lock set, calls inside it, and releases every entity", () => {
    const sim = new Simulator(app, "Transfer");
    let r = sim.start();
    expect(messages(r.actions)).toEqual([
      {
        type: "EntityLockRequested",
        criticalSectionId: expect.any(String),
        lockSet: ["@counter@a", "@counter@b"],
        position: 0,
        parentInstanceId: "sim-1",
        parentExecutionId: sim.h.executionId,
      },
    ]);
    const section = sectionIdOf(r.actions[0]);
    expect(r.heldLock).toEqual({ criticalSectionId: section, lockSet: ["@counter@a", "@counter@b"] });
    r = sim.deliver(sim.h.entityLockGranted(section));
    r = sim.deliver(sim.h.entityOperationCompleted(requestIdOf(r.actions[0]), 3));
    r = sim.deliver(sim.h.entityOperationCompleted(requestIdOf(r.actions[0])));
    expect(messages(r.actions)).toEqual([
      { type: "EntityUnlockSent", criticalSectionId: section, parentInstanceId: "sim-1", targetInstanceId: "@counter@a" },
      { type: "EntityUnlockSent", criticalSectionId: section, parentInstanceId: "sim-1", targetInstanceId: "@counter@b" },
    ]);
    expect(r.status).toBe("Completed");
    expect(value(r.output)).toBe(false);
    expect(r.heldLock).toBeUndefined();
    expect(r.heldLockAtStart).toEqual({ criticalSectionId: section, lockSet: ["@counter@a", "@counter@b"] });
  });

  it("reports the held section when the orchestration ends inside it, warm or cold", () => {
    const failsInside = appWith("FailsInside", function* (ctx) {
      yield* ctx.lockEntities(counterA);
      yield* ctx.callEntity(counterA, "add", 1);
      throw new Error("boom");
    });
    for (const mode of ["warm", "cold"] as const) {
      const sim = new Simulator(failsInside, "FailsInside", mode);
      const section = sectionIdOf(sim.start().actions[0]);
      const call = requestIdOf(sim.deliver(sim.h.entityLockGranted(section)).actions[0]);
      const r = sim.deliver(sim.h.entityOperationCompleted(call));
      expect(r.status).toBe("Failed");
      expect(r.heldLock).toEqual({ criticalSectionId: section, lockSet: ["@counter@a"] });
    }
  });

  it("knows the held section from history even when replay fails on the past", () => {
    const h = new HistoryBuilder("sim-1");
    const app2 = appWith("Changed", function* (ctx) {
      yield* ctx.callEntity(counterA, "get"); // formerly: lockEntities(counterA)
    });
    const past: HistoryEvent[] = [h.orchestratorStarted(), h.executionStarted("Changed"), h.entityLockRequested(0, "cs-1", ["@counter@a"])];
    const r = replay(app2, "Changed", past, [h.orchestratorStarted(), h.entityLockGranted("cs-1")]);
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorType).toBe("NonDeterminismError");
    expect(r.heldLock).toEqual({ criticalSectionId: "cs-1", lockSet: ["@counter@a"] });
  });
});

describe("locking rules", () => {
  const violation = (body: (ctx: OrchestrationContext) => void) => {
    let caught: unknown;
    const app = appWith("Rules", function* (ctx) {
      yield* ctx.lockEntities(counterA);
      try {
        body(ctx);
      } catch (error) {
        caught = error;
      }
      return "ok";
    });
    const sim = new Simulator(app, "Rules");
    const section = sectionIdOf(sim.start().actions[0]);
    expect(sim.deliver(sim.h.entityLockGranted(section)).status).toBe("Completed");
    return caught;
  };

  it.each([
    ["a nested critical section", (ctx: OrchestrationContext) => void ctx.lockEntities(counterB), "may not be nested"],
    ["a sub-orchestration inside", (ctx: OrchestrationContext) => void ctx.callSubOrchestrator("Child"), "callSubOrchestrator()"],
    ["a call to an entity outside the lock set", (ctx: OrchestrationContext) => void ctx.callEntity(counterB, "get"), "does not hold '@counter@b'"],
    ["a signal to a locked entity", (ctx: OrchestrationContext) => ctx.signalEntity(counterA, "add", 1), "signal only entities outside"],
    [
      "two calls in flight to one locked entity",
      (ctx: OrchestrationContext) => {
        ctx.callEntity(counterA, "get");
        ctx.callEntity(counterA, "get");
      },
      "one at a time",
    ],
  ])("refuses %s with LockingRulesViolationError", (_what, body, text) => {
    const caught = violation(body);
    expect(caught).toBeInstanceOf(LockingRulesViolationError);
    expect((caught as Error).message).toContain(text);
  });

  it("refuses a call to a locked entity before the lock is granted", () => {
    let caught: unknown;
    const app = appWith("Early", function* (ctx) {
      const pending = ctx.lockEntities(counterA);
      try {
        ctx.callEntity(counterA, "get");
      } catch (error) {
        caught = error;
      }
      yield* pending;
    });
    new Simulator(app, "Early").start();
    expect((caught as Error).message).toContain("before the lock was acquired");
  });

  it("fails the orchestration when a violation is not caught, releasing its section", () => {
    const app = appWith("Uncaught", function* (ctx) {
      yield* ctx.lockEntities(counterA);
      yield* ctx.callEntity(counterB, "get");
    });
    const sim = new Simulator(app, "Uncaught");
    const section = sectionIdOf(sim.start().actions[0]);
    const r = sim.deliver(sim.h.entityLockGranted(section));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorType).toBe("LockingRulesViolationError");
    expect(r.heldLock?.criticalSectionId).toBe(section);
  });
});

describe("nondeterminism of entity messages", () => {
  const h = new HistoryBuilder("order-7");
  const past = (echo: HistoryEvent): HistoryEvent[] => [h.orchestratorStarted(), h.executionStarted("Now"), echo];
  const run = (echo: HistoryEvent, body: (ctx: OrchestrationContext) => Generator<unknown, unknown, unknown>) =>
    replay(appWith("Now", body), "Now", past(echo), [h.orchestratorStarted(), h.eventRaised("go")]);

  it.each([
    [
      "another operation",
      h.entityOperationCalled(0, "@counter@a", "add", "r"),
      function* (ctx: OrchestrationContext) {
        yield* ctx.callEntity(counterA, "get");
      },
      "EntityOperationCalled 'add' on '@counter@a'",
      "EntityOperationCalled 'get' on '@counter@a'",
    ],
    [
      "another entity",
      h.entityOperationCalled(0, "@counter@a", "add", "r"),
      function* (ctx: OrchestrationContext) {
        yield* ctx.callEntity(counterB, "add", 1);
      },
      "EntityOperationCalled 'add' on '@counter@a'",
      "EntityOperationCalled 'add' on '@counter@b'",
    ],
    [
      "a signal where a call was",
      h.entityOperationCalled(0, "@counter@a", "add", "r"),
      function* (ctx: OrchestrationContext) {
        ctx.signalEntity(counterA, "add", 1);
        yield* ctx.waitForExternalEvent("never");
      },
      "EntityOperationCalled 'add' on '@counter@a'",
      "EntityOperationSignaled 'add' on '@counter@a'",
    ],
    [
      "another lock set",
      h.entityLockRequested(0, "cs", ["@counter@a"]),
      function* (ctx: OrchestrationContext) {
        yield* ctx.lockEntities(counterA, counterB);
      },
      "EntityLockRequested on [@counter@a]",
      "EntityLockRequested on [@counter@a, @counter@b]",
    ],
    [
      "an activity where an entity call was",
      h.entityOperationSignaled(0, "@counter@a", "add", "r"),
      function* (ctx: OrchestrationContext) {
        yield* ctx.callActivity("Add");
      },
      "EntityOperationSignaled 'add' on '@counter@a'",
      "ScheduleTask 'Add'",
    ],
  ])("fails on %s, naming both", (_what, echo, body, recorded, produced) => {
    const r = run(echo, body);
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorType).toBe("NonDeterminismError");
    expect(r.failureDetails?.errorMessage).toContain(`at position 0 the history records ${recorded}, but the code now produces ${produced}`);
  });

  it("accepts the same operation with another input and another case", () => {
    const r = run(h.entityOperationCalled(0, "@counter@a", "ADD", "r", 1), function* (ctx) {
      yield* ctx.callEntity(counterA, "add", 99);
    });
    expect(r.status).toBe("Running");
  });
});

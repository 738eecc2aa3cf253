import { describe, expect, it } from "vitest";
import { createApp } from "../../sdk/app.js";
import { Simulator, replay, value } from "../../../test/helpers/simulator.js";
import { EventTimeoutError, NonRetriableError, TaskFailedError, toFailureDetails } from "../errors.js";
import type { HistoryEvent } from "../history.js";
import type { Action } from "../actions.js";
import { OrchestrationExecutor } from "./executor.js";

const types = (events: readonly HistoryEvent[]) => events.map((e) => e.type);
const kinds = (actions: readonly Action[]) => actions.map((a) => a.type);

describe("the seed pipeline (function chaining with a clean-up path)", () => {
  const app = createApp();
  const download = app.activity("DownloadData", async () => [3, 1, 2]);
  const process = app.activity("Process", async (rows: number[]) => rows.map((r) => r * 10));
  const summarize = app.activity("Summarize", async (rows: number[]) => ({ count: rows.length }));
  const cleanUp = app.activity("CleanUp", async () => undefined);
  app.orchestration("Pipeline", function* (ctx) {
    try {
      const rows = yield* ctx.callActivity(download);
      const clean = yield* ctx.callActivity(process, rows);
      return yield* ctx.callActivity(summarize, clean);
    } catch {
      yield* ctx.callActivity(cleanUp);
      return "Something went wrong";
    }
  });

  it("schedules each step with the previous step's output and completes with the last one", () => {
    const sim = new Simulator(app, "Pipeline");
    let r = sim.start();
    expect(r.actions).toEqual([{ type: "ScheduleTask", id: 0, name: "DownloadData", input: undefined }]);
    expect(types(r.newHistory)).toEqual(["OrchestratorStarted", "ExecutionStarted", "TaskScheduled"]);
    r = sim.deliver(sim.h.taskCompleted(0, [3, 1, 2]));
    expect(r.actions).toEqual([{ type: "ScheduleTask", id: 1, name: "Process", input: "[3,1,2]" }]);
    r = sim.deliver(sim.h.taskCompleted(1, [30, 10, 20]));
    expect(r.actions).toMatchObject([{ type: "ScheduleTask", id: 2, name: "Summarize", input: "[30,10,20]" }]);
    r = sim.deliver(sim.h.taskCompleted(2, { count: 3 }));
    expect(r.status).toBe("Completed");
    expect(value(r.output)).toEqual({ count: 3 });
    expect(r.actions).toEqual([{ type: "CompleteOrchestration", status: "Completed", result: '{"count":3}' }]);
    expect(types(sim.history).slice(-1)).toEqual(["ExecutionCompleted"]);
  });

  it("raises the failure at the yield, so the catch block runs the clean-up", () => {
    const sim = new Simulator(app, "Pipeline");
    sim.start();
    sim.deliver(sim.h.taskCompleted(0, [1]));
    let r = sim.deliver(sim.h.taskFailed(1, { errorType: "TypeError", errorMessage: "bad row" }));
    expect(r.actions).toMatchObject([{ type: "ScheduleTask", id: 2, name: "CleanUp" }]);
    r = sim.deliver(sim.h.taskCompleted(2));
    expect(r.status).toBe("Completed");
    expect(value(r.output)).toBe("Something went wrong");
  });
});

describe("activities", () => {
  it("fails the orchestration with the task's details as the inner failure when uncaught", () => {
    const app = createApp();
    app.orchestration("Uncaught", function* (ctx) {
      yield ctx.callActivity("Boom");
    });
    const sim = new Simulator(app, "Uncaught");
    sim.start();
    const r = sim.deliver(sim.h.taskFailed(0, { errorType: "RangeError", errorMessage: "out of range", stackTrace: "at x" }));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails).toMatchObject({
      errorType: "TaskFailedError",
      errorMessage: "Activity 'Boom' failed: RangeError: out of range",
      innerFailure: { errorType: "RangeError", errorMessage: "out of range", stackTrace: "at x" },
    });
  });

  it("gives the catch block a TaskFailedError carrying type, message, stack and inner failure", () => {
    const app = createApp();
    let caught: unknown;
    app.orchestration("Catch", function* (ctx) {
      try {
        yield* ctx.callActivity("Boom", 1);
      } catch (error) {
        caught = error;
      }
      return "handled";
    });
    const sim = new Simulator(app, "Catch");
    sim.start();
    const inner = { errorType: "Error", errorMessage: "disk" };
    sim.deliver(sim.h.taskFailed(0, { errorType: "IOError", errorMessage: "write failed", stackTrace: "s", innerFailure: inner }));
    expect(caught).toBeInstanceOf(TaskFailedError);
    const error = caught as TaskFailedError;
    expect(error.taskKind).toBe("activity");
    expect(error.taskName).toBe("Boom");
    expect(error.taskId).toBe(0);
    expect(error.details).toEqual({ errorType: "IOError", errorMessage: "write failed", stackTrace: "s", innerFailure: inner });
    expect(sim.last.status).toBe("Completed");
  });

  it("accepts the untyped `yield task` form and activity names", () => {
    const app = createApp();
    app.orchestration("Untyped", function* (ctx) {
      const a = yield ctx.callActivity("Add", 1);
      const b = yield ctx.callActivity("add", a);
      return b;
    });
    const sim = new Simulator(app, "Untyped");
    sim.start();
    sim.deliver(sim.h.taskCompleted(0, 2));
    expect(sim.last.actions).toEqual([{ type: "ScheduleTask", id: 1, name: "add", input: "2" }]);
    sim.deliver(sim.h.taskCompleted(1, 3));
    expect(value(sim.last.output)).toBe(3);
  });

  it("ignores a duplicate completion of a task that already settled", () => {
    const app = createApp();
    app.orchestration("Dup", function* (ctx) {
      const a: number = yield ctx.callActivity("A");
      const b: number = yield ctx.callActivity("B");
      return a + b;
    });
    const sim = new Simulator(app, "Dup");
    sim.start();
    sim.deliver(sim.h.taskCompleted(0, 1));
    const r = sim.deliver(sim.h.taskCompleted(0, 100));
    expect(r.status).toBe("Running");
    expect(r.actions).toEqual([]);
    sim.deliver(sim.h.taskCompleted(1, 2));
    expect(value(sim.last.output)).toBe(3);
  });

  it("refuses non-serializable input at the call, where the code can catch it", () => {
    const app = createApp();
    app.orchestration("BadInput", function* (ctx) {
      try {
        yield ctx.callActivity("A", { n: 1n });
      } catch (error) {
        return (error as Error).name;
      }
    });
    const r = new Simulator(app, "BadInput").start();
    expect(value(r.output)).toBe("SerializationError");
  });
});

describe("sub-orchestrations", () => {
  const app = createApp();
  const child = app.orchestration("Child", function* (_ctx, n: number) {
    return n * 2;
  });
  app.orchestration("Parent", function* (ctx) {
    const a = yield* ctx.callSubOrchestrator(child, 1);
    const b = yield* ctx.callSubOrchestrator(child, 2, { instanceId: "explicit-child" });
    return a + b;
  });

  it("derives the child id from the parent id and the call's position, or takes the given one", () => {
    const sim = new Simulator(app, "Parent", "warm", "parent-7");
    let r = sim.start();
    expect(r.actions).toEqual([{ type: "CreateSubOrchestration", id: 0, name: "Child", instanceId: "parent-7:0", input: "1" }]);
    expect(types(r.newHistory)).toContain("SubOrchestrationInstanceCreated");
    r = sim.deliver(sim.h.subOrchestrationCompleted(0, 2));
    expect(r.actions).toEqual([{ type: "CreateSubOrchestration", id: 1, name: "Child", instanceId: "explicit-child", input: "2" }]);
    r = sim.deliver(sim.h.subOrchestrationCompleted(1, 4));
    expect(value(r.output)).toBe(6);
  });

  it("raises a sub-orchestration failure as a TaskFailedError naming the child", () => {
    const sim = new Simulator(app, "Parent", "warm", "parent-8");
    sim.start();
    const r = sim.deliver(sim.h.subOrchestrationFailed(0, { errorType: "Error", errorMessage: "child broke" }));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorMessage).toBe("Sub-orchestration 'Child' (instance 'parent-8:0') failed: Error: child broke");
    expect(r.failureDetails?.innerFailure?.errorMessage).toBe("child broke");
  });

  it("exposes the parent instance id from ExecutionStarted", () => {
    const app2 = createApp();
    app2.orchestration("WhoIsParent", function* (ctx) {
      return ctx.parentInstanceId ?? "none";
    });
    const h = new Simulator(app2, "WhoIsParent").h;
    const r = replay(app2, "WhoIsParent", [], [
      h.orchestratorStarted(),
      h.executionStarted("WhoIsParent", undefined, { name: "P", instanceId: "the-parent", taskScheduledId: 3 }),
    ]);
    expect(value(r.output)).toBe("the-parent");
  });
});

describe("timers", () => {
  it("creates a timer from a delay or a Date, relative to episode time, and resumes when it fires", () => {
    const app = createApp();
    app.orchestration("Sleep", function* (ctx) {
      yield* ctx.createTimer(60_000);
      yield* ctx.createTimer(new Date("2026-02-01T00:00:00.000Z"));
      return ctx.currentUtcDateTime.toISOString();
    });
    const sim = new Simulator(app, "Sleep");
    let r = sim.start();
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 0, fireAt: "2026-01-01T00:01:00.000Z" }]);
    expect(types(r.newHistory)).toContain("TimerCreated");
    sim.h.advance(60_000);
    r = sim.deliver(sim.h.timerFired(0, new Date("2026-01-01T00:01:00.000Z")));
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: "2026-02-01T00:00:00.000Z" }]);
    sim.h.at(new Date("2026-02-01T00:00:00.000Z"));
    r = sim.deliver(sim.h.timerFired(1, new Date("2026-02-01T00:00:00.000Z")));
    expect(value(r.output)).toBe("2026-02-01T00:00:00.000Z");
  });

  it("rejects a negative delay or an invalid date at the call", () => {
    const app = createApp();
    app.orchestration("BadTimer", function* (ctx) {
      const errors: string[] = [];
      for (const arg of [-1, Number.NaN, new Date("nope")]) {
        try {
          ctx.createTimer(arg);
        } catch (error) {
          errors.push((error as Error).name);
        }
      }
      return errors;
    });
    expect(value(new Simulator(app, "BadTimer").start().output)).toEqual([
      "InvalidArgumentError",
      "InvalidArgumentError",
      "InvalidArgumentError",
    ]);
  });

  it("lets a canceled timer's later firing pass unnoticed, and reports the cancellation", () => {
    const app = createApp();
    app.orchestration("Cancel", function* (ctx) {
      const timer = ctx.createTimer(1000);
      const work = ctx.callActivity("Work");
      const winner = yield* ctx.any([timer, work]);
      const next = yield* ctx.callActivity("Next");
      return [winner === work, timer.isCanceled, next];
    });
    const sim = new Simulator(app, "Cancel");
    sim.start();
    let r = sim.deliver(sim.h.taskCompleted(1, "done"));
    expect(r.canceledTimers).toEqual([0]);
    expect(r.actions).toMatchObject([{ type: "ScheduleTask", id: 2, name: "Next" }]);
    r = sim.deliver(sim.h.timerFired(0, new Date("2026-01-01T00:00:01.000Z")));
    expect(r.actions).toEqual([]);
    expect(r.status).toBe("Running");
    r = sim.deliver(sim.h.taskCompleted(2, 5));
    expect(value(r.output)).toEqual([true, true, 5]);
  });
});

describe("external events", () => {
  it("delivers an event to a waiting orchestration", () => {
    const app = createApp();
    app.orchestration("Approve", function* (ctx) {
      const answer = yield* ctx.waitForExternalEvent<{ ok: boolean }>("Approval");
      return answer.ok;
    });
    const sim = new Simulator(app, "Approve");
    expect(sim.start().actions).toEqual([]);
    const r = sim.deliver(sim.h.eventRaised("Approval", { ok: true }));
    expect(value(r.output)).toBe(true);
  });

  it("buffers events that arrive before the wait, in order per name, matching names case-insensitively", () => {
    const app = createApp();
    app.orchestration("Buffer", function* (ctx) {
      yield* ctx.createTimer(10);
      const a = yield* ctx.waitForExternalEvent("Item");
      const other = yield* ctx.waitForExternalEvent("Other");
      const b = yield* ctx.waitForExternalEvent("item");
      return [a, b, other];
    });
    const sim = new Simulator(app, "Buffer");
    sim.start();
    sim.deliver(sim.h.eventRaised("item", 1), sim.h.eventRaised("Other", "x"));
    sim.deliver(sim.h.eventRaised("ITEM", 2));
    const r = sim.deliver(sim.h.timerFired(0, sim.h.now));
    expect(value(r.output)).toEqual([1, 2, "x"]);
  });

  it("fails the wait with EventTimeoutError when the timeout fires first", () => {
    const app = createApp();
    let caught: unknown;
    app.orchestration("Timeout", function* (ctx) {
      try {
        yield* ctx.waitForExternalEvent("Approval", { timeoutMs: 5000 });
        return "approved";
      } catch (error) {
        caught = error;
        return "escalated";
      }
    });
    const sim = new Simulator(app, "Timeout");
    expect(sim.start().actions).toEqual([{ type: "CreateTimer", id: 0, fireAt: "2026-01-01T00:00:05.000Z" }]);
    sim.h.advance(5000);
    const r = sim.deliver(sim.h.timerFired(0, sim.h.now));
    expect(value(r.output)).toBe("escalated");
    expect(caught).toBeInstanceOf(EventTimeoutError);
    expect((caught as EventTimeoutError).eventName).toBe("Approval");
  });

  it("cancels the timeout timer when the event wins; a later event goes to the buffer", () => {
    const app = createApp();
    app.orchestration("EventWins", function* (ctx) {
      const a = yield* ctx.waitForExternalEvent("E", { timeoutMs: 5000 });
      yield* ctx.createTimer(60_000);
      const b = yield* ctx.waitForExternalEvent("E", { timeoutMs: 5000 });
      return [a, b];
    });
    const sim = new Simulator(app, "EventWins");
    sim.start();
    let r = sim.deliver(sim.h.eventRaised("E", "first"));
    expect(r.canceledTimers).toEqual([0]);
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: "2026-01-01T00:01:00.000Z" }]);
    sim.deliver(sim.h.eventRaised("E", "second"));
    sim.h.advance(60_000);
    r = sim.deliver(sim.h.timerFired(1, sim.h.now));
    // The second wait finds its event buffered, so it needs no timeout timer.
    expect(kinds(r.actions)).toEqual(["CompleteOrchestration"]);
    expect(value(r.output)).toEqual(["first", "second"]);
  });

  it("does not let a timed-out wait swallow a later event", () => {
    const app = createApp();
    app.orchestration("LateEvent", function* (ctx) {
      try {
        yield* ctx.waitForExternalEvent("E", { timeoutMs: 10 });
      } catch {
        // timed out; wait again without a timeout
      }
      return yield* ctx.waitForExternalEvent("E");
    });
    const sim = new Simulator(app, "LateEvent");
    sim.start();
    sim.h.advance(10);
    sim.deliver(sim.h.timerFired(0, sim.h.now));
    const r = sim.deliver(sim.h.eventRaised("E", "late"));
    expect(value(r.output)).toBe("late");
  });

  it("sends events to other instances as SendEvent actions echoed as EventSent", () => {
    const app = createApp();
    app.orchestration("Sender", function* (ctx) {
      ctx.sendEvent("other-1", "Ping", { n: 1 });
      return "sent";
    });
    const r = new Simulator(app, "Sender").start();
    expect(r.actions).toEqual([
      { type: "SendEvent", id: 0, instanceId: "other-1", name: "Ping", data: '{"n":1}' },
      { type: "CompleteOrchestration", status: "Completed", result: '"sent"' },
    ]);
    expect(types(r.newHistory)).toEqual(["OrchestratorStarted", "ExecutionStarted", "EventSent", "ExecutionCompleted"]);
  });
});

describe("combinators", () => {
  it("all() gives results in call order whatever order they complete in", () => {
    const app = createApp();
    app.orchestration("FanOut", function* (ctx) {
      const tasks = [1, 2, 3].map((i) => ctx.callActivity<number>("Inc", i));
      const results = yield* ctx.all(tasks);
      return results.reduce((a, b) => a + b, 0) + results.length * 1000;
    });
    const sim = new Simulator(app, "FanOut");
    expect(kinds(sim.start().actions)).toEqual(["ScheduleTask", "ScheduleTask", "ScheduleTask"]);
    sim.deliver(sim.h.taskCompleted(2, 4), sim.h.taskCompleted(0, 2));
    const r = sim.deliver(sim.h.taskCompleted(1, 3));
    expect(value(r.output)).toBe(3009);
  });

  it("all() fails with the first failure, without waiting for the rest", () => {
    const app = createApp();
    app.orchestration("AllFails", function* (ctx) {
      yield* ctx.all([ctx.callActivity("A"), ctx.callActivity("B")]);
    });
    const sim = new Simulator(app, "AllFails");
    sim.start();
    const r = sim.deliver(sim.h.taskFailed(1, { errorMessage: "b broke" }));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.innerFailure?.errorMessage).toBe("b broke");
  });

  it("allSettled() reports every outcome", () => {
    const app = createApp();
    app.orchestration("Settled", function* (ctx) {
      const results = yield* ctx.allSettled([ctx.callActivity<number>("A"), ctx.callActivity<number>("B")]);
      return results.map((r) => (r.status === "fulfilled" ? r.value : r.reason.message));
    });
    const sim = new Simulator(app, "Settled");
    sim.start();
    sim.deliver(sim.h.taskFailed(1, { errorMessage: "nope" }));
    const r = sim.deliver(sim.h.taskCompleted(0, 7));
    expect(value(r.output)).toEqual([7, "Activity 'B' failed: Error: nope"]);
  });

  it("any() returns the first task to settle and cancels losing timers", () => {
    const app = createApp();
    app.orchestration("Race", function* (ctx) {
      const timeout = ctx.createTimer(30_000);
      const work = ctx.callActivity<string>("Slow");
      const winner = yield* ctx.any([work, timeout]);
      return winner === work ? work.result : "timed out";
    });
    const sim = new Simulator(app, "Race");
    sim.start();
    const r = sim.deliver(sim.h.taskCompleted(1, "fast enough"));
    expect(value(r.output)).toBe("fast enough");
    expect(r.canceledTimers).toEqual([0]);
  });

  it("all([]) completes at once; any([]) is refused", () => {
    const app = createApp();
    app.orchestration("Empty", function* (ctx) {
      const none = yield* ctx.all([]);
      try {
        ctx.any([]);
      } catch (error) {
        return [none, (error as Error).name];
      }
    });
    expect(value(new Simulator(app, "Empty").start().output)).toEqual([[], "InvalidArgumentError"]);
  });
});

describe("continue-as-new", () => {
  const app = createApp();
  app.orchestration("Counter", function* (ctx, n: number) {
    const inc = yield* ctx.waitForExternalEvent<number>("inc");
    ctx.continueAsNew(n + inc);
  });
  app.orchestration("Dropper", function* (ctx, n: number) {
    yield* ctx.waitForExternalEvent<number>("inc");
    ctx.continueAsNew(n + 1, { preserveUnprocessedEvents: false });
  });

  it("ends the execution with the next input and carries unconsumed events over", () => {
    const sim = new Simulator(app, "Counter");
    sim.start(10);
    const r = sim.deliver(sim.h.eventRaised("inc", 1), sim.h.eventRaised("inc", 2), sim.h.eventRaised("other", 3));
    expect(r.status).toBe("ContinuedAsNew");
    expect(value(r.output)).toBe(11);
    const complete = r.actions.at(-1)!;
    expect(complete).toMatchObject({ type: "CompleteOrchestration", status: "ContinuedAsNew", result: "11" });
    expect(complete.type === "CompleteOrchestration" && complete.carryoverEvents?.map((e) => value((e as { input?: string }).input))).toEqual([2, 3]);
    // The events after the one that ended the execution are not part of its history.
    expect(types(r.newHistory)).toEqual(["OrchestratorStarted", "EventRaised", "ExecutionCompleted"]);
  });

  it("drops unconsumed events when asked to", () => {
    const sim = new Simulator(app, "Dropper");
    sim.start(0);
    const r = sim.deliver(sim.h.eventRaised("inc", 1), sim.h.eventRaised("inc", 2));
    const complete = r.actions.at(-1)!;
    expect(complete.type === "CompleteOrchestration" && complete.carryoverEvents).toEqual([]);
  });
});

describe("suspend, resume and terminate", () => {
  const app = createApp();
  app.orchestration("Steps", function* (ctx) {
    const a: number = yield ctx.callActivity("A");
    const b: number = yield ctx.callActivity("B");
    return a + b;
  });

  it("holds events while suspended and applies them on resume", () => {
    const sim = new Simulator(app, "Steps");
    sim.start();
    let r = sim.deliver(sim.h.executionSuspended("maintenance"), sim.h.taskCompleted(0, 1));
    expect(r.status).toBe("Suspended");
    expect(r.actions).toEqual([]);
    r = sim.deliver(sim.h.executionResumed("done"));
    expect(r.status).toBe("Running");
    expect(r.actions).toMatchObject([{ type: "ScheduleTask", id: 1, name: "B" }]);
    r = sim.deliver(sim.h.taskCompleted(1, 2));
    expect(value(r.output)).toBe(3);
  });

  it("terminates with the reason as output, even while suspended", () => {
    const sim = new Simulator(app, "Steps");
    sim.start();
    sim.deliver(sim.h.executionSuspended());
    const r = sim.deliver(sim.h.executionTerminated("operator said so"));
    expect(r.status).toBe("Terminated");
    expect(value(r.output)).toBe("operator said so");
    expect(r.actions).toEqual([{ type: "CompleteOrchestration", status: "Terminated", result: '"operator said so"' }]);
  });
});

describe("episode metadata", () => {
  it("takes time from OrchestratorStarted, makes GUIDs deterministic, and is quiet while replaying", () => {
    const app = createApp();
    const lines: string[] = [];
    const logger = { debug() {}, info: (m: string) => lines.push(m), warn() {}, error() {} };
    app.orchestration("Meta", function* (ctx) {
      const g1 = ctx.newGuid();
      const g2 = ctx.newGuid();
      ctx.log.info(`first ${ctx.isReplaying}`);
      const t1 = ctx.currentUtcDateTime.toISOString();
      yield* ctx.createTimer(1000);
      ctx.log.info(`second ${ctx.isReplaying}`);
      ctx.setCustomStatus({ stage: 2 });
      return { g1, g2, t1, t2: ctx.currentUtcDateTime.toISOString() };
    });
    const h = new Simulator(app, "Meta").h;
    const first = [h.orchestratorStarted(), h.executionStarted("Meta")];
    const definition = app.getOrchestration("Meta")!;
    const cold1 = new OrchestrationExecutor(definition, { logger }).execute([], first);
    expect(lines).toEqual(["first false"]);
    h.advance(1500);
    const second = [h.orchestratorStarted(), h.timerFired(0, h.now)];
    lines.length = 0;
    const cold2 = new OrchestrationExecutor(definition, { logger }).execute([...cold1.newHistory], second);
    expect(lines).toEqual(["second false"]);
    const out = value(cold2.output) as { g1: string; g2: string; t1: string; t2: string };
    expect(out.g1).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(out.g1).not.toBe(out.g2);
    expect(out.t1).toBe("2026-01-01T00:00:00.000Z");
    expect(out.t2).toBe("2026-01-01T00:00:01.500Z");
    expect(value(cold2.customStatus)).toEqual({ stage: 2 });
    // Replaying again gives the same GUIDs.
    const again = new OrchestrationExecutor(definition).execute([...cold1.newHistory], second);
    expect(value(again.output)).toEqual(out);
  });

  it("ignores OrchestratorCompleted, GenericEvent and ExecutionRewound markers", () => {
    const app = createApp();
    app.orchestration("Markers", function* (ctx) {
      return yield* ctx.callActivity<number>("A");
    });
    const h = new Simulator(app, "Markers").h;
    const past = [h.orchestratorStarted(), h.executionStarted("Markers"), h.taskScheduled(0, "A"), h.orchestratorCompleted()];
    const r = replay(app, "Markers", past, [h.orchestratorStarted(), h.genericEvent("x"), h.executionRewound("r"), h.taskCompleted(0, 9)]);
    expect(value(r.output)).toBe(9);
  });

  it("does nothing more for a history that already completed", () => {
    const app = createApp();
    app.orchestration("Done", function* () {
      return 1;
    });
    const h = new Simulator(app, "Done").h;
    const past = [h.orchestratorStarted(), h.executionStarted("Done"), h.executionCompleted("Completed", 1)];
    const r = replay(app, "Done", past, [h.orchestratorStarted(), h.eventRaised("late")]);
    expect(r.status).toBe("Completed");
    expect(r.actions).toEqual([]);
    expect(value(r.output)).toBe(1);
  });
});

describe("programming-model errors", () => {
  it("fails an orchestration that yields something other than a task", () => {
    const app = createApp();
    app.orchestration("YieldsNumber", function* () {
      yield 42;
    });
    const r = new Simulator(app, "YieldsNumber").start();
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorType).toBe("InvalidOrchestrationError");
    expect(r.failureDetails?.errorMessage).toContain("yielded a number (42)");
  });

  it("fails an async orchestration with a message saying to use function*", () => {
    const app = createApp();
    // @ts-expect-error an async function is not an orchestration function
    app.orchestration("Async", async () => 1);
    const r = new Simulator(app, "Async").start();
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorMessage).toContain("must be generator functions");
  });

  it("records an uncaught error's type, message and stack, and its cause as inner failure", () => {
    const app = createApp();
    app.orchestration("Throws", function* () {
      throw new NonRetriableError("outer", { cause: new RangeError("inner") });
    });
    const r = new Simulator(app, "Throws").start();
    expect(r.failureDetails).toMatchObject({
      errorType: "NonRetriableError",
      errorMessage: "outer",
      isNonRetriable: true,
      innerFailure: { errorType: "RangeError", errorMessage: "inner" },
    });
    expect(r.failureDetails?.stackTrace).toContain("outer");
  });

  it("normalises thrown non-errors once", () => {
    expect(toFailureDetails("plain")).toMatchObject({ errorType: "Error", errorMessage: "plain" });
    expect(toFailureDetails({ code: 7 })).toMatchObject({ errorType: "NonErrorThrown", errorMessage: 'A non-Error value was thrown: {"code":7}' });
  });
});

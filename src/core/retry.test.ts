/**
 * Retry arithmetic (retry.ts) and durable retries through the executor: each attempt is its own
 * TaskScheduled under a new sequence number, each delay is a durable timer.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../sdk/app.js";
import { Simulator, value } from "../../test/helpers/simulator.js";
import { InvalidArgumentError, NonRetriableError, TaskFailedError, toFailureDetails } from "./errors.js";
import type { HistoryEvent } from "./history.js";
import { nextRetryDelayMs, retryDelayMs, validateRetryPolicy, type RetryPolicy } from "./retry.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

describe("retryDelayMs", () => {
  it("uses the first interval for the first retry and a coefficient of 1 by default", () => {
    const policy = { firstRetryIntervalMs: 1500, maxAttempts: 5 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([1500, 1500, 1500, 1500]);
  });

  it("multiplies by the backoff coefficient after each retry", () => {
    const policy = { firstRetryIntervalMs: 1000, maxAttempts: 10, backoffCoefficient: 2 };
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(policy, n))).toEqual([1000, 2000, 4000, 8000, 16_000]);
    const gentle = { firstRetryIntervalMs: 100, maxAttempts: 10, backoffCoefficient: 1.5 };
    expect([1, 2, 3].map((n) => retryDelayMs(gentle, n))).toEqual([100, 150, 225]);
  });

  it("caps each delay at maxRetryIntervalMs", () => {
    const policy = { firstRetryIntervalMs: 1000, maxAttempts: 10, backoffCoefficient: 3, maxRetryIntervalMs: 5000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([1000, 3000, 5000, 5000]);
  });
});

describe("nextRetryDelayMs", () => {
  const policy: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 3, backoffCoefficient: 2 };

  it("gives the delay before the next attempt until maxAttempts attempts were made", () => {
    expect(nextRetryDelayMs(policy, 1, 0)).toBe(1000);
    expect(nextRetryDelayMs(policy, 2, 0)).toBe(2000);
    expect(nextRetryDelayMs(policy, 3, 0)).toBeUndefined();
    expect(nextRetryDelayMs(policy, 4, 0)).toBeUndefined();
  });

  it("allows no retry with maxAttempts 1", () => {
    expect(nextRetryDelayMs({ firstRetryIntervalMs: 1000, maxAttempts: 1 }, 1, 0)).toBeUndefined();
  });

  it("starts no retry later than retryTimeoutMs after the first attempt", () => {
    const timed = { ...policy, maxAttempts: 10, retryTimeoutMs: 10_000 };
    expect(nextRetryDelayMs(timed, 1, 8_999)).toBe(1000);
    expect(nextRetryDelayMs(timed, 1, 9_000)).toBe(1000); // starts exactly at the limit
    expect(nextRetryDelayMs(timed, 1, 9_001)).toBeUndefined();
    // The third retry waits 4 s: it may start from 6 s after the first attempt, not later.
    expect(nextRetryDelayMs(timed, 3, 6_000)).toBe(4000);
    expect(nextRetryDelayMs(timed, 3, 6_001)).toBeUndefined();
  });
});

describe("validateRetryPolicy", () => {
  const good: RetryPolicy = { firstRetryIntervalMs: 1000, maxAttempts: 3 };
  const bad = (policy: unknown): string => {
    try {
      validateRetryPolicy(policy as RetryPolicy);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return (error as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(policy)}`);
  };

  it("accepts complete and minimal policies, and infinite caps", () => {
    expect(() => validateRetryPolicy(good)).not.toThrow();
    const full = {
      ...good,
      backoffCoefficient: 1.5,
      maxRetryIntervalMs: Number.POSITIVE_INFINITY,
      retryTimeoutMs: Number.POSITIVE_INFINITY,
      handle: () => true,
    };
    expect(() => validateRetryPolicy(full)).not.toThrow();
  });

  it("refuses a policy that is not an object", () => {
    expect(bad(null)).toContain("Retry options must be an object; received null");
    expect(bad(5)).toContain("received 5");
  });

  it.each([
    ["firstRetryIntervalMs", { maxAttempts: 3 }, "undefined"],
    ["firstRetryIntervalMs", { ...good, firstRetryIntervalMs: 0 }, "greater than 0; received 0"],
    ["firstRetryIntervalMs", { ...good, firstRetryIntervalMs: -5 }, "received -5"],
    ["firstRetryIntervalMs", { ...good, firstRetryIntervalMs: Number.NaN }, "received NaN"],
    ["firstRetryIntervalMs", { ...good, firstRetryIntervalMs: Number.POSITIVE_INFINITY }, "finite; received Infinity"],
    ["firstRetryIntervalMs", { ...good, firstRetryIntervalMs: "1000" }, "received 1000"],
    ["maxAttempts", { ...good, maxAttempts: 0 }, "≥ 1 and finite; received 0"],
    ["maxAttempts", { ...good, maxAttempts: 2.5 }, "must be an integer; received 2.5"],
    ["maxAttempts", { ...good, maxAttempts: Number.POSITIVE_INFINITY }, "received Infinity"],
    ["backoffCoefficient", { ...good, backoffCoefficient: 0.5 }, "≥ 1 and finite; received 0.5"],
    ["maxRetryIntervalMs", { ...good, maxRetryIntervalMs: -1 }, "≥ 0; received -1"],
    ["retryTimeoutMs", { ...good, retryTimeoutMs: -1 }, "≥ 0; received -1"],
    ["handle", { ...good, handle: "yes" }, "must be a function; received string"],
  ])("names the bad option %s", (option, policy, detail) => {
    const message = bad(policy);
    expect(message).toContain(`Retry option '${option}'`);
    expect(message).toContain(detail);
  });
});

const failure = (errorType = "Error", errorMessage = "boom") => ({ errorType, errorMessage });
const scheduled = (history: readonly HistoryEvent[]) =>
  history.filter((e) => e.type === "TaskScheduled").map((e) => [e.eventId, (e as { name: string }).name]);

describe("durable retries of activities", () => {
  const app = createApp();
  const charge = app.activity("Charge", async (amount: number) => `charged ${amount}`);
  const policy = { firstRetryIntervalMs: 1000, maxAttempts: 3, backoffCoefficient: 2 };
  let caught: unknown;
  app.orchestration("Pay", function* (ctx, options: { retry: RetryPolicy }) {
    try {
      return yield* ctx.callActivity(charge, 42, { retry: options.retry });
    } catch (error) {
      caught = error;
      return `gave up after ${(error as TaskFailedError).taskId}`;
    }
  });
  const start = (retry: RetryPolicy, mode: "warm" | "cold" = "warm") => {
    const sim = new Simulator(app, "Pay", mode);
    caught = undefined;
    return { sim, first: sim.start({ retry: { ...retry, handle: undefined } }) };
  };

  it.each(["warm", "cold"] as const)(
    "waits on a timer after a failure, then schedules a new attempt under a new sequence number (%s)",
    (mode) => {
      const { sim, first } = start(policy, mode);
      expect(first.actions).toEqual([{ type: "ScheduleTask", id: 0, name: "Charge", input: "42" }]);
      sim.h.advance(5000);
      let r = sim.deliver(sim.h.taskFailed(0, failure()));
      expect(r.status).toBe("Running");
      expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: at(6000) }]);
      sim.h.advance(1000);
      r = sim.deliver(sim.h.timerFired(1, sim.h.now));
      expect(r.actions).toEqual([{ type: "ScheduleTask", id: 2, name: "Charge", input: "42" }]);
      sim.h.advance(500);
      r = sim.deliver(sim.h.taskFailed(2, failure()));
      expect(r.actions).toEqual([{ type: "CreateTimer", id: 3, fireAt: at(6500 + 2000) }]);
      sim.h.advance(2000);
      r = sim.deliver(sim.h.timerFired(3, sim.h.now));
      expect(r.actions).toEqual([{ type: "ScheduleTask", id: 4, name: "Charge", input: "42" }]);
      r = sim.deliver(sim.h.taskCompleted(4, "charged 42"));
      expect(r.status).toBe("Completed");
      expect(value(r.output)).toBe("charged 42");
      expect(scheduled(sim.history)).toEqual([
        [0, "Charge"],
        [2, "Charge"],
        [4, "Charge"],
      ]);
      expect(sim.history.filter((e) => e.type === "TimerCreated").map((e) => [e.eventId, (e as { fireAt: string }).fireAt])).toEqual([
        [1, at(6000)],
        [3, at(8500)],
      ]);
    },
  );

  it("raises the last attempt's TaskFailedError at the yield once maxAttempts are used", () => {
    const { sim } = start({ firstRetryIntervalMs: 1000, maxAttempts: 2 });
    sim.deliver(sim.h.taskFailed(0, failure("IOError", "first")));
    sim.h.advance(1000);
    sim.deliver(sim.h.timerFired(1, sim.h.now));
    const r = sim.deliver(sim.h.taskFailed(2, failure("IOError", "second")));
    expect(r.actions).toEqual([{ type: "CompleteOrchestration", status: "Completed", result: '"gave up after 2"' }]);
    expect(caught).toBeInstanceOf(TaskFailedError);
    expect((caught as TaskFailedError).details).toEqual(failure("IOError", "second"));
    expect((caught as TaskFailedError).message).toBe("Activity 'Charge' failed: IOError: second");
    expect(scheduled(sim.history)).toEqual([
      [0, "Charge"],
      [2, "Charge"],
    ]);
  });

  it("does not retry a failure marked non-retriable, as a NonRetriableError thrown by an activity records it", () => {
    const { sim } = start(policy);
    const details = toFailureDetails(new NonRetriableError("card declined"));
    expect(details.isNonRetriable).toBe(true);
    const r = sim.deliver(sim.h.taskFailed(0, details));
    expect(r.actions).toEqual([{ type: "CompleteOrchestration", status: "Completed", result: '"gave up after 0"' }]);
    expect((caught as TaskFailedError).details.errorType).toBe("NonRetriableError");
  });

  it("stops when the handle predicate returns false, and asks it with the attempt's error", () => {
    const seen: string[] = [];
    const handle = (error: TaskFailedError) => {
      seen.push(`${error.taskId}:${error.details.errorType}`);
      return error.details.errorType !== "Fatal";
    };
    const app2 = createApp();
    app2.orchestration("Handled", function* (ctx) {
      return yield* ctx.callActivity("Work", undefined, { retry: { ...policy, maxAttempts: 5, handle } });
    });
    const sim = new Simulator(app2, "Handled");
    sim.start();
    let r = sim.deliver(sim.h.taskFailed(0, failure("Transient")));
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: at(1000) }]);
    sim.h.advance(1000);
    sim.deliver(sim.h.timerFired(1, sim.h.now));
    r = sim.deliver(sim.h.taskFailed(2, failure("Fatal", "no way")));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.innerFailure).toEqual(failure("Fatal", "no way"));
    expect(seen).toEqual(["0:Transient", "2:Fatal"]);
  });

  it("fails the call with the predicate's own error when the predicate throws", () => {
    const app2 = createApp();
    app2.orchestration("BadHandle", function* (ctx) {
      const handle = (): boolean => {
        throw new RangeError("predicate broke");
      };
      return yield* ctx.callActivity("Work", undefined, { retry: { ...policy, handle } });
    });
    const sim = new Simulator(app2, "BadHandle");
    sim.start();
    const r = sim.deliver(sim.h.taskFailed(0, failure()));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails).toMatchObject({ errorType: "RangeError", errorMessage: "predicate broke" });
  });

  it("starts no retry past retryTimeoutMs, counted from the call", () => {
    const { sim } = start({ firstRetryIntervalMs: 1000, maxAttempts: 10, retryTimeoutMs: 10_000 });
    sim.h.advance(2000);
    let r = sim.deliver(sim.h.taskFailed(0, failure()));
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: at(3000) }]);
    sim.h.advance(1000);
    r = sim.deliver(sim.h.timerFired(1, sim.h.now));
    expect(r.actions).toEqual([{ type: "ScheduleTask", id: 2, name: "Charge", input: "42" }]);
    sim.h.advance(6500); // now 9.5 s after the call: a 1 s delay would start the next attempt at 10.5 s
    r = sim.deliver(sim.h.taskFailed(2, failure()));
    expect(r.actions).toEqual([{ type: "CompleteOrchestration", status: "Completed", result: '"gave up after 2"' }]);
  });

  it("refuses a bad policy at the call, where the code can catch it", () => {
    const app2 = createApp();
    app2.orchestration("BadPolicy", function* (ctx) {
      try {
        ctx.callActivity("Work", undefined, { retry: { firstRetryIntervalMs: 0, maxAttempts: 2 } });
      } catch (error) {
        return (error as Error).name;
      }
    });
    const r = new Simulator(app2, "BadPolicy").start();
    expect(value(r.output)).toBe("InvalidArgumentError");
    expect(r.actions).toHaveLength(1);
  });
});

describe("durable retries of sub-orchestrations", () => {
  const app = createApp();
  const child = app.orchestration("Child", function* (_ctx, n: number) {
    return n + 1;
  });
  app.orchestration("Parent", function* (ctx) {
    return yield* ctx.callSubOrchestrator(child, 1, { retry: { firstRetryIntervalMs: 30_000, maxAttempts: 3 } });
  });

  it.each(["warm", "cold"] as const)("gives each attempt a new default child id (%s)", (mode) => {
    const sim = new Simulator(app, "Parent", mode, "parent-1");
    let r = sim.start();
    expect(r.actions).toEqual([{ type: "CreateSubOrchestration", id: 0, name: "Child", instanceId: "parent-1:0", input: "1" }]);
    sim.h.advance(1000);
    r = sim.deliver(sim.h.subOrchestrationFailed(0, failure()));
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 1, fireAt: at(31_000) }]);
    sim.h.advance(30_000);
    r = sim.deliver(sim.h.timerFired(1, sim.h.now));
    expect(r.actions).toEqual([{ type: "CreateSubOrchestration", id: 2, name: "Child", instanceId: "parent-1:2", input: "1" }]);
    r = sim.deliver(sim.h.subOrchestrationFailed(2, failure()));
    expect(r.actions).toEqual([{ type: "CreateTimer", id: 3, fireAt: at(61_000) }]);
    sim.h.advance(30_000);
    r = sim.deliver(sim.h.timerFired(3, sim.h.now));
    expect(r.actions).toEqual([{ type: "CreateSubOrchestration", id: 4, name: "Child", instanceId: "parent-1:4", input: "1" }]);
    r = sim.deliver(sim.h.subOrchestrationCompleted(4, 2));
    expect(value(r.output)).toBe(2);
    const created = sim.history.filter((e) => e.type === "SubOrchestrationInstanceCreated");
    expect(created.map((e) => [e.eventId, (e as { instanceId: string }).instanceId])).toEqual([
      [0, "parent-1:0"],
      [2, "parent-1:2"],
      [4, "parent-1:4"],
    ]);
  });

  it("fails with the last attempt's failure, naming the child instance, once attempts run out", () => {
    const sim = new Simulator(app, "Parent", "warm", "parent-2");
    sim.start();
    for (const id of [0, 2]) {
      sim.deliver(sim.h.subOrchestrationFailed(id, failure("Error", `attempt ${id}`)));
      sim.h.advance(30_000);
      sim.deliver(sim.h.timerFired(id + 1, sim.h.now));
    }
    const r = sim.deliver(sim.h.subOrchestrationFailed(4, failure("Error", "attempt 4")));
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorMessage).toBe("Sub-orchestration 'Child' (instance 'parent-2:4') failed: Error: attempt 4");
  });
});

describe("retry delays never outgrow a Date", () => {
  it("caps exponential backoff without a max interval at MAX_RETRY_DELAY_MS", async () => {
    const { retryDelayMs: delay, MAX_RETRY_DELAY_MS } = await import("./retry.js");
    const policy = { firstRetryIntervalMs: 1000, backoffCoefficient: 10, maxAttempts: 30 };
    expect(delay(policy, 29)).toBe(MAX_RETRY_DELAY_MS);
    expect(Number.isFinite(new Date(Date.parse("2026-01-01T00:00:00Z") + delay(policy, 29)).getTime())).toBe(true);
  });
});

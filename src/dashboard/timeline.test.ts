import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "./api-types.js";
import { buildTimeline, countByKind, type TimelineRow } from "./timeline.js";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** One event at `ms` after T0; eventId -1 unless given. */
function ev(type: string, ms: number, fields: Record<string, unknown> = {}): HistoryEvent {
  return { type, eventId: -1, timestamp: at(ms), ...fields };
}
const episode = (ms: number) => ev("OrchestratorStarted", ms);
const started = (ms: number) => ev("ExecutionStarted", ms, { name: "Flow", instanceId: "i", executionId: "e" });
const scheduled = (id: number, ms: number, name = "Work") => ev("TaskScheduled", ms, { eventId: id, name });
const completed = (id: number, ms: number) => ev("TaskCompleted", ms, { taskScheduledId: id, result: 1 });
const failed = (id: number, ms: number) =>
  ev("TaskFailed", ms, { taskScheduledId: id, failureDetails: { errorType: "Error", errorMessage: "boom" } });
const timer = (id: number, ms: number, fireMs: number) => ev("TimerCreated", ms, { eventId: id, fireAt: at(fireMs) });
// As the runtime writes it: stamped when the timer was set, not when it fired.
const fired = (id: number, setMs: number, fireMs: number) => ev("TimerFired", setMs, { timerId: id, fireAt: at(fireMs) });
const done = (ms: number, status = "Completed") => ev("ExecutionCompleted", ms, { status });

const pick = (rows: readonly TimelineRow[]) => rows.map((r) => [r.kind, r.label, r.state, r.start - T0, r.end - T0, r.attempt]);

describe("buildTimeline", () => {
  it("draws one bar per activity and timer, from schedule to answer", () => {
    const history = [episode(0), started(0), scheduled(0, 0), episode(40), completed(0, 40), timer(1, 40, 100), episode(101), fired(1, 40, 100), done(101)];
    const timeline = buildTimeline(history, { now: T0 + 5000, status: "Completed" });
    expect(timeline.start - T0).toBe(0);
    expect(timeline.end - T0).toBe(101);
    expect(pick(timeline.rows)).toEqual([
      ["activity", "Work", "completed", 0, 40, 1],
      ["timer", "timer", "completed", 40, 101, 1],
    ]);
  });

  it("counts each attempt of a retried call as a row of its own, and marks the delays between them", () => {
    // As a retry policy writes it: failure and delay in one episode, the next attempt where the delay fired.
    const history = [
      episode(0), started(0), scheduled(0, 0, "Flaky"),
      episode(10), failed(0, 10), timer(1, 10, 60),
      episode(61), fired(1, 10, 60), scheduled(2, 61, "Flaky"),
      episode(70), failed(2, 70), timer(3, 70, 120),
      episode(121), fired(3, 70, 120), scheduled(4, 121, "Flaky"),
      episode(130), completed(4, 130), done(130),
    ];
    const { rows } = buildTimeline(history, { now: T0 + 1000, status: "Completed" });
    const attempts = rows.filter((r) => r.kind === "activity");
    expect(attempts.map((r) => [r.attempt, r.state])).toEqual([[1, "failed"], [2, "failed"], [3, "completed"]]);
    const delays = rows.filter((r) => r.kind === "timer");
    expect(delays.map((r) => [r.retryDelay, r.start - T0, r.end - T0])).toEqual([[true, 10, 61], [true, 70, 121]]);
    expect(delays[0]!.detail).toBe("retry delay after attempt 1 of Flaky");
    expect(countByKind(rows)).toEqual({ activity: 3, suborchestration: 0, timer: 2, event: 0, entity: 0 });
  });

  it("does not take a user's timer after a failure for a retry when no call of that name follows", () => {
    const history = [
      episode(0), started(0), scheduled(0, 0, "A"),
      episode(10), failed(0, 10), timer(1, 10, 50),
      episode(51), fired(1, 10, 50), scheduled(2, 51, "B"),
    ];
    const { rows } = buildTimeline(history, { now: T0 + 60, status: "Running" });
    expect(rows.map((r) => [r.label, r.attempt, r.retryDelay])).toEqual([["A", 1, false], ["timer", 1, false], ["B", 1, false]]);
  });

  it("grows running bars to now, and keeps a timer before its time waiting", () => {
    const history = [episode(0), started(0), scheduled(0, 0), timer(1, 0, 10_000)];
    const { rows, end } = buildTimeline(history, { now: T0 + 3000, status: "Running" });
    expect(end - T0).toBe(3000);
    expect(pick(rows)).toEqual([
      ["activity", "Work", "running", 0, 3000, 1],
      ["timer", "timer", "waiting", 0, 3000, 1],
    ]);
    expect(rows[1]!.plannedEnd! - T0).toBe(10_000);
    const later = buildTimeline(history, { now: T0 + 4000, status: "Running" });
    expect(later.rows[0]!.end - T0).toBe(4000);
  });

  it("ends open rows with the execution of a finished instance, and calls a timer that never fired not fired", () => {
    const history = [episode(0), started(0), scheduled(0, 0), timer(1, 0, 10_000), episode(500), ev("ExecutionTerminated", 490), done(500, "Terminated")];
    const { rows } = buildTimeline(history, { now: T0 + 60_000, status: "Terminated" });
    expect(pick(rows)).toEqual([
      ["activity", "Work", "unfinished", 0, 500, 1],
      ["timer", "timer", "not-fired", 0, 500, 1],
    ]);
  });

  it("draws an external event from when the orchestration went idle to when it came, and a busy arrival as a point", () => {
    const history = [
      episode(0), started(0), scheduled(0, 0),
      episode(100), completed(0, 100),
      episode(900), ev("EventRaised", 899, { name: "approval", input: true }),
      // Raised at 880, while the episode of 900 ran: it waited in the inbox, the orchestration did not wait for it.
      episode(950), ev("EventRaised", 880, { name: "early" }),
    ];
    const { rows } = buildTimeline(history, { now: T0 + 1000, status: "Running" });
    const events = rows.filter((r) => r.kind === "event");
    expect(events.map((r) => [r.label, r.start - T0, r.end - T0, r.state])).toEqual([
      ["approval", 100, 899, "completed"],
      ["early", 880, 880, "completed"],
      ["waiting", 950, 1000, "running"],
    ]);
  });

  it("draws sub-orchestrations with their child id, entity calls and lock requests", () => {
    const history = [
      episode(0), started(0),
      ev("SubOrchestrationInstanceCreated", 0, { eventId: 0, name: "Child", instanceId: "i:0" }),
      ev("EntityOperationCalled", 0, { eventId: 1, requestId: "r1", operation: "add", targetInstanceId: "@counter@a", parentInstanceId: "i" }),
      ev("EntityLockRequested", 0, { eventId: 2, criticalSectionId: "cs", lockSet: ["@counter@a"], position: 0, parentInstanceId: "i" }),
      episode(20), ev("EntityOperationCompleted", 20, { requestId: "r1", output: 1 }), ev("EntityLockGranted", 20, { criticalSectionId: "cs" }),
      episode(30), ev("SubOrchestrationInstanceFailed", 30, { taskScheduledId: 0, failureDetails: { errorType: "E", errorMessage: "m" } }),
      done(31, "Failed"),
    ];
    const { rows } = buildTimeline(history, { now: T0 + 99, status: "Failed" });
    expect(rows.map((r) => [r.kind, r.label, r.state, r.instanceId])).toEqual([
      ["suborchestration", "Child", "failed", "i:0"],
      ["entity", "add", "completed", "@counter@a"],
      ["entity", "lock", "completed", undefined],
    ]);
    expect(rows[0]!.detail).toBe("instance i:0");
  });

  it("has no rows for an instance that has not started", () => {
    expect(buildTimeline([], { now: T0, status: "Pending" })).toEqual({ start: T0, end: T0, rows: [] });
  });
});

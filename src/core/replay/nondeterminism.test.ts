/**
 * Invariant 4 of DESIGN.md: replaying a history gives exactly the recorded actions, or fails the
 * instance with a NonDeterminismError naming the instance, the position, the recorded action and
 * the new one. One test per way the code and its history can disagree.
 */
import { describe, expect, it } from "vitest";
import { createApp, type App } from "../../sdk/app.js";
import { HistoryBuilder } from "../../testing/history-builder.js";
import { replay, value } from "../../../test/helpers/simulator.js";
import { ErrorCode, NonDeterminismError, PerdureError } from "../errors.js";
import type { HistoryEvent } from "../history.js";
import type { ExecutionResult } from "./executor.js";

const INSTANCE = "order-42";
const T0 = new Date("2026-01-01T00:00:00.000Z");

/** An app with one orchestration, and a builder for its instance. */
function setup(name: string, fn: Parameters<App["orchestration"]>[1]): { app: App; h: HistoryBuilder } {
  const app = createApp();
  app.orchestration(name, fn);
  return { app, h: new HistoryBuilder(INSTANCE, T0) };
}

/** Asserts the episode failed the instance with a NonDeterminismError carrying these facts. */
function expectNonDeterminism(
  r: ExecutionResult,
  facts: { position: number; recorded: string; produced: string },
): void {
  expect(r.status).toBe("Failed");
  expect(r.failureDetails?.errorType).toBe("NonDeterminismError");
  const message = r.failureDetails?.errorMessage ?? "";
  expect(message).toContain(`instance '${INSTANCE}'`);
  expect(message).toContain(`at position ${facts.position} `);
  expect(message).toContain(`the history records ${facts.recorded}`);
  expect(message).toContain(`the code now produces ${facts.produced}`);
  // The instance ends: the failure is the only action, and it is recorded.
  expect(r.actions).toEqual([
    { type: "CompleteOrchestration", status: "Failed", result: undefined, failureDetails: r.failureDetails },
  ]);
  expect(r.newHistory.at(-1)).toMatchObject({ type: "ExecutionCompleted", status: "Failed" });
}

/** The first episode of a history: OrchestratorStarted, ExecutionStarted, then the echoes. */
function started(h: HistoryBuilder, name: string, ...echoes: HistoryEvent[]): HistoryEvent[] {
  return [h.orchestratorStarted(), h.executionStarted(name), ...echoes, h.orchestratorCompleted()];
}

describe("nondeterminism: a recorded action the code no longer produces", () => {
  it("(a) fails when history scheduled 'X' at a position where the code now produces nothing", () => {
    const { app, h } = setup("WaitsNow", function* (ctx) {
      yield* ctx.callActivity("A");
      // Formerly: yield* ctx.callActivity("X");
      return yield* ctx.waitForExternalEvent("Go");
    });
    const past = [
      ...started(h, "WaitsNow", h.taskScheduled(0, "A")),
      h.advance(1000).orchestratorStarted(),
      h.taskCompleted(0, 1),
      h.taskScheduled(1, "X"),
    ];
    expectNonDeterminism(replay(app, "WaitsNow", past), { position: 1, recorded: "ScheduleTask 'X'", produced: "nothing" });
  });

  it("(i) fails when the code completes early while history recorded further actions", () => {
    const { app, h } = setup("ShortNow", function* (ctx) {
      return yield* ctx.callActivity("A");
    });
    const past = [
      ...started(h, "ShortNow", h.taskScheduled(0, "A")),
      h.advance(1000).orchestratorStarted(),
      h.taskCompleted(0, 1),
      h.taskScheduled(1, "B"),
      h.eventSent(2, "audit-1", "Done"),
      h.orchestratorCompleted(),
      h.advance(1000).orchestratorStarted(),
      h.taskCompleted(1, 2),
      h.executionCompleted("Completed", 2),
    ];
    const r = replay(app, "ShortNow", past);
    expectNonDeterminism(r, { position: 1, recorded: "ScheduleTask 'B'", produced: "nothing" });
    // The recorded completion does not hide the divergence that came before it.
    expect(value(r.output)).toBeUndefined();
  });
});

describe("nondeterminism: the code produces a different action at a recorded position", () => {
  it("(b) fails when history scheduled a task where the code now creates a timer", () => {
    const { app, h } = setup("TimerNow", function* (ctx) {
      yield* ctx.createTimer(5000);
    });
    const past = started(h, "TimerNow", h.taskScheduled(0, "Process"));
    expectNonDeterminism(replay(app, "TimerNow", past), {
      position: 0,
      recorded: "ScheduleTask 'Process'",
      produced: "CreateTimer (fire at 2026-01-01T00:00:05.000Z)",
    });
  });

  it("(c) fails when the same kind of action now has another name", () => {
    const { app, h } = setup("Renamed", function* (ctx) {
      const rows = yield* ctx.callActivity("Download");
      return yield* ctx.callActivity("Summarise", rows);
    });
    const past = [
      ...started(h, "Renamed", h.taskScheduled(0, "Download")),
      h.advance(1000).orchestratorStarted(),
      h.taskCompleted(0, [1, 2]),
      h.taskScheduled(1, "Summarize", [1, 2]),
    ];
    expectNonDeterminism(replay(app, "Renamed", past), {
      position: 1,
      recorded: "ScheduleTask 'Summarize'",
      produced: "ScheduleTask 'Summarise'",
    });
  });

  it("(d) fails when a sub-orchestration call now names another orchestration", () => {
    const { app, h } = setup("Parent", function* (ctx) {
      return yield* ctx.callSubOrchestrator("ChildV2", 1);
    });
    const past = started(h, "Parent", h.subOrchestrationCreated(0, "Child", `${INSTANCE}:0`, 1));
    expectNonDeterminism(replay(app, "Parent", past), {
      position: 0,
      recorded: "CreateSubOrchestration 'Child'",
      produced: "CreateSubOrchestration 'ChildV2'",
    });
  });

  it("(e) fails when an event is now sent under another name", () => {
    const { app, h } = setup("Notifier", function* (ctx) {
      ctx.sendEvent("shop-1", "OrderShipped", { id: 1 });
      yield* ctx.createTimer(1000);
    });
    const past = started(h, "Notifier", h.eventSent(0, "shop-1", "OrderPlaced", { id: 1 }), h.timerCreated(1, new Date(T0.getTime() + 1000)));
    expectNonDeterminism(replay(app, "Notifier", past), {
      position: 0,
      recorded: "SendEvent 'OrderPlaced' to 'shop-1'",
      produced: "SendEvent 'OrderShipped' to 'shop-1'",
    });
  });

  it("(f) fails when history created a timer where the code now schedules an activity", () => {
    const { app, h } = setup("ActivityNow", function* (ctx) {
      yield* ctx.callActivity("Poll");
    });
    const past = started(h, "ActivityNow", h.timerCreated(0, new Date("2026-01-01T01:00:00.000Z")));
    expectNonDeterminism(replay(app, "ActivityNow", past), {
      position: 0,
      recorded: "CreateTimer (fire at 2026-01-01T01:00:00.000Z)",
      produced: "ScheduleTask 'Poll'",
    });
  });
});

describe("nondeterminism: a completion that answers no call of the code", () => {
  it("(g) fails on a TaskCompleted for a task id the code never created", () => {
    const { app, h } = setup("OneCall", function* (ctx) {
      return yield* ctx.callActivity("A");
    });
    const past = [...started(h, "OneCall", h.taskScheduled(0, "A")), h.advance(1000).orchestratorStarted(), h.taskCompleted(7, "?")];
    expectNonDeterminism(replay(app, "OneCall", past), { position: 7, recorded: "TaskCompleted answering call 7", produced: "nothing" });
  });

  it("(g) fails the same way when the stray completion arrives as a new event", () => {
    const { app, h } = setup("OneCall", function* (ctx) {
      return yield* ctx.callActivity("A");
    });
    const past = started(h, "OneCall", h.taskScheduled(0, "A"));
    const r = replay(app, "OneCall", past, [h.advance(1000).orchestratorStarted(), h.taskFailed(3, { errorMessage: "x" })]);
    expectNonDeterminism(r, { position: 3, recorded: "TaskFailed answering call 3", produced: "nothing" });
  });

  it("(h) fails on a TaskCompleted answering a timer's id", () => {
    const { app, h } = setup("Sleeper", function* (ctx) {
      yield* ctx.createTimer(60_000);
    });
    const past = [
      ...started(h, "Sleeper", h.timerCreated(0, new Date("2026-01-01T00:01:00.000Z"))),
      h.advance(60_000).orchestratorStarted(),
      h.taskCompleted(0, "not a timer"),
    ];
    expectNonDeterminism(replay(app, "Sleeper", past), {
      position: 0,
      recorded: "TaskCompleted answering call 0",
      produced: "CreateTimer (fire at 2026-01-01T00:01:00.000Z)",
    });
  });

  it("(h) fails on a TimerFired answering an activity's id", () => {
    const { app, h } = setup("Worker", function* (ctx) {
      yield* ctx.callActivity("Work");
    });
    const past = [...started(h, "Worker", h.taskScheduled(0, "Work")), h.advance(1000).orchestratorStarted(), h.timerFired(0, h.now)];
    expectNonDeterminism(replay(app, "Worker", past), {
      position: 0,
      recorded: "TimerFired answering call 0",
      produced: "ScheduleTask 'Work'",
    });
  });

  it("(h) fails on a sub-orchestration completion answering an activity's id", () => {
    const { app, h } = setup("Worker2", function* (ctx) {
      yield* ctx.callActivity("Work");
    });
    const past = started(h, "Worker2", h.taskScheduled(0, "Work"));
    const r = replay(app, "Worker2", past, [h.advance(1000).orchestratorStarted(), h.subOrchestrationCompleted(0, 1)]);
    expectNonDeterminism(r, {
      position: 0,
      recorded: "SubOrchestrationInstanceCompleted answering call 0",
      produced: "ScheduleTask 'Work'",
    });
  });
});

describe("what replay does not compare", () => {
  const { app, h } = setup("Tolerant", function* (ctx) {
    const rows = yield* ctx.callActivity("Download", { day: "2026-01-02" });
    const child = yield* ctx.callSubOrchestrator("Child", rows);
    ctx.sendEvent("watcher", "Finished", child);
    return child;
  });
  const history = (names: { download: string; child: string; event: string }, input: unknown): HistoryEvent[] => [
    ...started(h, "Tolerant", h.taskScheduled(0, names.download, input)),
    h.orchestratorStarted(),
    h.taskCompleted(0, [1]),
    h.subOrchestrationCreated(1, names.child, `${INSTANCE}:1`, [1]),
    h.orchestratorCompleted(),
    h.orchestratorStarted(),
    h.subOrchestrationCompleted(1, "ok"),
    h.eventSent(2, "watcher", names.event, "ok"),
    h.executionCompleted("Completed", "ok"),
  ];

  it("compares names case-insensitively", () => {
    const r = replay(app, "Tolerant", history({ download: "DOWNLOAD", child: "child", event: "finished" }, { day: "2026-01-02" }));
    expect(r.status).toBe("Completed");
    expect(value(r.output)).toBe("ok");
    expect(r.actions).toEqual([]);
  });

  it("does not compare inputs", () => {
    const r = replay(app, "Tolerant", history({ download: "Download", child: "Child", event: "Finished" }, { day: "1999-12-31" }));
    expect(r.status).toBe("Completed");
    expect(r.actions).toEqual([]);
  });

  it("replays a running instance to the same point without new actions", () => {
    const past = history({ download: "download", child: "Child", event: "Finished" }, "other input").slice(0, 8);
    const r = replay(app, "Tolerant", past);
    expect(r.status).toBe("Running");
    expect(r.actions).toEqual([]);
    expect(r.newHistory).toEqual([]);
  });
});

describe("NonDeterminismError", () => {
  const info = {
    instanceId: "inst-9",
    orchestrationName: "Pipeline",
    position: 3,
    recorded: "ScheduleTask 'Process'",
    produced: "CreateTimer (fire at 2026-01-01T00:00:05.000Z)",
  };

  it("carries the facts as `info` and a stable code", () => {
    const error = new NonDeterminismError(info);
    expect(error).toBeInstanceOf(PerdureError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("NonDeterminismError");
    expect(error.code).toBe("NON_DETERMINISM");
    expect(error.code).toBe(ErrorCode.NonDeterminism);
    expect(error.info).toEqual(info);
  });

  it("states the instance, the position, both actions and what to check", () => {
    const { message } = new NonDeterminismError(info);
    expect(message).toContain("orchestration 'Pipeline' (instance 'inst-9')");
    expect(message).toContain("at position 3 the history records ScheduleTask 'Process', but the code now produces CreateTimer");
    expect(message).toContain("ctx.currentUtcDateTime");
    expect(message).toContain("new orchestration name or version");
  });
});

describe("nondeterminism found while replaying past events", () => {
  it("records the new episode's start and stamps the failure with its time", () => {
    const app = createApp();
    app.orchestration("Renamed", function* (ctx) {
      yield ctx.callActivity("NewName");
    });
    const h = new HistoryBuilder("nd-time");
    const past = [h.orchestratorStarted(), h.executionStarted("Renamed"), h.taskScheduled(0, "OldName")];
    h.advance(60_000);
    const started = h.orchestratorStarted();
    const r = replay(app, "Renamed", past, [started, h.taskCompleted(0, 1)]);
    expect(r.status).toBe("Failed");
    expect(r.newHistory.map((e) => e.type)).toEqual(["OrchestratorStarted", "ExecutionCompleted"]);
    expect(r.newHistory[1]!.timestamp).toBe(started.timestamp);
  });
});

import { describe, expect, it } from "vitest";
import { brief, duration, eventRows, failureText, utc } from "./format.js";

describe("format", () => {
  it("writes durations in the largest readable unit", () => {
    expect([850, 12_340, 245_000, 7_620_000, 273_600_000, -20].map(duration)).toEqual(["850ms", "12.3s", "4m05s", "2h07m", "3d04h", "-20ms"]);
  });

  it("writes times, JSON and failures on one line", () => {
    expect(utc("2026-11-28T12:00:01.234Z")).toBe("2026-11-28 12:00:01.234");
    expect(utc("2026-11-28T12:00:01Z", false)).toBe("2026-11-28 12:00:01");
    expect(brief({ a: "x".repeat(100) }, 20)).toBe('{"a":"xxxxxxxxxxxxx…');
    expect(brief("<img src=x>")).toBe('"<img src=x>"');
    expect(failureText({ errorType: "TaskFailedError", errorMessage: "outer", innerFailure: { errorType: "Error", errorMessage: "inner" } })).toBe(
      "TaskFailedError: outer ← Error: inner",
    );
  });
});

describe("eventRows", () => {
  it("gives the columns perdure history prints, pairing answers with their schedules", () => {
    const rows = eventRows([
      { type: "OrchestratorStarted", eventId: -1, timestamp: "2026-01-01T00:00:00.000Z" },
      { type: "ExecutionStarted", eventId: -1, timestamp: "2026-01-01T00:00:00.000Z", name: "Flow", parent: { instanceId: "p" } },
      { type: "TaskScheduled", eventId: 0, timestamp: "2026-01-01T00:00:00.010Z", name: "Work" },
      { type: "TaskFailed", eventId: -1, timestamp: "2026-01-01T00:00:00.250Z", taskScheduledId: 0, failureDetails: { errorType: "Error", errorMessage: "boom" } },
      { type: "TimerCreated", eventId: 1, timestamp: "2026-01-01T00:00:00.250Z", fireAt: "2026-01-01T00:00:01.000Z" },
      { type: "TimerFired", eventId: -1, timestamp: "2026-01-01T00:00:00.250Z", timerId: 1, fireAt: "2026-01-01T00:00:01.000Z" },
      { type: "EventRaised", eventId: -1, timestamp: "2026-01-01T00:00:02.000Z", name: "go", input: { ok: true } },
      { type: "ExecutionCompleted", eventId: -1, timestamp: "2026-01-01T00:00:02.000Z", status: "Completed", result: 42 },
    ]);
    expect(rows.map((r) => [r.time, r.sincePrevious, r.elapsed, r.type, r.details])).toEqual([
      ["2026-01-01 00:00:00.000", "+0ms", "0ms", "OrchestratorStarted", ""],
      ["2026-01-01 00:00:00.000", "+0ms", "0ms", "ExecutionStarted", "Flow, parent p"],
      ["2026-01-01 00:00:00.010", "+10ms", "10ms", "TaskScheduled", "Work"],
      ["2026-01-01 00:00:00.250", "+240ms", "250ms", "TaskFailed", "Work, took 240ms, Error: boom"],
      ["2026-01-01 00:00:00.250", "+0ms", "250ms", "TimerCreated", "fires at 2026-01-01 00:00:01.000"],
      ["2026-01-01 00:00:00.250", "+0ms", "250ms", "TimerFired", "fired for 2026-01-01 00:00:01.000"],
      ["2026-01-01 00:00:02.000", "+1.8s", "2.0s", "EventRaised", 'go, data {"ok":true}'],
      ["2026-01-01 00:00:02.000", "+0ms", "2.0s", "ExecutionCompleted", "Completed, → 42"],
    ]);
    expect(rows.map((r) => r.failed)).toEqual([false, false, false, true, false, false, false, false]);
  });
});

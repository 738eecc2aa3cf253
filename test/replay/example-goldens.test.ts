/**
 * Golden histories of every example (recorded by test/replay/examples/record.ts with the test
 * kit) replay against the examples' code with replayHistory; a reordered call, a renamed activity
 * and a changed input each fail at the right position, naming the recorded call and the new one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/core/history.js";
import { createApp, EventTimeoutError, NonDeterminismError, type App } from "../../src/index.js";
import { replayHistory, type ReplayFailure, type ReplayResult } from "../../src/testing/index.js";
import { EXAMPLES, type GoldenExample } from "./examples/examples.js";
import * as approval from "../../examples/approval.js";
import * as pipeline from "../../examples/pipeline.js";

const dir = fileURLToPath(new URL("./examples/", import.meta.url));
const goldens = readdirSync(dir)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as GoldenExample) }));

/** The action echoes a tampering can change: calls of activities, children, events and entities. */
const CALLS = new Set(["TaskScheduled", "SubOrchestrationInstanceCreated", "EventSent", "EntityOperationCalled", "EntityOperationSignaled"]);

function failure(result: ReplayResult): ReplayFailure & { error: NonDeterminismError } {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  const failed = result as ReplayFailure;
  expect(failed.reason).toBe("nondeterminism");
  expect(failed.error).toBeInstanceOf(NonDeterminismError);
  return failed as ReplayFailure & { error: NonDeterminismError };
}

function nameOf(event: HistoryEvent): string {
  return "operation" in event ? event.operation : (event as { name: string }).name;
}

function withName(event: HistoryEvent, name: string): HistoryEvent {
  return "operation" in event ? { ...event, operation: name } : ({ ...event, name } as HistoryEvent);
}

it("keeps a golden history of every example, in flight and finished", () => {
  expect(new Set(goldens.map((g) => g.example))).toEqual(new Set(Object.keys(EXAMPLES)));
  expect(goldens.some((g) => g.status === "Running")).toBe(true);
  expect(goldens.filter((g) => g.status === "Completed").length).toBeGreaterThanOrEqual(9);
});

describe.each(goldens)("golden $file", (golden) => {
  const app: App = EXAMPLES[golden.example].module.app;

  it("replays against the example's code", () => {
    const result = replayHistory(app, golden.history);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, orchestration: golden.orchestration, status: golden.status === "Running" ? "Running" : golden.status });
  });

  it("fails at the position of a renamed call or a changed input, naming both calls", () => {
    const calls = golden.history.filter((e) => CALLS.has(e.type));
    for (const recorded of calls) {
      const at = golden.history.indexOf(recorded);
      const renamed = failure(replayHistory(app, golden.history.map((e, i) => (i === at ? withName(e, `${nameOf(e)}Old`) : e))));
      expect(renamed.error.info).toMatchObject({
        position: recorded.eventId,
        recordedCall: { name: `${nameOf(recorded)}Old` },
        producedCall: { name: nameOf(recorded) },
      });
      expect(renamed.error.info.inputDiffers).toBeUndefined();
      const input = JSON.stringify({ changed: true });
      const changed = failure(replayHistory(app, golden.history.map((e, i) => (i === at ? ({ ...e, input } as HistoryEvent) : e))));
      expect(changed.error.info).toMatchObject({ position: recorded.eventId, inputDiffers: true, recordedCall: { input } });
      expect(changed.error.message).toContain(`with input ${input}`);
      // As a worker replays it (inputs not compared), the changed input is no divergence.
      expect(replayHistory(app, golden.history.map((e, i) => (i === at ? ({ ...e, input } as HistoryEvent) : e)), { compareInputs: false }).ok).toBe(true);
    }
  });
});

describe("the examples' code changed in place", () => {
  const [approved] = goldens.filter((g) => g.file === "approval-approved.json");
  const [retried] = goldens.filter((g) => g.file === "pipeline-retried.json");

  /** The pipeline with Summarize called before Process: a reordered call. */
  function reorderedPipeline(): App {
    const app = createApp();
    app.orchestration("Pipeline", function* (ctx, input: pipeline.PipelineInput) {
      const dataset = yield* ctx.callActivity(pipeline.downloadData, input, { retry: pipeline.DOWNLOAD_RETRY });
      const summary = yield* ctx.callActivity(pipeline.summarize, { day: input.day, rows: dataset.filter((r): r is pipeline.Sale => r !== null) });
      yield* ctx.callActivity(pipeline.processRows, { rows: dataset });
      return summary;
    });
    return app;
  }

  /** The approval with its first activity renamed, or called with another input. */
  function changedApproval(change: "rename" | "input"): App {
    const app = createApp();
    app.orchestration("ApprovalWorkflow", function* (ctx, req: approval.ApprovalRequest) {
      if (change === "rename") yield* ctx.callActivity("AskForApproval", req);
      else yield* ctx.callActivity(approval.requestApproval, { ...req, channel: "email" });
      try {
        const answer = yield* ctx.waitForExternalEvent<approval.Approval>("Approval", { timeoutMs: req.timeoutMs });
        return { outcome: answer.approved ? "approved" : "rejected", by: answer.by };
      } catch (error) {
        if (!(error instanceof EventTimeoutError)) throw error;
        return { outcome: "escalated" };
      }
    });
    return app;
  }

  it("a reordered call fails where the order changed", () => {
    // DownloadData failed once, was retried after a timer: Process was call 3.
    const { error } = failure(replayHistory(reorderedPipeline(), retried!.history));
    expect(error.info).toMatchObject({
      position: 3,
      recordedCall: { kind: "activity", name: "Process" },
      producedCall: { kind: "activity", name: "Summarize" },
    });
    expect(error.message).toContain("at position 3 the history records ScheduleTask 'Process', but the code now produces ScheduleTask 'Summarize'");
  });

  it("a renamed activity fails at its call, with both names", () => {
    const { error } = failure(replayHistory(changedApproval("rename"), approved!.history));
    expect(error.info).toMatchObject({
      position: 0,
      recordedCall: { kind: "activity", name: "RequestApproval" },
      producedCall: { kind: "activity", name: "AskForApproval" },
    });
  });

  it("a changed input fails at its call, saying the input differs", () => {
    const { error } = failure(replayHistory(changedApproval("input"), approved!.history));
    expect(error.info).toMatchObject({ position: 0, inputDiffers: true, recordedCall: { name: "RequestApproval" }, producedCall: { name: "RequestApproval" } });
    expect(error.info.producedCall?.input).toContain('"channel":"email"');
  });

  it("names a version the app no longer registers, and an orchestration it lacks", () => {
    const v2only = createApp();
    v2only.orchestration("ApprovalWorkflow", { version: "2" }, function* () {
      return "v2";
    });
    expect(replayHistory(v2only, approved!.history)).toMatchObject({ ok: false, reason: "unknown-version" });
    expect(replayHistory(createApp(), approved!.history)).toMatchObject({ ok: false, reason: "unknown-orchestration" });
  });

  it("reads the history as the CLI and the HTTP API print it, and as JSON text", () => {
    const parsed = approved!.history.map((e) => {
      const out: Record<string, unknown> = { ...e };
      for (const key of ["input", "result"]) if (typeof out[key] === "string") out[key] = JSON.parse(out[key] as string);
      return out;
    });
    expect(replayHistory(approval.app, { events: parsed }).ok).toBe(true);
    expect(replayHistory(approval.app, JSON.stringify(approved!.history)).ok).toBe(true);
    expect(() => replayHistory(approval.app, [{ EventType: "ExecutionStarted" }])).toThrow(/Durable Functions status history/);
  });
});

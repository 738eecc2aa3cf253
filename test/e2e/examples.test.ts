import { afterEach, describe, expect, it } from "vitest";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import * as pipeline from "../../examples/pipeline.js";
import * as fanOut from "../../examples/fan-out.js";
import * as approval from "../../examples/approval.js";
import * as monitor from "../../examples/monitor.js";
import * as subs from "../../examples/sub-orchestrations.js";

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe("examples run end to end on the embedded store", () => {
  it("function chaining: the seed pipeline summarizes the day's sales", async () => {
    rt = startRuntime(pipeline.app);
    const id = await rt.client.startNew(pipeline.pipeline, { input: { day: "2026-11-28" } });
    const status = await rt.client.waitForCompletion<pipeline.Summary>(id, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toMatchObject({ day: "2026-11-28", rows: 196 });
    expect(status.customStatus).toEqual({ stage: "done" });
    const names = (await rt.client.getHistory(id)).flatMap((e) => (e.type === "TaskScheduled" ? [e.name] : []));
    expect(names).toEqual(["DownloadData", "Process", "Summarize"]);
  });

  it("function chaining: a failing step takes the clean-up path", async () => {
    rt = startRuntime(pipeline.app);
    const id = await rt.client.startNew(pipeline.pipeline, { input: { day: "2026-11-28", failProcessing: true } });
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe("Something went wrong");
    const names = (await rt.client.getHistory(id)).flatMap((e) => (e.type === "TaskScheduled" ? [e.name] : []));
    expect(names).toEqual(["DownloadData", "Process", "CleanUp"]);
  });

  it("fan-out/fan-in measures every file in parallel and adds up", async () => {
    rt = startRuntime(fanOut.app);
    const id = await rt.client.startNew(fanOut.fanOut, { input: 40 });
    const status = await rt.client.waitForCompletion<{ files: number; totalBytes: number }>(id, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output?.files).toBe(40);
    expect(status.output?.totalBytes).toBeGreaterThan(0);
  });

  it("human interaction: an approval event before the timeout pays", async () => {
    rt = startRuntime(approval.app);
    const id = await rt.client.startNew(approval.approvalWorkflow, { input: { amount: 10, requester: "sam", timeoutMs: 600_000 } });
    await waitUntil(async () => (await rt!.client.getStatus(id))?.customStatus === "waiting for approval", "the workflow waits");
    await rt.client.raiseEvent(id, "Approval", { approved: true, by: "ana" });
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.output).toEqual({ outcome: "approved", by: "ana", receipt: "paid 10" });
  });

  it("human interaction: no answer within the timeout escalates", async () => {
    rt = startRuntime(approval.app);
    const id = await rt.client.startNew(approval.approvalWorkflow, { input: { amount: 10, requester: "sam", timeoutMs: 300 } });
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.output).toEqual({ outcome: "escalated", note: "escalated 10 to a manager" });
  });

  it("monitor: polls with durable timers and continues as new until the job is done", async () => {
    rt = startRuntime(monitor.app);
    const id = await rt.client.startNew(monitor.monitor, { input: { jobId: "j1", intervalMs: 50, maxChecks: 10 } });
    const status = await rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status.output).toEqual({ jobId: "j1", checks: 3, status: "done" });
    // Each check ran in its own execution: the last one's history holds one check only.
    const scheduled = (await rt.client.getHistory(id)).filter((e) => e.type === "TaskScheduled");
    expect(scheduled.map((e) => (e as { name: string }).name)).toEqual(["CheckJob", "Notify"]);
  });

  it("sub-orchestrations: one child per region, gathered by the parent", async () => {
    rt = startRuntime(subs.app);
    const id = await rt.client.startNew(subs.globalReport, { input: ["north", "south", "east"], instanceId: "report-1" });
    const status = await rt.client.waitForCompletion<{ regions: number; total: number }>(id, { timeoutMs: 30_000 });
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output?.regions).toBe(3);
    const child = await rt.client.getStatus("report-1:north");
    expect(child?.runtimeStatus).toBe("Completed");
    expect(child?.parentInstanceId).toBe("report-1");
  });
});

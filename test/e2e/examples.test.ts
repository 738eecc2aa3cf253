/**
 * The examples, run with the test kit (perdure/testing): on a virtual clock, so the approval's
 * 72-hour timeout, the monitor's days between checks and the download's retries take no real
 * time, with activities mocked where a test needs them to fail.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createTestEnv, type TestEnv } from "../../src/testing/index.js";
import * as pipeline from "../../examples/pipeline.js";
import * as fanOut from "../../examples/fan-out.js";
import * as approval from "../../examples/approval.js";
import * as monitor from "../../examples/monitor.js";
import * as subs from "../../examples/sub-orchestrations.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("function chaining: the pipeline", () => {
  it("summarizes the day's sales", async () => {
    env = createTestEnv(pipeline.app);
    const id = await env.startNew(pipeline.pipeline, { input: { day: "2026-11-28" } });
    const status = await env.waitForCompletion<pipeline.Summary>(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toMatchObject({ day: "2026-11-28", rows: 196 });
    expect(status.customStatus).toEqual({ stage: "done" });
    expect(env.calls().map((c) => c.name)).toEqual(["DownloadData", "Process", "Summarize"]);
  });

  it("takes the clean-up path when a step fails", async () => {
    env = createTestEnv(pipeline.app);
    const id = await env.startNew(pipeline.pipeline, { input: { day: "2026-11-28", failProcessing: true } });
    const status = await env.waitForCompletion(id);
    expect(status.output).toBe("Something went wrong");
    expect(env.calls().map((c) => c.name)).toEqual(["DownloadData", "Process", "CleanUp"]);
  });

  it("retries a failing download with backoff: after 30 s, then 60 s", async () => {
    env = createTestEnv(pipeline.app);
    const real = pipeline.app.getActivity("DownloadData")!.fn;
    env.mockActivity(pipeline.downloadData, (input, ctx) => {
      if (ctx.attempt < 3) throw new Error(`the sales service timed out (attempt ${ctx.attempt})`);
      return real(input, ctx) as Promise<Array<pipeline.Sale | null>>;
    });
    const id = await env.startNew(pipeline.pipeline, { input: { day: "2026-11-28" } });
    const status = await env.waitForCompletion<pipeline.Summary>(id);
    expect(status.output).toMatchObject({ rows: 196 });
    expect(env.calls(pipeline.downloadData).map((c) => [c.attempt, c.at.toISOString(), c.outcome?.ok])).toEqual([
      [1, at(0), false],
      [2, at(30_000), false],
      [3, at(90_000), true],
    ]);
  });

  it("cleans up once the download failed four times", async () => {
    env = createTestEnv(pipeline.app);
    env.mockActivity(pipeline.downloadData, () => {
      throw new Error("the sales service is down");
    });
    const status = await env.waitForCompletion(await env.startNew(pipeline.pipeline, { input: { day: "2026-11-28" } }));
    expect(status.output).toBe("Something went wrong");
    expect(env.calls(pipeline.downloadData).map((c) => c.at.toISOString())).toEqual([at(0), at(30_000), at(90_000), at(210_000)]);
    expect(env.calls(pipeline.cleanUp)).toHaveLength(1);
  });
});

describe("fan-out/fan-in", () => {
  it("measures every file in parallel and adds up", async () => {
    env = createTestEnv(fanOut.app);
    const status = await env.waitForCompletion<{ files: number; totalBytes: number }>(await env.startNew(fanOut.fanOut, { input: 40 }));
    expect(status.output?.files).toBe(40);
    expect(status.output?.totalBytes).toBeGreaterThan(0);
    expect(env.calls(fanOut.measureFile)).toHaveLength(40);
  });
});

describe("human interaction: the approval", () => {
  const request = { amount: 10, requester: "sam", timeoutMs: 72 * HOUR };

  it("pays when the approval comes before the timeout", async () => {
    env = createTestEnv(approval.app);
    const id = await env.startNew(approval.approvalWorkflow, { input: request });
    await env.advanceTime("1d");
    expect((await env.client.getStatus(id))?.customStatus).toBe("waiting for approval");
    await env.raiseEvent(id, "Approval", { approved: true, by: "ana" });
    const status = await env.waitForCompletion(id);
    expect(status.output).toEqual({ outcome: "approved", by: "ana", receipt: "paid 10" });
    expect(env.calls(approval.processPayment).map((c) => c.at.toISOString())).toEqual([at(DAY)]);
  });

  it("escalates when nobody answers within 72 hours, and not a minute earlier", async () => {
    env = createTestEnv(approval.app);
    const id = await env.startNew(approval.approvalWorkflow, { input: request });
    await env.advanceTime("71h59m");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Running");
    expect(env.calls(approval.escalate)).toEqual([]);
    await env.advanceTime("1m");
    const status = await env.client.getStatus(id);
    expect(status?.output).toEqual({ outcome: "escalated", note: "escalated 10 to a manager" });
    expect(env.calls(approval.escalate).map((c) => c.at.toISOString())).toEqual([at(72 * HOUR)]);
  });

  it("ignores an approval that comes after the escalation", async () => {
    env = createTestEnv(approval.app);
    const id = await env.startNew(approval.approvalWorkflow, { input: request });
    await env.runUntilIdle();
    await expect(env.raiseEvent(id, "Approval", { approved: true, by: "late" })).rejects.toThrow(/Completed/);
    expect((await env.client.getStatus(id))?.output).toMatchObject({ outcome: "escalated" });
  });
});

describe("monitor", () => {
  it("checks once a day, continuing as new, until the job is done on the third day", async () => {
    env = createTestEnv(monitor.app);
    const id = await env.startNew(monitor.monitor, { input: { jobId: "j1", intervalMs: DAY, maxChecks: 10 } });
    await env.settle();
    expect((await env.client.getStatus(id))?.customStatus).toEqual({ check: 1, status: "running" });
    await env.advanceTime("1d");
    expect((await env.client.getStatus(id))?.customStatus).toEqual({ check: 2, status: "running" });
    await env.advanceTime("23h");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Running");
    await env.advanceTime("1h");
    const status = await env.client.getStatus(id);
    expect(status?.output).toEqual({ jobId: "j1", checks: 3, status: "done" });
    expect(env.calls(monitor.checkJob).map((c) => c.at.toISOString())).toEqual([at(0), at(DAY), at(2 * DAY)]);
    // Each check ran in its own execution: the last one's history holds one check only.
    const scheduled = (await env.client.getHistory(id)).flatMap((e) => (e.type === "TaskScheduled" ? [e.name] : []));
    expect(scheduled).toEqual(["CheckJob", "Notify"]);
  });

  it("gives up after the most checks it may make", async () => {
    env = createTestEnv(monitor.app);
    env.mockActivity(monitor.checkJob, () => "running");
    const id = await env.startNew(monitor.monitor, { input: { jobId: "j2", intervalMs: 6 * HOUR, maxChecks: 5 } });
    const status = await env.waitForCompletion(id);
    expect(status.output).toEqual({ jobId: "j2", checks: 5, status: "gave up" });
    expect(env.now.toISOString()).toBe(at(24 * HOUR));
  });
});

describe("sub-orchestrations", () => {
  it("runs one child per region, gathered by the parent", async () => {
    env = createTestEnv(subs.app);
    const id = await env.startNew(subs.globalReport, { input: ["north", "south", "east"], instanceId: "report-1" });
    const status = await env.waitForCompletion<{ regions: number; total: number }>(id);
    expect(status.output?.regions).toBe(3);
    const child = await env.client.getStatus("report-1:north");
    expect(child?.runtimeStatus).toBe("Completed");
    expect(child?.parentInstanceId).toBe("report-1");
  });

  it("retries a failed child once, 100 ms later", async () => {
    env = createTestEnv(subs.app);
    env.mockActivity(subs.fetchRegion, (region: string, { attempt }) => {
      if (region === "east" && attempt === 1) throw new Error("east is unreachable");
      return [region.length];
    });
    const status = await env.waitForCompletion<{ regions: number }>(await env.startNew(subs.globalReport, { input: ["north", "east"] }));
    expect(status.output?.regions).toBe(2);
    const east = env.calls(subs.fetchRegion).filter((c) => c.input === "east");
    expect(east.map((c) => [c.attempt, c.at.toISOString()])).toEqual([
      [1, at(0)],
      [2, at(100)],
    ]);
  });
});

/**
 * The orchestration patterns, written with the official JavaScript SDK (@microsoft/durabletask-js
 * 0.4.0) and run by its worker on Perdure's gRPC server over SQLite: the SDK does the replay,
 * Perdure stores and schedules. Each test also reads the instance through Perdure's own client.
 */
import { OrchestrationStatus, RetryPolicy, whenAll, whenAny, type ActivityContext, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;

const hello = async (_ctx: ActivityContext, name: string): Promise<string> => `Hello, ${name}!`;

describe("JavaScript SDK orchestrations on Perdure", () => {
  it("runs an activity sequence, with the protocol's history layout", { timeout: 60_000 }, async () => {
    const sequence: Orchestrator = async function* (ctx) {
      const a = yield ctx.callActivity(hello, "Tokyo");
      const b = yield ctx.callActivity(hello, "Seattle");
      const c = yield ctx.callActivity(hello, "London");
      return [a, b, c];
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(sequence);
      w.addActivity(hello);
    });
    const id = await harness.client.scheduleNewOrchestration(sequence);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(JSON.parse(state!.serializedOutput!)).toEqual(["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);

    const history = await harness.ours.getHistory(id);
    expect(history.map((e) => e.type)).toEqual([
      "OrchestratorStarted",
      "ExecutionStarted",
      "TaskScheduled",
      "OrchestratorStarted",
      "TaskCompleted",
      "TaskScheduled",
      "OrchestratorStarted",
      "TaskCompleted",
      "TaskScheduled",
      "OrchestratorStarted",
      "TaskCompleted",
      "ExecutionCompleted",
    ]);
    const echoes = history.filter((e) => e.eventId >= 0).map((e) => e.eventId);
    expect(echoes).toEqual([...echoes].sort((x, y) => x - y));
    const started = history[1]!;
    expect(started.type === "ExecutionStarted" && started.executionId).toMatch(/^[0-9a-f]{32}$/);

    // The SDK's own view of the history, over StreamInstanceHistory.
    const sdkHistory = await harness.client.getOrchestrationHistory(id);
    expect(sdkHistory).toHaveLength(history.length);
    expect(await harness.client.getOrchestrationHistory("no-such-instance")).toEqual([]);
  });

  it("fans out and in", { timeout: 60_000 }, async () => {
    const square = async (_ctx: ActivityContext, n: number): Promise<number> => n * n;
    const fanOut: Orchestrator = async function* (ctx, count: number) {
      const tasks = Array.from({ length: count }, (_, i) => ctx.callActivity(square, i + 1));
      const results: number[] = yield whenAll(tasks);
      return results.reduce((sum, r) => sum + r, 0);
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(fanOut);
      w.addActivity(square);
    });
    const id = await harness.client.scheduleNewOrchestration(fanOut, 20);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(JSON.parse(state!.serializedOutput!)).toBe(2870);
    const scheduled = (await harness.ours.getHistory(id)).filter((e) => e.type === "TaskScheduled");
    expect(scheduled).toHaveLength(20);
  });

  it("waits on durable timers, never before their time", { timeout: 60_000 }, async () => {
    const sleeper: Orchestrator = async function* (ctx) {
      const before = ctx.currentUtcDateTime.getTime();
      yield ctx.createTimer(new Date(before + 300));
      const after = ctx.currentUtcDateTime.getTime();
      return after - before;
    };
    harness = await startHarness((w) => w.addOrchestrator(sleeper));
    const id = await harness.client.scheduleNewOrchestration(sleeper);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(JSON.parse(state!.serializedOutput!)).toBeGreaterThanOrEqual(300);
    const history = await harness.ours.getHistory(id);
    const created = history.find((e) => e.type === "TimerCreated");
    const firedAt = history.findIndex((e) => e.type === "TimerFired");
    const fired = history[firedAt];
    expect(created?.type === "TimerCreated" && fired?.type === "TimerFired" && fired.fireAt === created.fireAt).toBe(true);
    // The episode that applied the timer started no earlier than the timer's time.
    const episode = history.slice(0, firedAt).findLast((e) => e.type === "OrchestratorStarted");
    expect(Date.parse(episode!.timestamp)).toBeGreaterThanOrEqual(Date.parse((fired as { fireAt: string }).fireAt));
  });

  it("takes an external event, or the timeout when none comes", { timeout: 60_000 }, async () => {
    const approval: Orchestrator = async function* (ctx, timeoutMs: number) {
      const event = ctx.waitForExternalEvent("Approval");
      const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + timeoutMs));
      const winner = yield whenAny([event, timeout]);
      return winner === event ? { approved: event.getResult() } : "timed out";
    };
    harness = await startHarness((w) => w.addOrchestrator(approval));
    const answered = await harness.client.scheduleNewOrchestration(approval, 30_000);
    await harness.client.waitForOrchestrationStart(answered, false, 30);
    await harness.client.raiseOrchestrationEvent(answered, "Approval", { by: "ana" });
    const ignored = await harness.client.scheduleNewOrchestration(approval, 200);

    const first = await harness.client.waitForOrchestrationCompletion(answered, true, 30);
    expect(JSON.parse(first!.serializedOutput!)).toEqual({ approved: { by: "ana" } });
    const second = await harness.client.waitForOrchestrationCompletion(ignored, true, 30);
    expect(JSON.parse(second!.serializedOutput!)).toBe("timed out");
  });

  it("runs sub-orchestrations, which know their parent, and passes a child's failure up verbatim", { timeout: 60_000 }, async () => {
    const child: Orchestrator = async function* (ctx, n: number) {
      if (n < 0) throw new RangeError(`negative: ${n}`);
      const greeting = yield ctx.callActivity(hello, `child ${n}`);
      return { greeting, parent: ctx.parent?.name, parentId: ctx.parent?.instanceId };
    };
    const parent: Orchestrator = async function* (ctx) {
      const results = yield whenAll([ctx.callSubOrchestrator(child, 1), ctx.callSubOrchestrator(child, 2)]);
      try {
        yield ctx.callSubOrchestrator(child, -1);
        return { results, failed: null };
      } catch (error) {
        const details = (error as { details: { errorType: string; message: string } }).details;
        return { results, failed: { errorType: details.errorType, message: details.message } };
      }
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(parent);
      w.addOrchestrator(child);
      w.addActivity(hello);
    });
    const id = await harness.client.scheduleNewOrchestration(parent);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    const output = JSON.parse(state!.serializedOutput!);
    expect(output.results).toEqual([
      { greeting: "Hello, child 1!", parent: "parent", parentId: id },
      { greeting: "Hello, child 2!", parent: "parent", parentId: id },
    ]);
    expect(output.failed).toMatchObject({ errorType: "RangeError", message: "negative: -1" });

    const children = (await harness.ours.list({ parentInstanceId: id })).instances;
    expect(children).toHaveLength(3);
    // The SDK derives child ids from the parent's 32-hex execution id.
    for (const c of children) expect(c.instanceId).toMatch(/^[0-9a-f]{32}:[0-9a-f]{4}$/);
    expect(children.map((c) => c.runtimeStatus).sort()).toEqual(["Completed", "Completed", "Failed"]);
  });

  it("continues as new with a fresh execution id each time, carrying unprocessed events", { timeout: 60_000 }, async () => {
    const child: Orchestrator = async function* () {
      return "done";
    };
    const counter: Orchestrator = async function* (ctx, n: number) {
      // The SDK names a child `<executionId>:<sequence>`: the children show each execution's id.
      yield ctx.callSubOrchestrator(child);
      if (n < 3) {
        ctx.continueAsNew(n + 1, true);
        return;
      }
      const extra = yield ctx.waitForExternalEvent("extra");
      return { n, extra };
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(counter);
      w.addOrchestrator(child);
    });
    const id = await harness.client.scheduleNewOrchestration(counter, 0);
    await harness.client.raiseOrchestrationEvent(id, "extra", 42);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(JSON.parse(state!.serializedOutput!)).toEqual({ n: 3, extra: 42 });

    const children = (await harness.ours.list({ parentInstanceId: id })).instances;
    const executionIds = children.map((c) => c.instanceId.split(":")[0]!);
    expect(executionIds).toHaveLength(4);
    expect(new Set(executionIds).size).toBe(4);
    for (const executionId of executionIds) expect(executionId).toMatch(/^[0-9a-f]{32}$/);
    const record = await harness.store.getInstance(id);
    expect(executionIds).toContain(record?.executionId);
    expect((await harness.ours.getHistory(id)).find((e) => e.type === "ExecutionStarted")).toMatchObject({ input: "3" });
  });

  it("retries a failing activity by its policy", { timeout: 60_000 }, async () => {
    let attempts = 0;
    const flaky = async (): Promise<string> => {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
      return `ok after ${attempts}`;
    };
    const retrying: Orchestrator = async function* (ctx) {
      const retry = new RetryPolicy({ maxNumberOfAttempts: 5, firstRetryIntervalInMilliseconds: 50, backoffCoefficient: 1 });
      return yield ctx.callActivity(flaky, undefined, { retry });
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(retrying);
      w.addActivity(flaky);
    });
    const id = await harness.client.scheduleNewOrchestration(retrying);
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(JSON.parse(state!.serializedOutput!)).toBe("ok after 3");
    const history = await harness.ours.getHistory(id);
    expect(history.filter((e) => e.type === "TaskFailed")).toHaveLength(2);
    expect(history.filter((e) => e.type === "TimerFired")).toHaveLength(2);
  });

  it("publishes a custom status that both clients read", { timeout: 60_000 }, async () => {
    const reporting: Orchestrator = async function* (ctx) {
      ctx.setCustomStatus({ stage: "waiting" });
      yield ctx.waitForExternalEvent("go");
      ctx.setCustomStatus({ stage: "done" });
      return "finished";
    };
    harness = await startHarness((w) => w.addOrchestrator(reporting));
    const id = await harness.client.scheduleNewOrchestration(reporting, "report");
    const h = harness;
    await waitForCustomStatus(h, id, '{"stage":"waiting"}');
    expect((await h.ours.getStatus(id))?.customStatus).toEqual({ stage: "waiting" });
    await h.client.raiseOrchestrationEvent(id, "go");
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.serializedCustomStatus).toBe('{"stage":"done"}');
  });
});

async function waitForCustomStatus(h: Harness, id: string, expected: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await h.client.getOrchestrationState(id, true))?.serializedCustomStatus !== expected) {
    if (Date.now() > deadline) throw new Error(`custom status never became ${expected}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

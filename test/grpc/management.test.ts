/**
 * Managing instances over the protocol with the JavaScript SDK's client (terminate, suspend,
 * resume, rewind, restart, query, list, purge, the status codes it interprets), and the same
 * instances through Perdure's own client: one store, one set of instances.
 */
import { status } from "@grpc/grpc-js";
import {
  OrchestrationStatus,
  PurgeInstanceCriteria,
  terminateOptions,
  whenAll,
  type ActivityContext,
  type OrchestrationContext,
} from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, waitUntil, type Harness } from "./harness.js";

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;

const waiter: Orchestrator = async function* (ctx) {
  const value = yield ctx.waitForExternalEvent("go");
  return { got: value };
};
const echo = async (_ctx: ActivityContext, value: unknown): Promise<unknown> => value;
const echoing: Orchestrator = async function* (ctx, input) {
  return yield ctx.callActivity(echo, input);
};

function codeOf(error: unknown): number | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  return (cause as { code?: number }).code;
}

describe("managing JavaScript SDK instances on Perdure", () => {
  it("terminates an instance and, recursively, its sub-orchestrations, keeping the output", { timeout: 60_000 }, async () => {
    const parent: Orchestrator = async function* (ctx) {
      return yield whenAll([ctx.callSubOrchestrator(waiter), ctx.callSubOrchestrator(waiter)]);
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(parent);
      w.addOrchestrator(waiter);
    });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(parent);
    await waitUntil(async () => (await h.ours.list({ parentInstanceId: id })).instances.filter((c) => c.runtimeStatus === "Running").length === 2, "both children run");
    await h.client.terminateOrchestration(id, terminateOptions({ output: { reason: "stop" }, recursive: true }));
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.TERMINATED);
    expect(JSON.parse(state!.serializedOutput!)).toEqual({ reason: "stop" });
    const children = (await h.ours.list({ parentInstanceId: id })).instances;
    for (const child of children) {
      const childState = await h.client.waitForOrchestrationCompletion(child.instanceId, true, 30);
      expect(childState?.runtimeStatus).toBe(OrchestrationStatus.TERMINATED);
    }
    const history = await h.ours.getHistory(id);
    expect(history.slice(-2).map((e) => e.type)).toEqual(["ExecutionTerminated", "ExecutionCompleted"]);
  });

  it("terminates an instance whose scheduled start is still ahead, without any worker", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const id = await harness.client.scheduleNewOrchestration("Later", 1, { startAt: new Date(Date.now() + 3_600_000) });
    expect((await harness.client.getOrchestrationState(id))?.runtimeStatus).toBe(OrchestrationStatus.PENDING);
    await harness.client.terminateOrchestration(id, "not needed");
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.TERMINATED);
    expect(state?.serializedOutput).toBe('"not needed"');
  });

  it("suspends and resumes: events wait while suspended", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => w.addOrchestrator(waiter));
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(waiter, "input");
    await h.client.waitForOrchestrationStart(id, false, 30);
    await h.client.suspendOrchestration(id);
    await waitUntil(async () => (await h.client.getOrchestrationState(id))?.runtimeStatus === OrchestrationStatus.SUSPENDED, "suspended");
    await h.client.raiseOrchestrationEvent(id, "go", 7);
    await waitUntil(async () => (await h.ours.getHistory(id)).some((e) => e.type === "EventRaised"), "the event is recorded");
    expect((await h.ours.getStatus(id))?.runtimeStatus).toBe("Suspended");
    await h.client.resumeOrchestration(id);
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(JSON.parse(state!.serializedOutput!)).toEqual({ got: 7 });
  });

  it("rewinds a failed instance and restarts an ended one", { timeout: 60_000 }, async () => {
    let calls = 0;
    const fragile = async (): Promise<string> => {
      calls++;
      if (calls === 1) throw new Error("first call fails");
      return `call ${calls}`;
    };
    const once: Orchestrator = async function* (ctx) {
      return yield ctx.callActivity(fragile);
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(once);
      w.addActivity(fragile);
    });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(once, null);
    expect((await h.client.waitForOrchestrationCompletion(id, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.FAILED);
    await h.client.rewindInstance(id, "try again");
    await waitUntil(async () => (await h.ours.getStatus(id))?.runtimeStatus === "Completed", "the rewound instance completes");
    expect((await h.client.getOrchestrationState(id))?.serializedOutput).toBe('"call 2"');
    await expect(h.client.rewindInstance(id, "again")).rejects.toThrow(/rewind/i);

    const copy = await h.client.restartOrchestration(id, true);
    expect(copy).not.toBe(id);
    expect((await h.client.waitForOrchestrationCompletion(copy, true, 30))?.serializedOutput).toBe('"call 3"');
    expect(await h.client.restartOrchestration(id)).toBe(id);
    expect((await h.client.waitForOrchestrationCompletion(id, true, 30))?.serializedOutput).toBe('"call 4"');
    await expect(h.client.restartOrchestration("no-such-instance")).rejects.toThrow(/not found/);
  });

  it("queries by status and prefix with paging, lists ids, and purges by id and by filter", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => {
      w.addOrchestrator(echoing);
      w.addActivity(echo);
      w.addOrchestrator(waiter);
    });
    const h = harness;
    const done = await Promise.all([1, 2, 3, 4, 5].map((i) => h.client.scheduleNewOrchestration(echoing, i, `batch-${i}`)));
    const running = await h.client.scheduleNewOrchestration(waiter, 0, "batch-running");
    for (const id of done) await h.client.waitForOrchestrationCompletion(id, false, 30);
    await h.client.waitForOrchestrationStart(running, false, 30);

    const pages: string[][] = [];
    for await (const page of h.client.getAllInstances({ instanceIdPrefix: "batch-", statuses: [OrchestrationStatus.COMPLETED], pageSize: 2 }).asPages()) {
      pages.push(page.values.map((s) => s.instanceId));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(done.sort());

    const first = await h.client.listInstanceIds({ runtimeStatus: [OrchestrationStatus.COMPLETED], pageSize: 3 });
    expect(first.values).toHaveLength(3);
    const second = await h.client.listInstanceIds({ runtimeStatus: [OrchestrationStatus.COMPLETED], pageSize: 3, lastInstanceKey: first.continuationToken });
    expect([...first.values, ...second.values].sort()).toEqual(done.sort());
    expect(second.continuationToken).toBeUndefined();

    expect((await h.client.purgeOrchestration(done[0]!))?.deletedInstanceCount).toBe(1);
    expect(await h.client.getOrchestrationState(done[0]!)).toBeUndefined();
    expect((await h.client.purgeOrchestration(running))?.deletedInstanceCount).toBe(0);
    const criteria = new PurgeInstanceCriteria();
    criteria.setRuntimeStatusList([OrchestrationStatus.COMPLETED]);
    expect((await h.client.purgeOrchestration(criteria))?.deletedInstanceCount).toBe(4);
    expect((await h.ours.list({ instanceIdPrefix: "batch-" })).instances.map((s) => s.instanceId)).toEqual([running]);
  });

  it("answers with the status codes the SDK interprets", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => w.addOrchestrator(waiter));
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(waiter, 1, "taken");
    await expect(h.client.scheduleNewOrchestration(waiter, 1, "taken")).rejects.toSatisfy((e) => codeOf(e) === status.ALREADY_EXISTS);
    await expect(h.client.raiseOrchestrationEvent("missing", "go")).rejects.toSatisfy((e) => codeOf(e) === status.NOT_FOUND);
    await expect(h.client.suspendOrchestration("missing")).rejects.toSatisfy((e) => codeOf(e) === status.NOT_FOUND);
    await expect(h.client.rewindInstance(id, "why")).rejects.toSatisfy((e) => codeOf(e) === status.FAILED_PRECONDITION);
    await expect(h.client.rewindInstance("missing", "why")).rejects.toSatisfy((e) => codeOf(e) === status.NOT_FOUND);
    await expect(h.client.restartOrchestration(id)).rejects.toSatisfy((e) => codeOf(e) === status.FAILED_PRECONDITION);
    await expect(h.client.scheduleNewOrchestration(waiter, 1, "bad/id")).rejects.toSatisfy((e) => codeOf(e) === status.INVALID_ARGUMENT);
    expect(await h.client.getOrchestrationState("missing")).toBeUndefined();
  });

  it("shows SDK-run instances to Perdure's own client, which can drive them too", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => {
      w.addOrchestrator(waiter);
      w.addOrchestrator(echoing);
      w.addActivity(echo);
    });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(waiter, { from: "js" });
    await h.client.waitForOrchestrationStart(id, false, 30);
    await h.ours.raiseEvent(id, "go", "from perdure");
    const status = await h.ours.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status).toMatchObject({ name: "waiter", runtimeStatus: "Completed", input: { from: "js" }, output: { got: "from perdure" } });
    const history = await h.ours.getHistory(id);
    expect(history.map((e) => e.type)).toEqual(["OrchestratorStarted", "ExecutionStarted", "OrchestratorStarted", "EventRaised", "ExecutionCompleted"]);

    // And the other way: started by Perdure's client, run by the SDK worker.
    const ours = await h.ours.startNew("echoing", { input: ["a", 1] });
    const state = await h.client.waitForOrchestrationCompletion(ours, true, 30);
    expect(JSON.parse(state!.serializedOutput!)).toEqual(["a", 1]);
    const stopped = await h.client.scheduleNewOrchestration(waiter, 0);
    await h.client.waitForOrchestrationStart(stopped, false, 30);
    await h.ours.terminate(stopped, "enough");
    expect((await h.client.waitForOrchestrationCompletion(stopped, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.TERMINATED);
  });
});

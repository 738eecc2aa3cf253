/**
 * Task-hub management over the protocol, on both stores: with the server option on, CreateTaskHub
 * (recreateIfExists) and DeleteTaskHub empty the store the server fronts, and work held for a
 * worker goes with it; with the option off (the default) they answer UNIMPLEMENTED and delete nothing.
 */
import { status } from "@grpc/grpc-js";
import { EntityInstanceId, NoOpLogger, OrchestrationStatus, TaskHubGrpcWorker, type OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import type { WireWorkItem } from "../../src/grpc/wire.js";
import { STORE_KINDS } from "../helpers/stores.js";
import { startHarness, waitUntil, type Harness } from "./harness.js";
import { call, openStream, rawClient, type Cleanups } from "./raw-client.js";

let harness: Harness | undefined;
const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await harness?.close();
  harness = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;
const waiter: Orchestrator = async function* (ctx) {
  return yield ctx.waitForExternalEvent("go");
};

/** An SDK worker that runs `waiter`, started; stopped after the test. */
async function startWaiterWorker(address: string): Promise<TaskHubGrpcWorker> {
  const worker = new TaskHubGrpcWorker({ hostAddress: address, logger: new NoOpLogger(), shutdownTimeoutMs: 2000 });
  worker.addOrchestrator(waiter);
  await worker.start();
  cleanups.push(() => worker.stop().catch(() => undefined));
  return worker;
}

/** A store with a finished instance, a running one, an entity and one scheduled for later; returns their ids. */
async function populate(h: Harness): Promise<string[]> {
  const done = await h.ours.startNew("Done", { input: 1 });
  const running = await h.client.scheduleNewOrchestration(waiter);
  const later = await h.client.scheduleNewOrchestration(waiter, undefined, { startAt: new Date(Date.now() + 3_600_000) });
  await h.client.signalEntity(new EntityInstanceId("counter", "k"), "add", 1);
  await waitUntil(async () => (await h.ours.getStatus(running))?.runtimeStatus === "Running", "the waiter runs");
  return [done, running, later, "@counter@k"];
}

describe.each(STORE_KINDS)("task-hub management (%s)", (kind) => {
  it("is off by default: both calls answer UNIMPLEMENTED and nothing is deleted", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => w.addOrchestrator(waiter), { store: kind });
    const raw = rawClient(harness.address, cleanups);
    const ids = await populate(harness);
    for (const method of ["CreateTaskHub", "DeleteTaskHub"]) {
      await expect(call(raw, method, { recreateIfExists: true })).rejects.toMatchObject({
        code: status.UNIMPLEMENTED,
        details: expect.stringMatching(/taskHubManagement: true/),
      });
    }
    for (const id of ids) expect(await harness.store.getInstance(id)).toBeDefined();
  });

  it("with the option on, recreates or deletes the hub: every instance goes, work held for a worker with it", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { store: kind, startWorker: false, server: { taskHubManagement: true } });
    const h = harness;
    const raw = rawClient(h.address, cleanups);
    const first = await startWaiterWorker(h.address);
    const ids = await populate(h);
    await call(raw, "CreateTaskHub", { recreateIfExists: false });
    for (const id of ids) expect(await h.store.getInstance(id)).toBeDefined();

    // Work delivered to a worker (this raw stream) when the hub goes: its completion is refused.
    await first.stop();
    const stream = openStream(raw, cleanups);
    await h.client.raiseOrchestrationEvent(ids[1]!, "go", "now");
    await waitUntil(() => stream.items.some((i) => "orchestratorRequest" in i), "the event's work item is delivered");
    const held = stream.items.find((i): i is Extract<WireWorkItem, { orchestratorRequest: unknown }> => "orchestratorRequest" in i)!;

    await call(raw, "CreateTaskHub", { recreateIfExists: true });
    for (const id of ids) expect(await h.store.getInstance(id)).toBeUndefined();
    const complete = { instanceId: ids[1], completionToken: held.completionToken, actions: [{ id: 0, completeOrchestration: { orchestrationStatus: "ORCHESTRATION_STATUS_COMPLETED" } }] };
    await expect(call(raw, "CompleteOrchestratorTask", complete)).rejects.toMatchObject({ code: status.ABORTED });
    expect(await h.store.getInstance(ids[1]!)).toBeUndefined();
    stream.stream.cancel();

    // The hub works as a new one, and DeleteTaskHub empties it again.
    await startWaiterWorker(h.address);
    const again = await h.client.scheduleNewOrchestration(waiter, undefined, ids[1]);
    await h.client.raiseOrchestrationEvent(again, "go", "second life");
    expect((await h.client.waitForOrchestrationCompletion(again, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    await call(raw, "DeleteTaskHub", {});
    expect(await h.store.getInstance(again)).toBeUndefined();
    expect((await h.store.queryInstances({})).instances).toEqual([]);
  });
});

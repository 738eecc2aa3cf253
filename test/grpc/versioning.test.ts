/**
 * Versions over the Durable Task protocol: the JavaScript SDK's versioning options (match strategy
 * and failure strategy) behave on Perdure as on their reference backends, since the version an
 * instance is started with travels in its ExecutionStarted and its state; and Perdure's own
 * versioned orchestrations are started on the version an SDK client asks for.
 */
import {
  NoOpLogger,
  OrchestrationStatus,
  TaskHubGrpcClient,
  TaskHubGrpcWorker,
  VersionFailureStrategy,
  VersionMatchStrategy,
  type OrchestrationContext,
  type VersioningOptions,
} from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createWorker, type Worker } from "../../src/index.js";
import { replayHistory } from "../../src/testing/index.js";
import { silent, startHarness, type Harness } from "./harness.js";

let harness: Harness | undefined;
const sdkWorkers: TaskHubGrpcWorker[] = [];
const ourWorkers: Worker[] = [];
afterEach(async () => {
  for (const worker of sdkWorkers.splice(0)) await worker.stop().catch(() => undefined);
  for (const worker of ourWorkers.splice(0)) await worker.stop();
  await harness?.close();
  harness = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;

/** An orchestration that answers which worker ran it and which version it saw. */
function reporter(label: string): Orchestrator {
  // eslint-disable-next-line require-yield
  return async function* report(ctx) {
    return { worker: label, version: ctx.version };
  };
}

async function startSdkWorker(address: string, label: string, versioning: VersioningOptions): Promise<void> {
  const worker = new TaskHubGrpcWorker({ hostAddress: address, logger: new NoOpLogger(), shutdownTimeoutMs: 2000, versioning });
  worker.addNamedOrchestrator("report", reporter(label));
  await worker.start();
  sdkWorkers.push(worker);
}

async function finished(client: TaskHubGrpcClient, id: string) {
  return client.waitForOrchestrationCompletion(id, true, 30);
}

describe("the JavaScript SDK's versioning options", () => {
  it("Strict with Fail: an instance of another version fails with the SDK's VersionMismatch, one of its version runs", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const h = harness;
    await startSdkWorker(h.address, "v2", { version: "2.0.0", matchStrategy: VersionMatchStrategy.Strict, failureStrategy: VersionFailureStrategy.Fail });
    const ok = await h.client.scheduleNewOrchestration("report", undefined, { version: "2.0.0" });
    const mismatch = await h.client.scheduleNewOrchestration("report", undefined, { version: "1.0.0" });
    expect(JSON.parse((await finished(h.client, ok))!.serializedOutput!)).toEqual({ worker: "v2", version: "2.0.0" });
    const failed = await finished(h.client, mismatch);
    expect(failed?.runtimeStatus).toBe(OrchestrationStatus.FAILED);
    expect(failed?.failureDetails?.errorType).toBe("VersionMismatch");
    // Perdure's view of the same instances carries their versions.
    expect((await h.ours.getStatus(ok))?.version).toBe("2.0.0");
    expect((await h.ours.getStatus(mismatch))).toMatchObject({ version: "1.0.0", runtimeStatus: "Failed" });
    const started = (await h.ours.getHistory(ok)).find((e) => e.type === "ExecutionStarted");
    expect(started).toMatchObject({ version: "2.0.0" });
  });

  it("CurrentOrOlder with Reject: a worker hands back what is newer than it, and a newer worker runs it", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const h = harness;
    const options = { matchStrategy: VersionMatchStrategy.CurrentOrOlder, failureStrategy: VersionFailureStrategy.Reject };
    await startSdkWorker(h.address, "old", { ...options, version: "1.0.0" });
    const newer = await h.client.scheduleNewOrchestration("report", undefined, { version: "1.5.0" });
    const older = await h.client.scheduleNewOrchestration("report", undefined, { version: "0.9.0" });
    expect(JSON.parse((await finished(h.client, older))!.serializedOutput!)).toEqual({ worker: "old", version: "0.9.0" });
    // The old worker hands the newer instance back whenever it is offered: it waits, untouched, for a newer worker.
    expect((await h.client.getOrchestrationState(newer))?.runtimeStatus).toBe(OrchestrationStatus.PENDING);
    expect(await h.ours.getHistory(newer)).toEqual([]);
    await startSdkWorker(h.address, "new", { ...options, version: "2.0.0" });
    expect(JSON.parse((await finished(h.client, newer))!.serializedOutput!)).toEqual({ worker: "new", version: "1.5.0" });
  });

  it("a client's defaultVersion is the version an instance starts on", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const h = harness;
    await startSdkWorker(h.address, "any", {});
    const client = new TaskHubGrpcClient({ hostAddress: h.address, logger: new NoOpLogger(), defaultVersion: "3.1.0" });
    try {
      const id = await client.scheduleNewOrchestration("report");
      expect(JSON.parse((await finished(client, id))!.serializedOutput!)).toEqual({ worker: "any", version: "3.1.0" });
      expect((await h.ours.list({ version: "3.1.0" })).instances.map((s) => s.instanceId)).toEqual([id]);
    } finally {
      await client.stop();
    }
  });
});

describe("Perdure's versioned orchestrations, started by an SDK client", () => {
  it("run the version the client asks for, and the newest when it (or a calling SDK orchestration) asks for none", { timeout: 60_000 }, async () => {
    const app = createApp();
    for (const version of ["1", "2"]) {
      app.orchestration("Order", { version }, function* (ctx) {
        return `order on ${ctx.version}`;
      });
    }
    // An SDK orchestration that calls ours as a sub-orchestration, naming no version.
    const parent: Orchestrator = async function* parentOrch(ctx) {
      return yield ctx.callSubOrchestrator("Order");
    };
    harness = await startHarness((w) => w.addOrchestrator(parent), { app });
    const h = harness;
    ourWorkers.push(createWorker(app, h.store, { logger: silent }).start());
    const pinned = await h.client.scheduleNewOrchestration("Order", undefined, { version: "1" });
    const state = await finished(h.client, pinned);
    expect(state?.serializedOutput, JSON.stringify(await h.ours.getStatus(pinned))).toBe(JSON.stringify("order on 1"));
    expect((await h.client.getOrchestrationState(pinned))?.name).toBe("Order");
    // The history as the SDK's client reads it (over StreamInstanceHistory) replays against our code.
    const sdkHistory = await h.client.getOrchestrationHistory(pinned);
    expect(replayHistory(app, sdkHistory)).toMatchObject({ ok: true, version: "1", status: "Completed" });
    // A start that names no version runs the newest version the server's app registers.
    const newest = await h.client.scheduleNewOrchestration("Order");
    expect((await finished(h.client, newest))?.serializedOutput).toBe(JSON.stringify("order on 2"));
    expect((await h.ours.getStatus(newest))?.version).toBe("2");
    // So does a sub-orchestration an SDK orchestration starts without naming a version.
    const caller = await h.client.scheduleNewOrchestration(parent);
    expect((await finished(h.client, caller))?.serializedOutput).toBe(JSON.stringify("order on 2"));
  });
});

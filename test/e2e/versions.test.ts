/**
 * Orchestration versions end to end on SQLite: new instances start on the newest version, each
 * instance keeps its own for life and runs only on a worker that has it, sub-orchestrations and
 * restarts pick their version, and a worker may fail the instances no running worker can run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createClient, createWorker, UnknownOrchestrationError, type App, type Worker } from "../../src/index.js";
import { createTestEnv, type TestEnv } from "../../src/testing/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Order in the versions given: each waits for "Go" and answers with the version that ran it. */
function orderApp(...versions: string[]): App {
  const app = createApp();
  const stamp = app.activity("Stamp", async (v: string) => `stamped by ${v}`);
  for (const version of versions) {
    app.orchestration("Order", { version }, function* (ctx) {
      yield* ctx.waitForExternalEvent("Go");
      return { code: version, ctxVersion: ctx.version, stamp: yield* ctx.callActivity(stamp, version) };
    });
  }
  return app;
}

let rt: TestRuntime | undefined;
let env: TestEnv | undefined;
const extra: Worker[] = [];
afterEach(async () => {
  for (const worker of extra.splice(0)) await worker.stop();
  await rt?.close();
  await env?.close();
  rt = undefined;
  env = undefined;
});

describe("versions side by side", () => {
  it("starts on the newest version, keeps each instance on its own, and leaves it to a worker that has it", async () => {
    // The old fleet runs version 1 only.
    rt = startRuntime(orderApp("1"));
    const v1Client = createClient(rt.store, { app: orderApp("1") });
    const old = [await v1Client.startNew("Order"), await v1Client.startNew("Order")];
    await waitUntil(async () => (await rt!.client.getStatus(old[1]!))?.runtimeStatus === "Running", "the v1 instances wait");
    await rt.worker.stop();
    // A rolling deploy: a worker with version 2 only comes up first.
    const v2only = createWorker(orderApp("2"), rt.store, { logger: silent }).start();
    extra.push(v2only);
    const client = createClient(rt.store, { app: orderApp("1", "2") });
    const fresh = await client.startNew("Order");
    for (const id of [...old, fresh]) await client.raiseEvent(id, "Go");
    expect((await client.waitForCompletion(fresh, { timeoutMs: 30_000 })).output).toEqual({ code: "2", ctxVersion: "2", stamp: "stamped by 2" });
    expect((await client.getStatus(fresh))?.version).toBe("2");
    // The v1 instances were not touched: their event waits in the inbox, their history is as it was.
    for (const id of old) {
      expect((await client.getStatus(id))?.runtimeStatus).toBe("Running");
      expect((await client.getHistory(id)).some((e) => e.type === "EventRaised")).toBe(false);
    }
    // A worker with both versions finishes them on version 1's code.
    const both = createWorker(orderApp("1", "2"), rt.store, { logger: silent }).start();
    extra.push(both);
    for (const id of old) {
      expect((await client.waitForCompletion(id, { timeoutMs: 30_000 })).output).toEqual({ code: "1", ctxVersion: "1", stamp: "stamped by 1" });
    }
    const byVersion = async (version: string) => (await client.list({ version })).instances.map((s) => s.instanceId).sort();
    expect(await byVersion("1")).toEqual([...old].sort());
    expect(await byVersion("2")).toEqual([fresh]);
  });

  it("starts the version asked for, refuses one the app lacks, and restarts on the instance's own", async () => {
    rt = startRuntime(orderApp("1", "2"));
    const id = await rt.client.startNew("Order", { version: "1" });
    await expect(rt.client.startNew("Order", { version: "3" })).rejects.toBeInstanceOf(UnknownOrchestrationError);
    await expect(rt.client.startNew("Order", { version: "3" })).rejects.toThrow(/not registered with version '3'.*version '1', version '2'/);
    await rt.client.raiseEvent(id, "Go");
    expect((await rt.client.waitForCompletion(id, { timeoutMs: 30_000 })).output).toMatchObject({ code: "1" });
    const again = await rt.client.restart(id);
    expect((await rt.client.getStatus(again))?.version).toBe("1");
  });

  it("registers the running worker's versions in the store, and removes them when it stops", async () => {
    rt = startRuntime(orderApp("1", "2"));
    await waitUntil(async () => (await rt!.store.listWorkers()).length === 1, "the worker registers");
    const [registration] = await rt.store.listWorkers();
    expect(registration).toMatchObject({
      workerId: rt.worker.workerId,
      orchestrations: [
        { name: "order", version: "1" },
        { name: "order", version: "2" },
      ],
    });
    await rt.worker.stop();
    expect(await rt.store.listWorkers()).toEqual([]);
  });
});

describe("sub-orchestrations", () => {
  it("start the child on the newest version unless the call names one", async () => {
    const app = createApp();
    for (const version of ["1", "2"]) {
      app.orchestration("Child", { version }, function* (ctx) {
        return ctx.version;
      });
    }
    app.orchestration("Parent", function* (ctx) {
      const newest = yield* ctx.callSubOrchestrator<string>("Child");
      const pinned = yield* ctx.callSubOrchestrator<string>("Child", undefined, { version: "1" });
      return [newest, pinned];
    });
    env = createTestEnv(app);
    const id = await env.startNew("Parent");
    expect((await env.waitForCompletion(id)).output).toEqual(["2", "1"]);
    const created = (await env.client.getHistory(id)).flatMap((e) => (e.type === "SubOrchestrationInstanceCreated" ? [e.version] : []));
    expect(created).toEqual(["2", "1"]);
  });
});

describe("an instance on a version no running worker has", () => {
  it("waits by default, and completes once a worker with its version starts", async () => {
    env = createTestEnv(orderApp("2"));
    const id = await createClient(env.store).startNew("Order", { version: "1" });
    await env.advanceTime("1h");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Pending");
    const late = createWorker(orderApp("1"), env.store, { logger: silent, timers: env.clock }).start();
    extra.push(late);
    await env.client.raiseEvent(id, "Go");
    await waitUntil(async () => (await env!.client.getStatus(id))?.runtimeStatus === "Completed", "the v1 worker runs it");
    expect((await env.client.getStatus(id))?.output).toMatchObject({ code: "1" });
  });

  it("fails with an error naming the version under missingVersion: \"fail\", once every worker has had time to register", async () => {
    env = createTestEnv(orderApp("2", "3"), { worker: { missingVersion: "fail", leaseMs: 60_000 } });
    const id = await createClient(env.store).startNew("Order", { version: "1" });
    await env.advanceTime("30s");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Pending");
    await env.advanceTime("30s");
    const status = await env.client.getStatus(id);
    expect(status?.runtimeStatus).toBe("Failed");
    expect(status?.failureDetails).toMatchObject({ errorType: "VersionNotAvailableError" });
    expect(status?.failureDetails?.errorMessage).toMatch(/orchestration 'Order' version '1'.*the versions '2', '3'/);
  });

  it("is left alone under missingVersion: \"fail\" while another registered worker has its version", async () => {
    env = createTestEnv(orderApp("2"), { worker: { missingVersion: "fail", leaseMs: 60_000 } });
    await env.store.registerWorker({ workerId: "elsewhere", orchestrations: [{ name: "order", version: "1" }], ttlMs: 3_600_000 });
    // The worker reads the registrations when it renews its own.
    await waitUntil(async () => (await env!.store.listWorkers()).length === 2, "both registrations are there");
    const id = await createClient(env.store).startNew("Order", { version: "1" });
    await env.advanceTime("2m");
    expect((await env.client.getStatus(id))?.runtimeStatus).toBe("Pending");
  });
});

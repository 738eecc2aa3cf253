/**
 * The work-item stream and the long polls at the wire level, with a raw gRPC client on our own
 * .proto: re-delivery when a worker goes away, stale completion tokens, abandons, filters, health
 * pings, waits that end with their caller; and a worker of ours sharing the store with an SDK worker.
 */
import { status } from "@grpc/grpc-js";
import type { ActivityContext, OrchestrationContext } from "@microsoft/durabletask-js";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createWorker, type Worker } from "../../src/index.js";
import type { WireWorkItem } from "../../src/grpc/wire.js";
import { silent, startHarness, waitUntil, type Harness } from "./harness.js";
import { call, openStream as openRawStream, rawClient as newRawClient, type Cleanups, type Raw } from "./raw-client.js";

let harness: Harness | undefined;
const cleanups: Cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await harness?.close();
  harness = undefined;
});

const rawClient = (address: string): Raw => newRawClient(address, cleanups);
const openStream = (client: Raw, request: object = {}) => openRawStream(client, cleanups, request);

const orchestrations = (items: WireWorkItem[]) => items.filter((i): i is Extract<WireWorkItem, { orchestratorRequest: unknown }> => "orchestratorRequest" in i);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Orchestrator = (ctx: OrchestrationContext, input: any) => AsyncGenerator<any, any, any>;
const twice = async (_ctx: ActivityContext, n: number): Promise<number> => n * 2;
const doubling: Orchestrator = async function* (ctx, n: number) {
  return yield ctx.callActivity(twice, n);
};

describe("the work-item stream", () => {
  it("re-delivers a worker's items when its stream goes away, and refuses stale tokens", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const raw = rawClient(harness.address);
    const first = openStream(raw);
    const id = await harness.client.scheduleNewOrchestration("doubling", 21);
    await waitUntil(() => orchestrations(first.items).length === 1, "the first stream gets the work item");
    const stale = orchestrations(first.items)[0]!;
    expect(stale.orchestratorRequest.instanceId).toBe(id);
    expect(stale.orchestratorRequest.newEvents.map((e) => e.eventType)).toEqual(["orchestratorStarted", "executionStarted"]);
    first.stream.cancel();

    const second = openStream(raw);
    await waitUntil(() => orchestrations(second.items).length === 1, "the second stream gets it again");
    const fresh = orchestrations(second.items)[0]!;
    expect(fresh.completionToken).not.toBe(stale.completionToken);

    const complete = (token: string, result: string) =>
      call(raw, "CompleteOrchestratorTask", {
        instanceId: id,
        completionToken: token,
        actions: [{ id: 1, completeOrchestration: { orchestrationStatus: "ORCHESTRATION_STATUS_COMPLETED", result: { value: result } } }],
      });
    await expect(complete(stale.completionToken, '"stale"')).rejects.toMatchObject({ code: status.ABORTED });
    expect((await harness.ours.getStatus(id))?.runtimeStatus).toBe("Pending");
    await complete(fresh.completionToken, '"fresh"');
    expect(await harness.ours.getStatus(id)).toMatchObject({ runtimeStatus: "Completed", output: "fresh" });
    await expect(complete(fresh.completionToken, '"again"')).rejects.toMatchObject({ code: status.ABORTED });
    expect((await harness.ours.getStatus(id))?.output).toBe("fresh");
  });

  it("hands an abandoned item out again, and finishes work a lost worker left behind", { timeout: 60_000 }, async () => {
    harness = await startHarness((w) => {
      w.addOrchestrator(doubling);
      w.addActivity(twice);
    }, { startWorker: false });
    const raw = rawClient(harness.address);
    const lone = openStream(raw);
    const id = await harness.client.scheduleNewOrchestration(doubling, 4);
    await waitUntil(() => orchestrations(lone.items).length === 1, "the item is delivered");
    await call(raw, "AbandonTaskOrchestratorWorkItem", { completionToken: lone.items[0]!.completionToken });
    await waitUntil(() => orchestrations(lone.items).length === 2, "it is delivered again");
    lone.stream.cancel();

    await harness.worker.start();
    const state = await harness.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.serializedOutput).toBe("8");
  });

  it("offers a stream only what its filters accept", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const raw = rawClient(harness.address);
    const picky = openStream(raw, { workItemFilters: { orchestrations: [{ name: "Wanted" }] } });
    const unwanted = await harness.client.scheduleNewOrchestration("Unwanted", 1);
    const wanted = await harness.client.scheduleNewOrchestration("Wanted", 1);
    await waitUntil(() => orchestrations(picky.items).length === 1, "the wanted item arrives");
    expect(orchestrations(picky.items)[0]!.orchestratorRequest.instanceId).toBe(wanted);
    expect((await harness.ours.getStatus(unwanted))?.runtimeStatus).toBe("Pending");

    const anything = openStream(raw);
    await waitUntil(() => orchestrations(anything.items).length === 1, "an unfiltered stream takes the other item");
    expect(orchestrations(anything.items)[0]!.orchestratorRequest.instanceId).toBe(unwanted);
  });

  it("sends health pings on an idle stream", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const fast = await import("../../src/grpc/index.js").then((m) =>
      m.serveGrpc({ store: harness!.store, port: 0, healthPingIntervalMs: 50, logger: silent }),
    );
    cleanups.push(() => fast.close());
    const idle = openStream(rawClient(`localhost:${fast.port}`));
    await waitUntil(() => idle.items.filter((i) => "healthPing" in i).length >= 2, "two pings arrive");
  });
});

describe("what the server does not serve", () => {
  it("answers UNIMPLEMENTED, saying why", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const raw = rawClient(harness.address);
    for (const [method, why] of [
      ["CreateTaskHub", /taskHubManagement/],
      ["DeleteTaskHub", /taskHubManagement/],
      ["SkipGracefulOrchestrationTerminations", /TerminateInstance/],
    ] as const) {
      await expect(call(raw, method, {})).rejects.toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(why) });
    }
    await expect(call(raw, "Hello", {})).resolves.toEqual({});
  });
});

describe("waiting for an instance", () => {
  it("ends a wait at its deadline, or when its caller cancels, and lets go of the store", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { startWorker: false });
    const h = harness;
    let subscribed = 0;
    const subscribe = h.store.subscribe.bind(h.store);
    h.store.subscribe = (listener) => {
      subscribed++;
      const stop = subscribe(listener);
      return () => {
        subscribed--;
        stop();
      };
    };
    const raw = rawClient(h.address);
    const id = await h.client.scheduleNewOrchestration("Never", 1, { startAt: new Date(Date.now() + 3_600_000) });
    const baseline = subscribed;
    await expect(call(raw, "WaitForInstanceStart", { instanceId: id }, 300)).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    await waitUntil(() => subscribed === baseline, "the timed-out wait unsubscribes");

    const pending = raw.WaitForInstanceCompletion!({ instanceId: id }, () => undefined);
    await waitUntil(() => subscribed === baseline + 1, "the wait subscribes");
    pending.cancel();
    await waitUntil(() => subscribed === baseline, "the cancelled wait unsubscribes");

    expect(await call(raw, "WaitForInstanceCompletion", { instanceId: "missing" })).toEqual({ exists: false });
  });
});

describe("sharing a store with a worker of ours", () => {
  it("runs each name where it is registered: remote orchestrations may call local activities", { timeout: 60_000 }, async () => {
    const app = createApp();
    const shout = app.activity("Shout", async (text: string) => `${text.toUpperCase()}!`);
    app.orchestration("LocalGreeting", function* (ctx, name: string) {
      return yield* ctx.callActivity(shout, `hello ${name}`);
    });
    const remote: Orchestrator = async function* (ctx, name: string) {
      const doubled = yield ctx.callActivity(twice, 21);
      const shouted = yield ctx.callActivity("Shout", name);
      return { doubled, shouted };
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(remote);
      w.addActivity(twice);
    }, { app });
    const h = harness;
    const local: Worker = createWorker(app, h.store, { logger: silent }).start();
    cleanups.push(() => local.stop({ timeoutMs: 2000 }));

    const ids = await Promise.all([
      h.ours.startNew("LocalGreeting", { input: "ana" }),
      h.client.scheduleNewOrchestration(remote, "bo"),
      h.client.scheduleNewOrchestration("LocalGreeting", "cy"),
      h.ours.startNew("remote", { input: "di" }),
    ]);
    const results = await Promise.all(ids.map((id) => h.ours.waitForCompletion(id, { timeoutMs: 30_000 })));
    expect(results.map((r) => [r.runtimeStatus, r.output])).toEqual([
      ["Completed", "HELLO ANA!"],
      ["Completed", { doubled: 42, shouted: "BO!" }],
      ["Completed", "HELLO CY!"],
      ["Completed", { doubled: 42, shouted: "DI!" }],
    ]);
  });
});

/**
 * What the official SDKs' suites found, over gRPC with the JavaScript SDK, on both stores:
 * continue-as-new keeping events that keep arriving, rewinding a parent whose failed child was
 * purged, ListInstanceIds keys that name the last instance, a remote worker's timer firing when
 * due, and completions whose token is no longer current refused with ABORTED.
 */
import { status } from "@grpc/grpc-js";
import type { ActivityContext, OrchestrationContext } from "@microsoft/durabletask-js";
import { OrchestrationStatus } from "@microsoft/durabletask-js";
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
type Item<K extends string> = Extract<WireWorkItem, Record<K, unknown>>;
const ofKind = <K extends string>(items: WireWorkItem[], kind: K): Item<K>[] => items.filter((i): i is Item<K> => kind in i);
const eventTypes = (events: Array<{ eventType?: string }>) => events.map((e) => e.eventType);

describe.each(STORE_KINDS)("over gRPC (%s)", (kind) => {
  it("continues as new with saved events while events keep arriving, and consumes them all in order", { timeout: 60_000 }, async () => {
    const seen: number[] = [];
    const collector: Orchestrator = async function* (ctx, count: number) {
      const value: number = yield ctx.waitForExternalEvent("item");
      if (!ctx.isReplaying) seen.push(value);
      if (count + 1 < 5) {
        ctx.continueAsNew(count + 1, true);
        return;
      }
      return count + 1;
    };
    harness = await startHarness((w) => w.addOrchestrator(collector), { store: kind });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(collector, 0);
    for (let i = 1; i <= 5; i++) await h.client.raiseOrchestrationEvent(id, "item", i);
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(state?.serializedOutput).toBe("5");
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const history = await h.ours.getHistory(id);
    expect(history.slice(0, 2).map((e) => e.type)).toEqual(["OrchestratorStarted", "ExecutionStarted"]);
  });

  it("puts the new execution's start first, then the carried events with a real time, then those raised during the episode", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { store: kind, startWorker: false });
    const h = harness;
    const raw = rawClient(h.address, cleanups);
    const stream = openStream(raw, cleanups);
    const id = await h.client.scheduleNewOrchestration("Eternal", 0);
    await waitUntil(() => ofKind(stream.items, "orchestratorRequest").length === 1, "the first work item arrives");
    const first = ofKind(stream.items, "orchestratorRequest")[0]!;
    // Raised while the worker holds the episode that continues as new.
    await h.client.raiseOrchestrationEvent(id, "item", "during");
    await call(raw, "CompleteOrchestratorTask", {
      instanceId: id,
      completionToken: first.completionToken,
      actions: [
        {
          id: 0,
          completeOrchestration: {
            orchestrationStatus: "ORCHESTRATION_STATUS_CONTINUED_AS_NEW",
            result: { value: "1" },
            // As the Python SDK carries events over: with a zero timestamp.
            carryoverEvents: [{ eventId: -1, timestamp: { seconds: 0, nanos: 0 }, eventRaised: { name: "item", input: { value: '"carried"' } } }],
          },
        },
      ],
    });
    await waitUntil(() => ofKind(stream.items, "orchestratorRequest").length === 2, "the new execution's work item arrives");
    const second = ofKind(stream.items, "orchestratorRequest")[1]!.orchestratorRequest;
    expect(second.pastEvents ?? []).toEqual([]);
    expect(eventTypes(second.newEvents)).toEqual(["orchestratorStarted", "executionStarted", "eventRaised", "eventRaised"]);
    const inputs = second.newEvents.slice(2).map((e) => (e as { eventRaised?: { input?: { value?: string } } }).eventRaised?.input?.value);
    expect(inputs).toEqual(['"carried"', '"during"']);
    for (const event of second.newEvents) expect(Number(event.timestamp?.seconds ?? 0)).toBeGreaterThan(Date.parse("2020-01-01") / 1000);
  });

  it("rewinds a parent whose failed sub-orchestration was purged: the child runs again", { timeout: 60_000 }, async () => {
    let attempts = 0;
    const flaky = async (_ctx: ActivityContext, n: number): Promise<number> => {
      attempts++;
      if (attempts === 1) throw new Error("first attempt fails");
      return n + 1;
    };
    const child: Orchestrator = async function* (ctx, n: number) {
      return yield ctx.callActivity(flaky, n);
    };
    const parent: Orchestrator = async function* (ctx, n: number) {
      const result = yield ctx.callSubOrchestrator(child, n, { instanceId: `${ctx.instanceId}-child` });
      return `child gave ${result}`;
    };
    harness = await startHarness((w) => {
      w.addOrchestrator(parent);
      w.addOrchestrator(child);
      w.addActivity(flaky);
    }, { store: kind });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(parent, 1);
    expect((await h.client.waitForOrchestrationCompletion(id, true, 30))?.runtimeStatus).toBe(OrchestrationStatus.FAILED);
    expect((await h.client.purgeOrchestration(`${id}-child`))?.deletedInstanceCount).toBe(1);
    await h.client.rewindInstance(id, "the activity works now");
    const state = await h.client.waitForOrchestrationCompletion(id, true, 30);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    expect(state?.serializedOutput).toBe(JSON.stringify("child gave 2"));
    expect((await h.ours.getStatus(`${id}-child`))?.runtimeStatus).toBe("Completed");
  });

  it("pages ListInstanceIds in completion order, each key naming the page's last instance", { timeout: 60_000 }, async () => {
    const quick: Orchestrator = async function* () {
      return "done";
    };
    harness = await startHarness((w) => w.addOrchestrator(quick), { store: kind });
    const h = harness;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await h.client.scheduleNewOrchestration(quick, undefined, `list-${i}`);
      await h.client.waitForOrchestrationCompletion(id, false, 30);
      ids.push(id);
    }
    const seen: string[] = [];
    let key: string | undefined;
    for (let page = 0; page < 3; page++) {
      const result = await h.client.listInstanceIds({ runtimeStatus: [OrchestrationStatus.COMPLETED], pageSize: 1, lastInstanceKey: key });
      seen.push(...result.values);
      key = result.continuationToken;
      if (page < 2) expect(key).toContain(result.values[0]);
      else expect(result.hasMoreResults).toBe(false);
    }
    expect(seen).toEqual(ids);
    await expect(h.client.listInstanceIds({ lastInstanceKey: "not a key" })).rejects.toThrow();
  });

  it("fires a remote worker's timer when it is due, not at the idle loop's next look", { timeout: 60_000 }, async () => {
    const sleeper: Orchestrator = async function* (ctx) {
      yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 200));
      return "woke";
    };
    // An idle loop that looked again only once a minute would leave the timer far behind the test's deadline.
    harness = await startHarness((w) => w.addOrchestrator(sleeper), { store: kind, server: { maxIdleMs: 60_000 } });
    const h = harness;
    const id = await h.client.scheduleNewOrchestration(sleeper);
    const state = await h.client.waitForOrchestrationCompletion(id, false, 20);
    expect(state?.runtimeStatus).toBe(OrchestrationStatus.COMPLETED);
    const history = await h.ours.getHistory(id);
    const created = history.find((e) => e.type === "TimerCreated");
    const fired = history.find((e) => e.type === "TimerFired");
    expect(created).toBeDefined();
    expect(fired).toBeDefined();
    // Never early: the episode that saw the timer fire started at or after its due time.
    const started = history[history.indexOf(fired!) - 1]!;
    expect(started.type).toBe("OrchestratorStarted");
    expect(Date.parse(started.timestamp)).toBeGreaterThanOrEqual(Date.parse((created as { fireAt: string }).fireAt));
  });

  it("refuses orchestration and activity completions whose token is no longer current, changing nothing", { timeout: 60_000 }, async () => {
    harness = await startHarness(() => undefined, { store: kind, startWorker: false });
    const h = harness;
    const raw = rawClient(h.address, cleanups);
    const stream = openStream(raw, cleanups);
    const id = await h.client.scheduleNewOrchestration("Caller", 5);
    await waitUntil(() => ofKind(stream.items, "orchestratorRequest").length === 1, "the orchestration work item arrives");
    const episode = ofKind(stream.items, "orchestratorRequest")[0]!;
    const schedule = { instanceId: id, completionToken: episode.completionToken, actions: [{ id: 0, scheduleTask: { name: "Twice", input: { value: "5" } } }] };
    await call(raw, "CompleteOrchestratorTask", schedule);
    await expect(call(raw, "CompleteOrchestratorTask", schedule)).rejects.toMatchObject({ code: status.ABORTED });

    await waitUntil(() => ofKind(stream.items, "activityRequest").length === 1, "the activity work item arrives");
    const firstDelivery = ofKind(stream.items, "activityRequest")[0]!;
    await call(raw, "AbandonTaskActivityWorkItem", { completionToken: firstDelivery.completionToken });
    await waitUntil(() => ofKind(stream.items, "activityRequest").length === 2, "the activity is delivered again");
    const current = ofKind(stream.items, "activityRequest")[1]!;
    expect(current.completionToken).not.toBe(firstDelivery.completionToken);
    const answer = (token: string, result: string) => call(raw, "CompleteActivityTask", { instanceId: id, taskId: 0, completionToken: token, result: { value: result } });
    await expect(answer(firstDelivery.completionToken, "999")).rejects.toMatchObject({ code: status.ABORTED });
    await answer(current.completionToken, "10");
    await expect(answer(current.completionToken, "11")).rejects.toMatchObject({ code: status.ABORTED });
    await waitUntil(() => ofKind(stream.items, "orchestratorRequest").length === 2, "the orchestration gets the result");
    const next = ofKind(stream.items, "orchestratorRequest")[1]!.orchestratorRequest;
    const results = next.newEvents.filter((e) => e.eventType === "taskCompleted");
    expect(results).toHaveLength(1);
    expect((results[0] as { taskCompleted?: { result?: { value?: string } } }).taskCompleted?.result?.value).toBe("10");
  });
});

/**
 * The management API's routes of Perdure's own, which the dashboard reads: counts by status,
 * history pages from a position, entity details; and the list's name and order, and recursive
 * terminate.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createHttpHandler, entityId, type FetchHandler } from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import { BASE, JSON_HEADERS } from "./fixture.js";

const app = createApp();
const echo = app.activity("Echo", async (x: string) => `echo:${x}`);
app.orchestration("Hello", function* (ctx, name: string) {
  return yield* ctx.callActivity(echo, name);
});
app.orchestration("Broken", function* (ctx) {
  yield* ctx.callActivity(echo, "first");
  throw new Error("kaput");
});
app.orchestration("Twice", function* (ctx, round: number) {
  yield* ctx.callActivity(echo, `round ${round}`);
  if (round === 0) ctx.continueAsNew(1);
  return round;
});
const wait = app.orchestration("Wait", function* (ctx) {
  return yield* ctx.waitForExternalEvent<number>("go");
});
app.orchestration("Parent", function* (ctx) {
  return yield* ctx.callSubOrchestrator(wait, undefined, { instanceId: `${ctx.instanceId}-child` });
});
class Counter {
  value = 0;
  add(n: number): void {
    this.value += n;
  }
}
const counter = app.entity("Counter", Counter);
app.orchestration("HoldLock", function* (ctx) {
  const lock = yield* ctx.lockEntities(entityId(counter, "held"));
  yield* ctx.waitForExternalEvent("release");
  lock.release();
  return "released";
});

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function start(): { rt: TestRuntime; call: (method: string, path: string, init?: RequestInit) => Promise<Response> } {
  rt = startRuntime(app);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const handler: FetchHandler = createHttpHandler({ app, client: rt.client, logger: silent });
  return { rt, call: (method, path, init = {}) => handler(new Request(`${BASE}${path}`, { method, ...init })) };
}

async function finish(rt: TestRuntime, name: string, instanceId: string, input?: unknown): Promise<void> {
  await rt.client.startNew(name, { instanceId, input });
  await rt.client.waitForCompletion(instanceId, { timeoutMs: 30_000 });
}

const json = async (response: Response): Promise<any> => response.json(); // eslint-disable-line @typescript-eslint/no-explicit-any

describe("GET instanceCounts", () => {
  it("counts every status under the list's filters, zeros included", async () => {
    const { rt, call } = start();
    await finish(rt, "Hello", "a-1", "x");
    await finish(rt, "Hello", "a-2", "y");
    await finish(rt, "Broken", "b-1");
    await rt.client.startNew("Wait", { instanceId: "w-1" });
    await waitUntil(async () => (await rt.client.getStatus("w-1"))?.runtimeStatus === "Running", "w-1 runs");
    const all = await json(await call("GET", "/instanceCounts"));
    expect(all).toEqual({
      total: 4,
      counts: { Pending: 0, Running: 1, Suspended: 0, Completed: 2, Failed: 1, Terminated: 0, ContinuedAsNew: 0, Canceled: 0 },
    });
    expect((await json(await call("GET", "/instanceCounts?instanceIdPrefix=a-"))).counts.Completed).toBe(2);
    expect((await json(await call("GET", "/instanceCounts?name=Broken"))).total).toBe(1);
    expect((await json(await call("GET", "/instanceCounts?runtimeStatus=Running,Failed"))).total).toBe(2);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await json(await call("GET", `/instanceCounts?createdTimeFrom=${future}`))).total).toBe(0);
    const bad = await call("GET", "/instanceCounts?runtimeStatus=Bogus");
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/unknown runtime status "Bogus"/);
  });
});

describe("GET instances: name and order", () => {
  it("filters by exact name and pages oldest first with order=asc, keeping the order in the token", async () => {
    const { rt, call } = start();
    for (const id of ["h-1", "h-2", "h-3"]) await finish(rt, "Hello", id, id);
    await finish(rt, "Broken", "b-1");
    const hellos = await json(await call("GET", "/instances?name=Hello"));
    expect(hellos.map((s: { instanceId: string }) => s.instanceId)).toEqual(["h-3", "h-2", "h-1"]);
    const first = await call("GET", "/instances?order=asc&top=2");
    expect((await json(first)).map((s: { instanceId: string }) => s.instanceId)).toEqual(["h-1", "h-2"]);
    const token = first.headers.get("x-ms-continuation-token")!;
    const second = await call("GET", "/instances?order=asc&top=2", { headers: { "x-ms-continuation-token": token } });
    expect((await json(second)).map((s: { instanceId: string }) => s.instanceId)).toEqual(["h-3", "b-1"]);
    const mixed = await call("GET", "/instances?top=2", { headers: { "x-ms-continuation-token": token } });
    expect(mixed.status).toBe(400);
    expect((await call("GET", "/instances?order=sideways")).status).toBe(400);
  });
});

describe("GET instances/{id}/history", () => {
  it("answers every event with its ids and parsed payloads, by pages from a position", async () => {
    const { rt, call } = start();
    await finish(rt, "Hello", "h", "net");
    const whole = await json(await call("GET", "/instances/h/history"));
    expect(whole).toMatchObject({ instanceId: "h", runtimeStatus: "Completed", continuedAsNew: false, hasMore: false });
    expect(whole.executionId).toEqual(expect.any(String));
    const types = whole.events.map((e: { type: string }) => e.type);
    expect(types).toContain("TaskScheduled");
    expect(whole.events.find((e: { type: string }) => e.type === "ExecutionStarted")).toMatchObject({ name: "Hello", input: "net" });
    const scheduled = whole.events.find((e: { type: string }) => e.type === "TaskScheduled");
    expect(whole.events.find((e: { type: string }) => e.type === "TaskCompleted")).toMatchObject({
      taskScheduledId: scheduled.eventId,
      result: "echo:net",
    });
    expect(whole.next).toBe(whole.events.length);

    const page = await json(await call("GET", "/instances/h/history?top=2"));
    expect(page).toMatchObject({ next: 2, hasMore: true, events: whole.events.slice(0, 2) });
    const rest = await json(await call("GET", "/instances/h/history?after=2"));
    expect(rest.events).toEqual(whole.events.slice(2));
    expect(rest).not.toHaveProperty("continuedAsNew");
    expect((await json(await call("GET", `/instances/h/history?after=${whole.next}`))).events).toEqual([]);
  });

  it("shows failures without stack traces, says when the execution continued as new, and checks its parameters", async () => {
    const { rt, call } = start();
    await finish(rt, "Broken", "b");
    const broken = await call("GET", "/instances/b/history");
    const text = await broken.text();
    expect(text).toContain("kaput");
    expect(text).not.toMatch(/stack/i);
    await finish(rt, "Twice", "t", 0);
    const twice = await json(await call("GET", "/instances/t/history"));
    expect(twice.continuedAsNew).toBe(true);
    expect(twice.events.find((e: { type: string }) => e.type === "ExecutionStarted").input).toBe(1);
    expect((await call("GET", "/instances/none/history")).status).toBe(404);
    expect((await call("GET", "/instances/b/history?top=0")).status).toBe(400);
    expect((await call("GET", "/instances/b/history?after=-1")).status).toBe(400);
  });
});

describe("POST instances/{id}/terminate?recursive=true", () => {
  it("terminates the running sub-orchestrations too; without it they run on", async () => {
    const { rt, call } = start();
    for (const id of ["p1", "p2"]) {
      await rt.client.startNew("Parent", { instanceId: id });
      await waitUntil(async () => (await rt.client.getStatus(`${id}-child`))?.runtimeStatus === "Running", `${id}-child runs`);
    }
    expect((await call("POST", "/instances/p1/terminate?reason=stop&recursive=true")).status).toBe(202);
    expect((await call("POST", "/instances/p2/terminate?reason=stop")).status).toBe(202);
    await waitUntil(async () => (await rt.client.getStatus("p1-child"))?.runtimeStatus === "Terminated", "p1-child is terminated");
    await waitUntil(async () => (await rt.client.getStatus("p2"))?.runtimeStatus === "Terminated", "p2 is terminated");
    expect((await rt.client.getStatus("p2-child"))?.runtimeStatus).toBe("Running");
    expect((await call("POST", "/instances/p2-child/terminate?recursive=maybe")).status).toBe(400);
  });
});

describe("GET entities/{name}/{key}/details", () => {
  it("shows the state, the lock holder and the operations queued behind the lock", async () => {
    const { rt, call } = start();
    await rt.client.signalEntity(entityId(counter, "held"), "add", 2);
    await waitUntil(async () => (await rt.client.readEntityState(entityId(counter, "held"))).exists, "the counter has state");
    await rt.client.startNew("HoldLock", { instanceId: "holder" });
    await waitUntil(async () => (await rt.client.describeEntity(entityId(counter, "held")))?.lock !== undefined, "the lock is held");
    await rt.client.signalEntity(entityId(counter, "held"), "add", 40);
    await waitUntil(async () => (await rt.client.describeEntity(entityId(counter, "held")))?.queue.length === 1, "the signal waits");

    const details = await json(await call("GET", "/entities/Counter/held/details"));
    expect(details).toMatchObject({
      entityId: { name: "counter", key: "held" },
      instanceId: "@counter@held",
      exists: true,
      state: { value: 2 },
      lock: { owner: "holder" },
    });
    expect(details.queue).toEqual([expect.objectContaining({ type: "EntityOperationSignaled", operation: "add", input: 40 })]);

    await call("POST", "/instances/holder/raiseEvent/release", { body: "null", headers: JSON_HEADERS });
    await waitUntil(async () => (await rt.client.readEntityState<{ value: number }>(entityId(counter, "held"))).state?.value === 42, "the queued signal ran");
    expect(await json(await call("GET", "/entities/counter/held/details"))).toMatchObject({ lock: null, queue: [], state: { value: 42 } });
    expect((await call("GET", "/entities/Counter/nobody/details")).status).toBe(404);
  });
});

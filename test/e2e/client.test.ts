/**
 * The client end to end on the embedded store: starting (and refusing to start) instances,
 * status, waiting, events, terminate, suspend/resume, scheduled starts, rewind, purge, list
 * and history.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createApp,
  InstanceExistsError,
  InstanceNotFoundError,
  InvalidInstanceStateError,
  WaitTimeoutError,
  type OrchestrationStatus,
  type RuntimeStatus,
} from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

const app = createApp();
const calls = { first: 0, flaky: 0 };

const echo = app.activity("Echo", async (name: string) => `echo:${name}`);
const first = app.activity("First", async (x: number) => {
  calls.first++;
  return x + 1;
});
const flaky = app.activity("Flaky", async (x: number) => {
  calls.flaky++;
  if (calls.flaky === 1) throw new Error("flaky failed on its first attempt");
  return x * 10;
});

const hello = app.orchestration("Hello", function* (ctx, name: string) {
  ctx.setCustomStatus({ stage: "greeting" });
  return yield* ctx.callActivity(echo, name);
});
const waitForGo = app.orchestration("WaitForGo", function* (ctx, tag: string) {
  ctx.setCustomStatus("waiting");
  const v = yield* ctx.waitForExternalEvent<number>("go");
  return { tag, v };
});
const broken = app.orchestration("Broken", function* (ctx) {
  yield* ctx.callActivity(echo, "before");
  throw new Error("kaput");
});
const parent = app.orchestration("Parent", function* (ctx) {
  const a = ctx.callSubOrchestrator(waitForGo, "child-a");
  const b = ctx.callSubOrchestrator(waitForGo, "child-b");
  return yield* ctx.all([a, b]);
});
const rewindable = app.orchestration("Rewindable", function* (ctx) {
  const a = yield* ctx.callActivity(first, 1);
  return yield* ctx.callActivity(flaky, a);
});

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function runtime(): TestRuntime {
  rt = startRuntime(app);
  return rt;
}

async function statusOf(id: string): Promise<OrchestrationStatus> {
  const status = await rt!.client.getStatus(id);
  if (status === undefined) throw new Error(`no instance '${id}'`);
  return status;
}

async function waitForStatus(id: string, status: RuntimeStatus): Promise<void> {
  await waitUntil(async () => (await rt!.client.getStatus(id))?.runtimeStatus === status, `'${id}' is ${status}`);
}

/** Waits until a WaitForGo instance has run its first episode and waits for its event. */
async function waitUntilWaiting(id: string): Promise<void> {
  await waitUntil(async () => {
    const status = await rt!.client.getStatus(id);
    return status?.runtimeStatus === "Running" && status.customStatus === "waiting";
  }, `'${id}' waits for its event`);
}

async function finish(id: string): Promise<OrchestrationStatus> {
  return rt!.client.waitForCompletion(id, { timeoutMs: 30_000 });
}

describe("client: starting instances", () => {
  it("startNew returns a fresh id when none is given", async () => {
    const { client } = runtime();
    const id = await client.startNew(hello, { input: "ana" });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect((await finish(id)).output).toBe("echo:ana");
    expect(await client.startNew(hello, { input: "bo" })).not.toBe(id);
  });

  it.each(["Pending", "Running", "Suspended"] as const)("refuses an id that is %s, and changes nothing", async (state) => {
    const { client } = runtime();
    const id = `taken-${state}`;
    if (state === "Pending") {
      await client.startNew(waitForGo, { instanceId: id, input: "original", startAt: new Date(Date.now() + 3_600_000) });
    } else {
      await client.startNew(waitForGo, { instanceId: id, input: "original" });
      await waitUntilWaiting(id);
      if (state === "Suspended") {
        await client.suspend(id);
        await waitForStatus(id, "Suspended");
      }
    }
    const before = await statusOf(id);
    const historyBefore = await client.getHistory(id);
    expect(before.runtimeStatus).toBe(state);

    const again = client.startNew(hello, { instanceId: id, input: "other" });
    await expect(again).rejects.toBeInstanceOf(InstanceExistsError);
    await expect(client.startNew(hello, { instanceId: id, reuseFinishedId: true })).rejects.toThrow(/already exists and is/);

    const after = await statusOf(id);
    expect(after).toEqual(before);
    expect(await client.getHistory(id)).toEqual(historyBefore);
  });

  it("refuses a finished id by default and starts a new run with reuseFinishedId", async () => {
    const { client } = runtime();
    await client.startNew(hello, { instanceId: "again", input: "one" });
    const firstRun = await finish("again");
    expect(firstRun.output).toBe("echo:one");

    await expect(client.startNew(hello, { instanceId: "again", input: "two" })).rejects.toBeInstanceOf(InstanceExistsError);
    expect((await statusOf("again")).output).toBe("echo:one");

    await client.startNew(hello, { instanceId: "again", input: "two", reuseFinishedId: true });
    const secondRun = await finish("again");
    expect(secondRun.runtimeStatus).toBe("Completed");
    expect(secondRun.input).toBe("two");
    expect(secondRun.output).toBe("echo:two");
    expect(secondRun.createdTime.getTime()).toBeGreaterThanOrEqual(firstRun.createdTime.getTime());
    const scheduled = (await client.getHistory("again")).filter((e) => e.type === "TaskScheduled");
    expect(scheduled).toHaveLength(1);
  });

  it("a start in the future stays Pending until its time, then runs", async () => {
    const { client } = runtime();
    const startAt = new Date(Date.now() + 400);
    const id = await client.startNew(hello, { input: "later", startAt });
    const pending = await statusOf(id);
    expect(pending.runtimeStatus).toBe("Pending");
    expect(pending.scheduledStartTime?.getTime()).toBe(startAt.getTime());

    await waitUntil(async () => {
      const status = await statusOf(id);
      // A status read before the start time must still be Pending.
      if (Date.now() < startAt.getTime()) expect(status.runtimeStatus).toBe("Pending");
      return status.runtimeStatus === "Completed";
    }, "the scheduled instance completes");
    expect((await statusOf(id)).output).toBe("echo:later");
    const history = await client.getHistory(id);
    const startedAt = history.findIndex((e) => e.type === "ExecutionStarted");
    const episode = history[startedAt - 1]!;
    expect(episode.type).toBe("OrchestratorStarted");
    expect(Date.parse(episode.timestamp)).toBeGreaterThanOrEqual(startAt.getTime());
  });
});

describe("client: status and waiting", () => {
  it("getStatus reports every field, hides the input on request and adds the history on request", async () => {
    const { client } = runtime();
    const id = await client.startNew(hello, { instanceId: "status-1", input: "ana" });
    await finish(id);
    const status = await statusOf(id);
    expect(status).toMatchObject({
      name: "Hello",
      instanceId: "status-1",
      runtimeStatus: "Completed",
      input: "ana",
      output: "echo:ana",
      customStatus: { stage: "greeting" },
    });
    expect(status.failureDetails).toBeUndefined();
    expect(status.history).toBeUndefined();
    expect(status.createdTime).toBeInstanceOf(Date);
    expect(status.lastUpdatedTime.getTime()).toBeGreaterThanOrEqual(status.createdTime.getTime());

    const hidden = await client.getStatus(id, { showInput: false });
    expect(hidden?.input).toBeUndefined();
    expect(hidden?.output).toBe("echo:ana");

    const withHistory = await client.getStatus(id, { showHistory: true });
    expect(withHistory?.history?.map((e) => e.type)).toEqual((await client.getHistory(id)).map((e) => e.type));
    expect(withHistory?.history?.at(-1)?.type).toBe("ExecutionCompleted");
  });

  it("a failed instance carries its failure details", async () => {
    const { client } = runtime();
    const id = await client.startNew(broken);
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.output).toBeUndefined();
    expect(status.failureDetails).toMatchObject({ errorType: "Error", errorMessage: "kaput" });
  });

  it("getStatus of an unknown id is undefined", async () => {
    const { client } = runtime();
    expect(await client.getStatus("nobody-here")).toBeUndefined();
  });

  it("waitForCompletion gives up with WaitTimeoutError; the instance goes on", async () => {
    const { client } = runtime();
    const id = await client.startNew(waitForGo, { input: "t" });
    await waitUntilWaiting(id);
    const waiting = client.waitForCompletion(id, { timeoutMs: 50 });
    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(client.waitForCompletion(id, { timeoutMs: 50 })).rejects.toThrow(/did not finish within 50 ms/);
    expect((await statusOf(id)).runtimeStatus).toBe("Running");
  });
});

describe("client: events, terminate, suspend and resume", () => {
  it("raiseEvent wakes a waiting instance; unknown and finished instances are refused", async () => {
    const { client } = runtime();
    const id = await client.startNew(waitForGo, { input: "ev" });
    await waitUntilWaiting(id);
    await client.raiseEvent(id, "go", 42);
    expect((await finish(id)).output).toEqual({ tag: "ev", v: 42 });

    await expect(client.raiseEvent("no-such-instance", "go", 1)).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(client.raiseEvent(id, "go", 1)).rejects.toBeInstanceOf(InvalidInstanceStateError);
    expect(await client.getStatus("no-such-instance")).toBeUndefined();
  });

  it("terminate ends a running instance with the reason as output", async () => {
    const { client } = runtime();
    const id = await client.startNew(waitForGo, { input: "t" });
    await waitUntilWaiting(id);
    await client.terminate(id, "enough");
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Terminated");
    expect(status.output).toBe("enough");
    await expect(client.terminate(id, "again")).rejects.toBeInstanceOf(InvalidInstanceStateError);
  });

  it("terminate with recursive also ends the running sub-orchestrations", async () => {
    const { client } = runtime();
    const id = await client.startNew(parent, { instanceId: "parent-1" });
    const children = async () => (await client.list({ parentInstanceId: id })).instances;
    await waitUntil(async () => (await children()).length === 2, "both children exist");
    for (const child of await children()) await waitUntilWaiting(child.instanceId);

    await client.terminate(id, "shutdown", { recursive: true });
    expect((await finish(id)).runtimeStatus).toBe("Terminated");
    for (const child of await children()) {
      const status = await finish(child.instanceId);
      expect(status.runtimeStatus).toBe("Terminated");
      expect(status.output).toBe("shutdown");
    }
  });

  it("suspend holds events until resume; then the instance completes", async () => {
    const { client } = runtime();
    const id = await client.startNew(waitForGo, { input: "s" });
    await waitUntilWaiting(id);
    await client.suspend(id, "pause");
    await waitForStatus(id, "Suspended");

    await client.raiseEvent(id, "go", 7);
    await waitUntil(async () => (await client.getHistory(id)).some((e) => e.type === "EventRaised"), "the event is recorded");
    expect((await statusOf(id)).runtimeStatus).toBe("Suspended");

    await client.resume(id, "go on");
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({ tag: "s", v: 7 });
  });
});

describe("client: rewind", () => {
  it("re-runs only the failed activity of a failed instance, which then completes", async () => {
    const { client } = runtime();
    calls.first = 0;
    calls.flaky = 0;
    const id = await client.startNew(rewindable);
    const failed = await finish(id);
    expect(failed.runtimeStatus).toBe("Failed");
    expect(failed.failureDetails?.errorMessage).toMatch(/flaky failed on its first attempt/);

    await client.rewind(id, "try again");
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toBe(20);
    expect(calls).toEqual({ first: 1, flaky: 2 });
    await expect(client.rewind(id)).rejects.toBeInstanceOf(InvalidInstanceStateError);
  });

  it("refuses to rewind an instance that did not fail, or does not exist", async () => {
    const { client } = runtime();
    const id = await client.startNew(waitForGo, { input: "r" });
    await waitUntilWaiting(id);
    await expect(client.rewind(id)).rejects.toBeInstanceOf(InvalidInstanceStateError);
    await expect(client.rewind("not-there")).rejects.toBeInstanceOf(InstanceNotFoundError);
    expect((await statusOf(id)).runtimeStatus).toBe("Running");
  });
});

describe("client: purge, list and history", () => {
  it("purge deletes a finished instance, counts nothing for an unknown one and refuses a running one", async () => {
    const { client } = runtime();
    const done = await client.startNew(hello, { input: "p" });
    await finish(done);
    expect(await client.purge(done)).toBe(1);
    expect(await client.getStatus(done)).toBeUndefined();
    expect(await client.getHistory(done)).toEqual([]);
    expect(await client.purge(done)).toBe(0);
    expect(await client.purge("never-existed")).toBe(0);

    const running = await client.startNew(waitForGo, { input: "r" });
    await waitUntilWaiting(running);
    await expect(client.purge(running)).rejects.toBeInstanceOf(InvalidInstanceStateError);
    expect((await statusOf(running)).runtimeStatus).toBe("Running");
  });

  it("purgeBy deletes only the finished instances the filter matches", async () => {
    const { client } = runtime();
    await client.startNew(hello, { instanceId: "old", input: "o" });
    const old = await finish("old");
    await waitUntil(() => Date.now() > old.createdTime.getTime(), "the clock moves past the first creation");
    const createdFrom = new Date().toISOString();

    for (const id of ["new-1", "new-2"]) await client.startNew(hello, { instanceId: id, input: id });
    await client.startNew(broken, { instanceId: "new-failed" });
    await client.startNew(waitForGo, { instanceId: "new-running", input: "x" });
    for (const id of ["new-1", "new-2", "new-failed"]) await finish(id);
    await waitUntilWaiting("new-running");

    expect(await client.purgeBy({ statuses: ["Completed"], createdFrom })).toBe(2);
    const left = (await client.list({})).instances.map((s) => s.instanceId).sort();
    expect(left).toEqual(["new-failed", "new-running", "old"]);
  });

  it("list filters by status, id prefix and creation time, and pages through everything", async () => {
    const { client } = runtime();
    const pageIds = Array.from({ length: 7 }, (_, i) => `page-${i}`);
    for (const id of pageIds) {
      await client.startNew(hello, { instanceId: id, input: id });
      await finish(id);
    }
    for (const id of ["other-0", "other-1"]) {
      await client.startNew(waitForGo, { instanceId: id, input: id });
      await waitUntilWaiting(id);
    }
    const ids = (list: { instances: OrchestrationStatus[] }) => list.instances.map((s) => s.instanceId).sort();

    expect(ids(await client.list({ statuses: ["Running"] }))).toEqual(["other-0", "other-1"]);
    expect(ids(await client.list({ statuses: ["Completed"] }))).toEqual(pageIds);
    expect(ids(await client.list({ instanceIdPrefix: "page-" }))).toEqual(pageIds);
    expect(ids(await client.list({ instanceIdPrefix: "page-", statuses: ["Running"] }))).toEqual([]);

    const all = await Promise.all([...pageIds, "other-0", "other-1"].map(statusOf));
    const from = (await statusOf("page-2")).createdTime;
    const to = (await statusOf("page-4")).createdTime;
    const expected = all
      .filter((s) => s.createdTime.getTime() >= from.getTime() && s.createdTime.getTime() <= to.getTime())
      .map((s) => s.instanceId)
      .sort();
    expect(expected).toEqual(expect.arrayContaining(["page-2", "page-3", "page-4"]));
    expect(ids(await client.list({ createdFrom: from.toISOString(), createdTo: to.toISOString() }))).toEqual(expected);

    const seen: OrchestrationStatus[] = [];
    const sizes: number[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await client.list({ instanceIdPrefix: "page-", pageSize: 3, continuationToken });
      sizes.push(page.instances.length);
      seen.push(...page.instances);
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.map((s) => s.instanceId).sort()).toEqual(pageIds);
    const created = seen.map((s) => s.createdTime.getTime());
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(seen.every((s) => s.input === undefined)).toBe(true);
  });

  it("getHistory gives the events of the execution in order", async () => {
    const { client } = runtime();
    const id = await client.startNew(hello, { input: "h" });
    await finish(id);
    const history = await client.getHistory(id);
    expect(history.map((e) => e.type)).toEqual([
      "OrchestratorStarted",
      "ExecutionStarted",
      "TaskScheduled",
      "OrchestratorStarted",
      "TaskCompleted",
      "ExecutionCompleted",
    ]);
    expect(history[1]).toMatchObject({ name: "Hello", input: JSON.stringify("h") });
    expect(history.at(-1)).toMatchObject({ status: "Completed", result: JSON.stringify("echo:h") });
  });
});

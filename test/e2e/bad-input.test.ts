/**
 * Bad input at the edge gets a clear, typed error and writes nothing (DESIGN.md invariant 7);
 * bad calls inside an orchestration fail the task or the instance with a typed failure, and the
 * worker goes on.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createApp,
  createClient,
  InvalidArgumentError,
  PayloadTooLargeError,
  SerializationError,
  TaskFailedError,
  UnknownOrchestrationError,
  type Client,
} from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

const app = createApp();

const echo = app.activity("Echo", async (x: string) => `echo:${x}`);
const big = app.activity("Big", async (size: number) => "x".repeat(size));

const hello = app.orchestration("Hello", function* (ctx, name: string) {
  return yield* ctx.callActivity(echo, name);
});
const waitForGo = app.orchestration("WaitForGo", function* (ctx) {
  ctx.setCustomStatus("waiting");
  return yield* ctx.waitForExternalEvent<number>("go");
});
const catchesMissing = app.orchestration("CatchesMissing", function* (ctx) {
  try {
    yield* ctx.callActivity("NoSuchActivity", 1);
    return "unreachable";
  } catch (error) {
    if (!(error instanceof TaskFailedError)) throw error;
    return { errorType: error.details.errorType, errorMessage: error.details.errorMessage };
  }
});
const failsOnMissing = app.orchestration("FailsOnMissing", function* (ctx) {
  return yield* ctx.callActivity("NoSuchActivity", 1);
});
const oversizedResult = app.orchestration("OversizedResult", function* (ctx) {
  try {
    yield* ctx.callActivity(big, 5000);
    return "unreachable";
  } catch (error) {
    if (!(error instanceof TaskFailedError)) throw error;
    const small = yield* ctx.callActivity(big, 10);
    return { errorType: error.details.errorType, errorMessage: error.details.errorMessage, small };
  }
});
const yieldsNonTask = app.orchestration("YieldsNonTask", function* () {
  yield 42;
  return "unreachable";
});

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function expectNothingStored(client: Client): Promise<void> {
  expect((await client.list({})).instances).toEqual([]);
}

async function finish(id: string) {
  return rt!.client.waitForCompletion(id, { timeoutMs: 30_000 });
}

describe("bad input at the client is refused with a typed error and writes nothing", () => {
  it("an unknown orchestration name lists the registered ones", async () => {
    rt = startRuntime(app);
    const start = rt.client.startNew("NoSuchOrchestration", { instanceId: "u-1", input: 1 });
    await expect(start).rejects.toBeInstanceOf(UnknownOrchestrationError);
    await expect(start).rejects.toMatchObject({ code: "UNKNOWN_ORCHESTRATION", orchestrationName: "NoSuchOrchestration" });
    await expect(start).rejects.toThrow(/No orchestration named 'NoSuchOrchestration'/);
    await expect(start).rejects.toThrow(/Registered orchestrations: .*Hello.*WaitForGo/);
    expect(await rt.client.getStatus("u-1")).toBeUndefined();
    await expectNothingStored(rt.client);
  });

  const cycle: Record<string, unknown> = { name: "loop" };
  cycle.self = cycle;
  it.each([
    ["a function", () => 1],
    ["a BigInt", 10n],
    ["a cycle", cycle],
  ])("an input that is %s is a SerializationError", async (_what, input) => {
    rt = startRuntime(app);
    const start = rt.client.startNew("Hello", { instanceId: "s-1", input });
    await expect(start).rejects.toBeInstanceOf(SerializationError);
    await expect(start).rejects.toMatchObject({ code: "SERIALIZATION" });
    await expect(start).rejects.toThrow(/Cannot store the input of 'Hello'/);
    expect(await rt.client.getStatus("s-1")).toBeUndefined();
    await expectNothingStored(rt.client);
  });

  it("an input over the client's maxPayloadBytes is a PayloadTooLargeError", async () => {
    rt = startRuntime(app);
    const client = createClient(rt.store, { app, maxPayloadBytes: 64 });
    const start = client.startNew(hello, { instanceId: "big-1", input: "x".repeat(100) });
    await expect(start).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(start).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", bytes: 102, limit: 64 });
    await expect(start).rejects.toThrow(/The input of 'Hello' is 102 bytes of JSON, over the limit of 64 bytes/);
    await expectNothingStored(client);

    // Just under the limit is accepted.
    const id = await client.startNew(hello, { instanceId: "small-1", input: "x".repeat(62) });
    expect((await finish(id)).output).toBe(`echo:${"x".repeat(62)}`);
  });

  it.each([
    ["empty", ""],
    ["101 characters long", "a".repeat(101)],
    ["with a slash", "a/b"],
    ["with a hash", "a#b"],
    ["with a question mark", "a?b"],
    ["with a backslash", "a\\b"],
    ["starting with @", "@x"],
    ["with a control character", "a\u0001b"],
  ])("an instance id %s is an InvalidArgumentError", async (_what, instanceId) => {
    rt = startRuntime(app);
    const start = rt.client.startNew(hello, { instanceId, input: "x" });
    await expect(start).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(start).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(start).rejects.toThrow(/^Invalid instance id .*: .+\. Use 1–100 characters/);
    await expectNothingStored(rt.client);
  });

  it("an id of exactly 100 characters is accepted", async () => {
    rt = startRuntime(app);
    const id = await rt.client.startNew(hello, { instanceId: "a".repeat(100), input: "x" });
    expect((await finish(id)).runtimeStatus).toBe("Completed");
  });

  it("raiseEvent with an empty name is an InvalidArgumentError and the instance is unchanged", async () => {
    rt = startRuntime(app);
    const { client } = rt;
    const id = await client.startNew(waitForGo, { instanceId: "ev-1" });
    await waitUntil(async () => (await client.getStatus(id))?.customStatus === "waiting", "the instance waits");
    const history = await client.getHistory(id);

    const raise = client.raiseEvent(id, "", 1);
    await expect(raise).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(raise).rejects.toThrow(/Invalid raiseEvent\(\) event name "": it is empty/);
    await expect(createClient(rt.store, { maxPayloadBytes: 16 }).raiseEvent(id, "go", "y".repeat(50))).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(client.raiseEvent(id, "go", () => 1)).rejects.toBeInstanceOf(SerializationError);

    // Nothing reached the instance: a valid event is the first it sees.
    await client.raiseEvent(id, "go", 5);
    expect((await finish(id)).output).toBe(5);
    const raised = (await client.getHistory(id)).slice(history.length).filter((e) => e.type === "EventRaised");
    expect(raised).toHaveLength(1);
  });
});

describe("bad calls inside an orchestration fail with a typed failure; the worker goes on", () => {
  it("an unknown activity fails the task with UnknownActivityError, which the orchestration can catch", async () => {
    rt = startRuntime(app);
    const id = await rt.client.startNew(catchesMissing);
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({
      errorType: "UnknownActivityError",
      errorMessage: expect.stringMatching(/No activity named 'NoSuchActivity' is registered/),
    });
  });

  it("an uncaught unknown activity fails the instance with a clear message; the worker goes on", async () => {
    rt = startRuntime(app);
    const id = await rt.client.startNew(failsOnMissing);
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.failureDetails?.errorType).toBe("TaskFailedError");
    expect(status.failureDetails?.errorMessage).toMatch(/Activity 'NoSuchActivity' failed: UnknownActivityError: No activity named 'NoSuchActivity'/);
    expect(status.failureDetails?.innerFailure?.errorType).toBe("UnknownActivityError");

    expect(rt.worker.isRunning).toBe(true);
    const next = await rt.client.startNew(hello, { input: "after" });
    expect((await finish(next)).output).toBe("echo:after");
  });

  it("an activity result over the worker's maxPayloadBytes fails that task with PayloadTooLargeError", async () => {
    rt = startRuntime(app, { maxPayloadBytes: 1024 });
    const id = await rt.client.startNew(oversizedResult);
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Completed");
    expect(status.output).toEqual({
      errorType: "PayloadTooLargeError",
      errorMessage: expect.stringMatching(/The result of activity 'Big' is 5002 bytes of JSON, over the limit of 1024 bytes/),
      small: "x".repeat(10),
    });
  });

  it("yielding something that is not a task fails the instance with InvalidOrchestrationError", async () => {
    rt = startRuntime(app);
    const id = await rt.client.startNew(yieldsNonTask);
    const status = await finish(id);
    expect(status.runtimeStatus).toBe("Failed");
    expect(status.failureDetails?.errorType).toBe("InvalidOrchestrationError");
    expect(status.failureDetails?.errorMessage).toMatch(/Orchestration .YieldsNonTask. yielded .*; yield only tasks/);

    const next = await rt.client.startNew(hello, { input: "still here" });
    expect((await finish(next)).output).toBe("echo:still here");
  });
});

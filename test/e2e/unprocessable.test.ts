/**
 * One stored row the worker cannot process never stops it (store.ts, invariant 7): rows written
 * around the checks — a message or history event that is not JSON, an id that does not read back
 * as written — fail their own instance with an UnprocessableInstanceError, logged once, and the
 * worker goes on serving every other instance. On both stores.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, TaskFailedError, type Logger } from "../../src/index.js";
import { waitUntil } from "../helpers/runtime.js";
import { STORE_KINDS, announceStores, startRuntimeOn, type StoreRuntime } from "../helpers/stores.js";

announceStores("the unprocessable-row suite");

const app = createApp();
const wait = app.orchestration("Wait", function* (ctx) {
  return yield* ctx.waitForExternalEvent<number>("go");
});
const parent = app.orchestration("Parent", function* (ctx) {
  try {
    return yield* ctx.callSubOrchestrator(wait, undefined, { instanceId: `${ctx.instanceId}-child` });
  } catch (error) {
    if (!(error instanceof TaskFailedError)) throw error;
    return { failed: error.details.errorType, message: error.details.errorMessage };
  }
});

/** A logger that keeps what it is told at the error level. */
function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (message: string) => void errors.push(message) };
}

let rt: StoreRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function waitForStatus(id: string, status: string): Promise<void> {
  await waitUntil(async () => (await rt!.client.getStatus(id))?.runtimeStatus === status, `${id} is ${status}`, 30_000);
}

/** Starts `Wait` as `id` and waits until it waits for its event. */
async function waiting(id: string): Promise<void> {
  await rt!.client.startNew(wait, { instanceId: id });
  await waitForStatus(id, "Running");
}

/** A normal instance still runs from start to end. */
async function expectServed(id: string): Promise<void> {
  await waiting(id);
  await rt!.client.raiseEvent(id, "go", 7);
  const status = await rt!.client.waitForCompletion(id, { timeoutMs: 30_000 });
  expect(status).toMatchObject({ runtimeStatus: "Completed", output: 7 });
}

async function expectSetAside(id: string, because: RegExp): Promise<void> {
  await waitForStatus(id, "Failed");
  const status = await rt!.client.getStatus(id);
  expect(status?.failureDetails?.errorType).toBe("UnprocessableInstanceError");
  expect(status?.failureDetails?.errorMessage).toMatch(because);
  expect(status?.failureDetails?.errorMessage).toMatch(/purge it, or repair its stored data and rewind it/);
}

describe.each(STORE_KINDS)("on %s, an instance whose stored rows cannot be processed", (kind) => {
  it("is set aside when a message in its inbox is not JSON, logged once, and the others go on", { timeout: 90_000 }, async () => {
    const logger = recordingLogger();
    rt = await startRuntimeOn(kind, app, { logger });
    await waiting("bad");
    const history = await rt.client.getHistory("bad");
    await rt.raw("INSERT INTO {s}.messages (instance_id, event, visible_at) VALUES ($1, $2, $3)", [
      "bad",
      "{not json",
      kind === "sqlite" ? new Date(0).toISOString() : 0,
    ]);
    await expectSetAside("bad", /The stored messages? .*of instance 'bad' cannot be read: .*not JSON/);
    await expectServed("good-1");
    await expectServed("good-2");
    expect(logger.errors.filter((line) => line.includes("'bad'"))).toHaveLength(1);
    // Its history and its inbox are kept as they were.
    expect(await rt.client.getHistory("bad")).toEqual(history);
    const left = await rt.raw("SELECT event FROM {s}.messages WHERE instance_id = $1", ["bad"]);
    expect(left.map((row) => row.event)).toEqual(["{not json"]);
    // It is finished: a purge removes it.
    expect(await rt.client.purge("bad")).toBe(1);
  });

  it("is set aside when its history is not JSON as a cold worker replays it, and its parent's call fails", { timeout: 90_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await rt.client.startNew(parent, { instanceId: "p" });
    await waitForStatus("p-child", "Running");
    await rt.raw("UPDATE {s}.history SET event = $1 WHERE instance_id = $2 AND seq = 2", ["[broken", "p-child"]);
    // A new worker has no warm copy: it reads the history.
    await rt.restartWorker();
    await rt.client.raiseEvent("p-child", "go", 1);
    await expectSetAside("p-child", /The stored history .*of instance 'p-child' cannot be read/);
    const outcome = await rt.client.waitForCompletion("p", { timeoutMs: 30_000 });
    expect(outcome.runtimeStatus).toBe("Completed");
    expect(outcome.output).toMatchObject({ failed: "UnprocessableInstanceError", message: expect.stringContaining("'p-child'") });
    await expectServed("good");
  });
});

describe("on sqlite, an instance whose id does not read back as it was written", () => {
  it("is set aside, and the worker goes on serving the others", { timeout: 90_000 }, async () => {
    const logger = recordingLogger();
    rt = await startRuntimeOn("sqlite", app, { logger });
    await waiting("template");
    // A lone surrogate has no UTF-8 form: SQLite keeps bytes that read back as another string.
    const bad = "a\uD800b";
    const columns = `kind, name, version, execution_id, status, input, output, custom_status, failure_details, created_at,
      last_updated_at, completed_at, scheduled_start_at, parent_instance_id, parent_execution_id, parent_name, parent_task_id,
      lock_token, locked_by, locked_until`;
    await rt.raw(`INSERT INTO {s}.instances (instance_id, ${columns}) SELECT $1, ${columns} FROM {s}.instances WHERE instance_id = $2`, [bad, "template"]);
    await rt.raw("UPDATE {s}.instances SET status = 'Pending' WHERE instance_id = $1", [bad]);
    await rt.raw("INSERT INTO {s}.messages (instance_id, execution_id, event, visible_at) SELECT $1, execution_id, event, $2 FROM {s}.history WHERE instance_id = $3 AND seq = 2", [
      bad,
      new Date(0).toISOString(),
      "template",
    ]);
    await waitUntil(() => logger.errors.some((line) => line.includes("does not read back")), "the row is set aside", 30_000);
    await expectServed("good-1");
    await expectServed("good-2");
    expect(logger.errors.filter((line) => line.includes("does not read back"))).toHaveLength(1);
    const rows = await rt.raw("SELECT status, failure_details FROM {s}.instances WHERE instance_id NOT IN ('template', 'good-1', 'good-2')");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe("Failed");
    expect(JSON.parse(rows[0]!.failure_details as string)).toMatchObject({ errorType: "UnprocessableInstanceError" });
  });
});

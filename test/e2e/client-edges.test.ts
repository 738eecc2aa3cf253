/**
 * Malformed calls to the client get a typed error and change nothing stored, on both stores; the
 * worker goes on serving a normal instance afterwards. Each case is one a user met: a misspelt
 * purge filter that deleted every finished instance, an id the store kept as another, an entity
 * reached through the orchestration calls, a wait that never ended.
 */
import { afterEach, describe, expect, it } from "vitest";
import { entityId, InstanceNotFoundError, InvalidArgumentError } from "../../src/index.js";
import { app, counter, done, expectWorkerServes as workerServes, hold, seed, snapshot } from "../helpers/edge-app.js";
import { STORE_KINDS, announceStores, startRuntimeOn, type StoreRuntime } from "../helpers/stores.js";

announceStores("the client edge suite");

let rt: StoreRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function expectWorkerServes(): Promise<void> {
  expect(await workerServes(rt!)).toBe(true);
}

async function expectRefused(call: () => Promise<unknown>, message: RegExp): Promise<void> {
  // Some refusals come before any promise (a bad entity id): caught the same way.
  const error = await Promise.resolve().then(call).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a refusal matching ${message}`).toBeInstanceOf(InvalidArgumentError);
  expect((error as Error).message).toMatch(message);
}

describe.each(STORE_KINDS)("on %s, the client refuses malformed calls and changes nothing", (kind) => {
  it("purges by filter only with a known, non-empty filter or an explicit { all: true }", { timeout: 90_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await seed(rt, 2);
    const before = await snapshot(rt!);
    const client = rt.client as unknown as { purgeBy(filter: unknown, onProgress?: unknown): Promise<number> };
    await expectRefused(() => client.purgeBy({ status: "Completed" }), /unknown key 'status'.*'statuses'/);
    await expectRefused(() => client.purgeBy("Completed"), /must be an object; received string "Completed"/);
    await expectRefused(() => client.purgeBy(undefined), /needs a filter; pass \{ all: true \}/);
    await expectRefused(() => client.purgeBy({}), /needs at least one condition.*\{ all: true \}/);
    await expectRefused(() => client.purgeBy(null), /must be an object; received null/);
    await expectRefused(() => client.purgeBy({ statuses: ["Nope"] }), /unknown runtime status "Nope"/);
    await expectRefused(() => client.purgeBy({ statuses: [] }), /at least one of Completed/);
    await expectRefused(() => client.purgeBy({ statuses: ["Running"] }), /'Running', which is not a status of a finished instance/);
    await expectRefused(() => client.purgeBy({ createdFrom: "1" }), /'createdFrom' must be an ISO 8601 date or time.*received "1"/);
    await expectRefused(() => client.purgeBy({ createdTo: "2026-02-30" }), /'createdTo' must be an ISO 8601/);
    await expectRefused(() => client.purgeBy({ all: true, statuses: ["Completed"] }), /either conditions or \{ all: true \}/);
    await expectRefused(() => client.purgeBy({ all: "yes" }), /'all' must be true/);
    await expectRefused(() => client.purgeBy({ statuses: ["Completed"] }, "not a function"), /onProgress must be a function/);
    expect(await snapshot(rt!)).toEqual(before);
    // The explicit forms work, and purge finished orchestrations only.
    expect(await rt.client.purgeBy({ statuses: ["completed" as "Completed"], instanceIdPrefix: "done-1" })).toBe(1);
    expect(await rt.client.purgeBy({ all: true })).toBe(1);
    expect((await rt.client.list()).instances.map((s) => s.instanceId)).toEqual(["held"]);
    expect((await rt.client.readEntityState(entityId(counter, "c1"))).state).toBe(2);
    await expectWorkerServes();
  });

  it("refuses an id that is not well-formed Unicode, so that no other id is stored in its place", { timeout: 90_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await seed(rt, 2);
    const before = await snapshot(rt!);
    for (const id of ["a\uD800b", "\uDC00", "x\uDBFF"]) {
      await expectRefused(() => rt!.client.startNew(hold, { instanceId: id }), /not well-formed Unicode/);
      await expectRefused(() => rt!.client.getStatus(id), /well-formed Unicode/);
      await expectRefused(() => rt!.client.raiseEvent("held", `go${id}`), /event name .*not well-formed Unicode/);
    }
    await expectRefused(() => rt!.client.signalEntity(entityId(counter, "k\uD800"), "add", 1), /entity key .*not well-formed Unicode/);
    // The store refuses it too, for callers that go around the client.
    const { startRequest } = await import("../../src/store/conformance/fixtures.js");
    await expect(rt.store.createInstance(startRequest("a\uD800b"))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await snapshot(rt!)).toEqual(before);
    // Surrogate pairs are well-formed: such an id is kept exactly.
    const emoji = "order-\u{1F600}";
    await rt.client.startNew(done, { instanceId: emoji, input: 3 });
    expect(await rt.client.waitForCompletion(emoji, { timeoutMs: 30_000 })).toMatchObject({ instanceId: emoji, output: 3 });
    await expectWorkerServes();
  });

  it("answers not-found for an entity reached through the orchestration calls", { timeout: 90_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await seed(rt, 2);
    const before = await snapshot(rt!);
    const entity = "@counter@c1";
    for (const call of [
      () => rt!.client.terminate(entity, "stop"),
      () => rt!.client.raiseEvent(entity, "Go", 1),
      () => rt!.client.suspend(entity),
      () => rt!.client.resume(entity),
      () => rt!.client.rewind(entity),
      () => rt!.client.restart(entity),
      () => rt!.client.waitForCompletion(entity, { timeoutMs: 1000 }),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InstanceNotFoundError);
    }
    expect(await rt.client.getStatus(entity)).toBeUndefined();
    expect(await rt.client.purge(entity)).toBe(0);
    expect(await snapshot(rt!)).toEqual(before);
    expect((await rt.client.readEntityState(entityId(counter, "c1"))).state).toBe(2);
    await expectWorkerServes();
  });

  it("refuses null options, unknown keys and statuses, and a timeout that is not a number", { timeout: 90_000 }, async () => {
    rt = await startRuntimeOn(kind, app);
    await seed(rt, 2);
    const before = await snapshot(rt!);
    const loose = rt.client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await expectRefused(() => loose.startNew!.call(rt!.client, hold, null), /startNew\(\) options must be an object; received null/);
    await expectRefused(() => loose.startNew!.call(rt!.client, hold, { intput: 1 }), /unknown key 'intput'/);
    await expectRefused(() => loose.startNew!.call(rt!.client, hold, { reuseFinishedId: "yes" }), /'reuseFinishedId' must be true or false/);
    await expectRefused(() => loose.list!.call(rt!.client, { statuses: ["Bogus"] }), /unknown runtime status "Bogus"/);
    await expectRefused(() => loose.list!.call(rt!.client, { status: ["Running"] }), /unknown key 'status'/);
    await expectRefused(() => loose.list!.call(rt!.client, { pageSize: 0 }), /'pageSize' must be an integer from 1 to 1000/);
    await expectRefused(() => loose.list!.call(rt!.client, { createdFrom: "yesterday" }), /ISO 8601/);
    await expectRefused(() => loose.list!.call(rt!.client, { continuationToken: "" }), /'continuationToken' must be a non-empty string/);
    await expectRefused(() => loose.list!.call(rt!.client, { createdFrom: "2026-02-01", createdTo: "2026-01-01" }), /is after 'createdTo'/);
    for (const timeoutMs of [Number.NaN, -1, Number.POSITIVE_INFINITY, "100"]) {
      await expectRefused(() => rt!.client.waitForCompletion("held", { timeoutMs: timeoutMs as number }), /'timeoutMs' must be a finite number of milliseconds/);
    }
    await expectRefused(() => rt!.client.getStatus(""), /getStatus\(\) needs an instance id/);
    await expectRefused(() => loose.terminate!.call(rt!.client, "held", "why", { recursive: 1 }), /'recursive' must be true or false/);
    await expectRefused(() => loose.cleanEntityStorage!.call(rt!.client, { removeEmpty: true }), /unknown key 'removeEmpty'/);
    await expectRefused(() => loose.listEntities!.call(rt!.client, { pageSize: 5000 }), /'pageSize' must be an integer from 1 to 1000/);
    expect(await snapshot(rt!)).toEqual(before);
    // The same calls, well formed, answer.
    const page = await rt.client.list({ statuses: ["Running"], createdFrom: new Date(0), pageSize: 10 });
    expect(page.instances.map((s) => s.instanceId)).toEqual(["held"]);
    await expect(rt.client.waitForCompletion("held", { timeoutMs: 0 })).rejects.toThrow(/did not finish within 0 ms/);
    await expectWorkerServes();
  });
});

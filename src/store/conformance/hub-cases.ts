/**
 * Conformance: work routed by name (leases that take only some names, or pass over some), finished
 * instances listed in the order they finished, and a store emptied at once (a task hub deleted).
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { LeaseLostError } from "../errors.js";
import type { FinishedInstance, Store } from "../store.js";
import {
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  createFinished,
  newTask,
  raised,
  runningWithTask,
  startRequest,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

/** Every page of finished instances, in order, following the keys. */
async function allFinished(store: Store, query: Parameters<Store["listFinishedInstances"]>[0] = {}): Promise<FinishedInstance[]> {
  const all: FinishedInstance[] = [];
  let after: FinishedInstance | undefined;
  for (;;) {
    const page = await store.listFinishedInstances({ ...query, after });
    all.push(...page.instances);
    if (!page.more) return all;
    after = page.instances[page.instances.length - 1];
  }
}

export function hubCases(factory: StoreFactory): void {
  describe("work routed by name", () => {
    const h = useStore(factory);

    it("leases only the tasks of the activities named, or all but those, compared without case", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      const tasks = [1, 2, 3].map((n) => ({ ...newTask("a", "a-e1", n), name: ["Mine", "Theirs", "mine"][n - 1]! }));
      await store.commitOrchestration(item, commitFor(item, { tasks }));
      const theirs = await store.leaseActivities({ ...WORKER, max: 10, names: { except: ["MINE"] } });
      expect(theirs.map((t) => t.name)).toEqual(["Theirs"]);
      const mine = await store.leaseActivities({ ...WORKER, max: 10, names: { only: ["mine"] } });
      expect(mine.map((t) => t.name)).toEqual(["Mine", "mine"]);
      await expect(store.leaseActivities({ ...WORKER, max: 1, names: {} as never })).rejects.toMatchObject({ name: "InvalidArgumentError" });
      await expect(store.leaseActivities({ ...WORKER, max: 1, names: { only: "mine" } as never })).rejects.toMatchObject({ name: "InvalidArgumentError" });
    });

    it("passes over the instances of the names excepted, which another worker steps", async () => {
      const { store } = h;
      await store.createInstance(startRequest("ours", { name: "Local" }));
      await store.createInstance(startRequest("theirs", { name: "Remote" }));
      await store.sendMessages([{ instanceId: "@local@k", event: raised("op"), ensureInstance: { name: "local", kind: "entity" } }]);
      const except = { orchestrations: ["local"], entities: ["LOCAL"] };
      const leased = await store.leaseOrchestration({ ...WORKER, except });
      expect(leased?.instance.instanceId).toBe("theirs");
      expect(await store.leaseOrchestration({ ...WORKER, except })).toBeUndefined();
      const stepper = new RecordingStepper((work) => commitFor(work), true);
      await store.stepOrchestration(stepper, { ...WORKER, maxInstances: 5, only: except });
      expect(stepper.calls.map((c) => c.instance.instanceId).sort()).toEqual(["@local@k", "ours"]);
      await expect(store.leaseOrchestration({ ...WORKER, except: { orchestrations: "x" } as never })).rejects.toMatchObject({ name: "InvalidArgumentError" });
    });
  });

  describe("listFinishedInstances", () => {
    const h = useStore(factory);

    it("lists finished orchestrations in the order they finished, by pages keyed on the last one", async () => {
      const { store, clock } = h;
      await createFinished(store, "b", "Completed");
      clock.advance(10);
      await createFinished(store, "a", "Failed", { failureDetails: { errorType: "E", errorMessage: "m" } });
      await createFinished(store, "c", "Terminated");
      await store.createInstance(startRequest("running"));
      await store.sendMessages([{ instanceId: "@e@k", event: raised("op"), ensureInstance: { name: "e", kind: "entity" } }]);
      const first = await store.listFinishedInstances({ pageSize: 2 });
      expect(first).toEqual({
        instances: [
          { instanceId: "b", completedAt: clock.iso(-10) },
          { instanceId: "a", completedAt: clock.iso() },
        ],
        more: true,
      });
      // One that finishes after the key was handed out comes after it.
      clock.advance(10);
      await createFinished(store, "0-late", "Completed");
      const rest = await store.listFinishedInstances({ pageSize: 2, after: first.instances[1] });
      expect(rest).toEqual({ instances: [{ instanceId: "c", completedAt: clock.iso(-10) }, { instanceId: "0-late", completedAt: clock.iso() }], more: false });
      expect((await allFinished(store, { pageSize: 1 })).map((i) => i.instanceId)).toEqual(["b", "a", "c", "0-late"]);
    });

    it("filters by terminal status and by a completion window whose end is excluded", async () => {
      const { store, clock } = h;
      const start = clock.iso();
      await createFinished(store, "early", "Completed");
      clock.advance(1000);
      await createFinished(store, "failed", "Failed", { failureDetails: { errorType: "E", errorMessage: "m" } });
      await createFinished(store, "done", "Completed");
      clock.advance(1000);
      await createFinished(store, "late", "Completed");
      const ids = async (query: Parameters<Store["listFinishedInstances"]>[0]) => (await allFinished(store, query)).map((i) => i.instanceId);
      expect(await ids({ statuses: ["Completed"] })).toEqual(["early", "done", "late"]);
      expect(await ids({ statuses: ["Running", "Pending"] })).toEqual([]);
      expect(await ids({ completedFrom: clock.iso(-1000), completedTo: clock.iso() })).toEqual(["done", "failed"]);
      expect(await ids({ completedFrom: start, completedTo: clock.iso(-1000) })).toEqual(["early"]);
      await expect(store.listFinishedInstances({ pageSize: 0 })).rejects.toMatchObject({ name: "InvalidArgumentError" });
      await expect(store.listFinishedInstances({ completedFrom: "yesterday" })).rejects.toMatchObject({ name: "InvalidArgumentError" });
    });
  });

  describe("deleteAllInstances", () => {
    const h = useStore(factory);

    it("deletes every instance and entity with its history, messages and tasks, and any lease on them", async () => {
      const { store, clock } = h;
      await createFinished(store, "done", "Completed");
      const { task } = await runningWithTask(store, "busy");
      await store.sendMessages([{ instanceId: "@e@k", event: raised("op"), ensureInstance: { name: "e", kind: "entity" } }]);
      await store.createInstance(startRequest("later", { scheduledStartAt: clock.iso(60_000) }));
      const held = await createAndLease(store, "held");
      expect(await store.deleteAllInstances()).toBe(5);
      for (const id of ["done", "busy", "@e@k", "later", "held"]) expect(await store.getInstance(id)).toBeUndefined();
      expect((await store.getHistory("done")).events).toEqual([]);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      expect(await store.leaseActivities({ ...WORKER, max: 10 })).toEqual([]);
      expect(await store.nextWakeUp()).toBeUndefined();
      await expect(store.completeActivity(task, { ok: true })).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.commitOrchestration(held, commitFor(held))).rejects.toBeInstanceOf(LeaseLostError);
      // The store goes on as a new one.
      await store.createInstance(startRequest("done"));
      expect((await store.leaseOrchestration(WORKER))?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
      expect(await store.deleteAllInstances()).toBe(1);
    });
  });
}

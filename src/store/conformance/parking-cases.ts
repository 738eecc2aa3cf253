/**
 * Conformance: one instance that cannot be processed never stops the others (store.ts, invariant
 * 7). An instance on which the stepper throws is set aside — Failed with an
 * UnprocessableInstanceError, its history and inbox kept, its parent told, never handed out
 * again — and the call goes on with the next ready instance. Unreadable stored rows take the same
 * path; they are written around the port, so each adapter's own suite covers them.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { StoreErrorCode, UnprocessableInstanceError } from "../errors.js";
import type { StepInput } from "../store.js";
import {
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  peekInbox,
  runningWithTask,
  startRequest,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

const boom = new Error("the episode threw");

/** Throws on the instances named, commits the others with their messages as history. */
function throwingOn(...ids: string[]): RecordingStepper {
  return new RecordingStepper((work: StepInput) => {
    if (ids.includes(work.instance.instanceId)) throw boom;
    return commitFor(work, { history: work.messages.map((m) => m.event) });
  });
}

export function parkingCases(factory: StoreFactory): void {
  describe("an instance that cannot be processed is set aside (inv. 7)", () => {
    const h = useStore(factory);

    it("fails the instance the stepper throws on, steps the next one in the same call, and never hands it out again", async () => {
      const { store } = h;
      await store.createInstance(startRequest("bad"));
      await store.createInstance(startRequest("good"));
      const stepper = throwingOn("bad");
      const result = await store.stepOrchestration(stepper, { ...WORKER, maxInstances: 10 });
      expect(result?.parked).toHaveLength(1);
      const parked = result!.parked![0]!;
      expect(parked).toBeInstanceOf(UnprocessableInstanceError);
      expect(parked).toMatchObject({ code: StoreErrorCode.UnprocessableInstance, instanceId: "bad", cause: boom });
      expect(await store.getInstance("good")).toMatchObject({ status: "Running" });
      const bad = await store.getInstance("bad");
      expect(bad).toMatchObject({ status: "Failed", failureDetails: { errorType: "UnprocessableInstanceError" } });
      expect(bad!.failureDetails!.errorMessage).toContain("the episode threw");
      expect(bad!.failureDetails!.innerFailure).toMatchObject({ errorMessage: "the episode threw" });
      // Its inbox and history are as they were; nobody takes it again.
      expect((await store.getHistory("bad")).events).toEqual([]);
      expect(await store.stepOrchestration(stepper, { ...WORKER, maxInstances: 10 })).toBeUndefined();
      expect(await peekInbox(store)).toBeUndefined();
      expect(stepper.calls.filter((c) => c.instance.instanceId === "bad")).toHaveLength(1);
      // Its lease never expires, so it is nothing to wake up for.
      expect(await store.nextWakeUp()).toBeUndefined();
      // A finished instance: it can be purged.
      expect(await store.purgeInstance("bad")).toBe(1);
    });

    it("tells the parent of a child that is set aside", async () => {
      const { store } = h;
      const parent = await createAndLease(store, "parent");
      const child = startRequest("parent:1", { parent: { name: "Flow", instanceId: "parent", executionId: parent.instance.executionId, taskScheduledId: 1 } });
      await store.commitOrchestration(parent, commitFor(parent, { history: parent.messages.map((m) => m.event), children: [child] }));
      const result = await store.stepOrchestration(throwingOn("parent:1"), WORKER);
      expect(result?.parked?.map((e) => e.instanceId)).toEqual(["parent:1"]);
      const notice = await store.leaseOrchestration(WORKER);
      expect(notice?.instance.instanceId).toBe("parent");
      expect(notice?.messages.map((m) => m.event)).toEqual([
        expect.objectContaining({ type: "SubOrchestrationInstanceFailed", taskScheduledId: 1, failureDetails: expect.objectContaining({ errorType: "UnprocessableInstanceError" }) }),
      ]);
    });

    it("keeps the outcome of a completion whose episode throws, for a rewind to carry on with", async () => {
      const { store } = h;
      const { executionId, task } = await runningWithTask(store, "main");
      const result = await store.completeActivity(task, { ok: true, result: '"done"' }, throwingOn("main"));
      expect(result?.parked?.map((e) => e.instanceId)).toEqual(["main"]);
      expect(await store.getInstance("main")).toMatchObject({ status: "Failed" });
      expect(await peekInbox(store)).toBeUndefined();
      const history = (await store.getHistory("main")).events;
      await store.rewind({ instanceId: "main", executionId, history, tasks: [], messages: [] });
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.instance).toMatchObject({ instanceId: "main", status: "Running" });
      expect(item?.messages.map((m) => m.event)).toEqual([expect.objectContaining({ type: "TaskCompleted", taskScheduledId: 1, result: '"done"' })]);
    });

    it("sets aside a new instance whose first episode throws, in the start itself", async () => {
      const { store } = h;
      const result = await store.createInstance(startRequest("first"), throwingOn("first"));
      // A store that runs the first episode with the start reports it; one that leaves it to the loop does not.
      if (result?.parked !== undefined) {
        expect(result.parked.map((e) => e.instanceId)).toEqual(["first"]);
      } else {
        expect((await store.stepOrchestration(throwingOn("first"), WORKER))?.parked?.map((e) => e.instanceId)).toEqual(["first"]);
      }
      expect(await store.getInstance("first")).toMatchObject({ status: "Failed", failureDetails: { errorType: "UnprocessableInstanceError" } });
    });
  });
}

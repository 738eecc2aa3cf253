/**
 * Conformance: activity tasks — leases and their expiry (inv. 6), results applied exactly once
 * (inv. 3), and the stepped fast path of `completeActivity`.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { newEvent } from "../../core/history.js";
import { InvalidArgumentError } from "../../core/errors.js";
import { LeaseLostError } from "../errors.js";
import { INLINE_MESSAGE_ID } from "../store.js";
import {
  refusedCommit,
  OTHER_WORKER,
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  newTask,
  peekInbox,
  raised,
  runningWithTask,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

export function activityCases(factory: StoreFactory): void {
  describe("activity leases (inv. 2, inv. 6)", () => {
    const h = useStore(factory);

    it("leases up to max tasks, oldest first, each once while its lease lives", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const tasks = [1, 2, 3].map((id) => newTask("a", "a-e1", id));
      await store.commitOrchestration(item, commitFor(item, { tasks }));
      const first = await store.leaseActivities({ ...WORKER, max: 2 });
      expect(first.map((t) => t.taskId)).toEqual([1, 2]);
      expect(first[0]).toMatchObject({ instanceId: "a", executionId: "a-e1", name: "Task1", input: '"in-1"', dequeueCount: 1 });
      expect(Date.parse(first[0]!.lockedUntil)).toBe(clock.now() + WORKER.leaseMs);
      expect(new Set(first.map((t) => t.lockToken)).size).toBe(2);
      expect((await store.leaseActivities({ ...OTHER_WORKER, max: 5 })).map((t) => t.taskId)).toEqual([3]);
      expect(await store.leaseActivities({ ...OTHER_WORKER, max: 5 })).toEqual([]);
    });

    it("hands a task out again after its lease expires, counting the dequeues", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      expect(await store.nextWakeUp()).toBe(Date.parse(task.lockedUntil));
      clock.advance(WORKER.leaseMs - 1);
      expect(await store.leaseActivities({ ...OTHER_WORKER, max: 1 })).toEqual([]);
      clock.advance(2);
      const [again] = await store.leaseActivities({ ...OTHER_WORKER, max: 1 });
      expect(again).toMatchObject({ id: task.id, taskId: 1, dequeueCount: 2 });
      expect(again?.lockToken).not.toBe(task.lockToken);
    });

    it("refuses the complete, abandon and renewal of a holder whose task lease was taken over", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      clock.advance(WORKER.leaseMs + 1);
      const [current] = await store.leaseActivities({ ...OTHER_WORKER, max: 1 });
      await expect(store.completeActivity(task, { ok: true, result: "1" })).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.abandonActivity(task)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.renewActivityLease(task, 1000)).rejects.toBeInstanceOf(LeaseLostError);
      expect(await peekInbox(store)).toBeUndefined();
      await store.completeActivity(current!, { ok: true, result: "2" });
      expect((await peekInbox(store))?.messages.map((m) => m.event)).toMatchObject([{ type: "TaskCompleted", result: "2" }]);
    });

    it("keeps a renewed task lease past its first expiry", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      clock.advance(WORKER.leaseMs - 1);
      const renewed = await store.renewActivityLease(task, WORKER.leaseMs);
      expect(Date.parse(renewed.lockedUntil)).toBe(clock.now() + WORKER.leaseMs);
      clock.advance(2);
      expect(await store.leaseActivities({ ...OTHER_WORKER, max: 1 })).toEqual([]);
      await store.completeActivity(renewed, { ok: true });
    });

    it("hands an abandoned task out again at once, or after delayMs", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      await store.abandonActivity(task);
      const [again] = await store.leaseActivities({ ...OTHER_WORKER, max: 1 });
      expect(again).toMatchObject({ id: task.id, dequeueCount: 2 });
      await store.abandonActivity(again!, 10_000);
      expect(await store.leaseActivities({ ...WORKER, max: 1 })).toEqual([]);
      expect(await store.nextWakeUp()).toBe(clock.now() + 10_000);
      clock.advance(10_000);
      expect(await store.leaseActivities({ ...WORKER, max: 1 })).toMatchObject([{ id: task.id, dequeueCount: 3 }]);
    });

    it("returns tasks enqueued with a lease as already leased work items", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const lease = { workerId: "worker-a", leaseMs: 1000 };
      const result = await store.commitOrchestration(item, commitFor(item, { tasks: [newTask("a", "a-e1", 1, lease), newTask("a", "a-e1", 2)] }));
      expect(result.leasedTasks).toHaveLength(1);
      const [leased] = result.leasedTasks;
      expect(leased).toMatchObject({ instanceId: "a", executionId: "a-e1", taskId: 1, name: "Task1", input: '"in-1"', dequeueCount: 1 });
      expect(Date.parse(leased!.lockedUntil)).toBe(clock.now() + 1000);
      expect((await store.leaseActivities({ ...OTHER_WORKER, max: 5 })).map((t) => t.taskId)).toEqual([2]);
      await store.completeActivity(leased!, { ok: true, result: '"r"' });
      expect((await peekInbox(store))?.messages[0]?.event).toMatchObject({ type: "TaskCompleted", taskScheduledId: 1 });
    });
  });

  describe("results applied exactly once (inv. 3)", () => {
    const h = useStore(factory);

    it("delivers an outcome as TaskCompleted or TaskFailed, stamped now", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      await store.commitOrchestration(item, commitFor(item, { tasks: [newTask("a", "a-e1", 1), newTask("a", "a-e1", 2)] }));
      const [t1, t2] = await store.leaseActivities({ ...WORKER, max: 2 });
      clock.advance(5);
      const failure = { errorType: "Error", errorMessage: "no" };
      expect(await store.completeActivity(t1!, { ok: true })).toBeUndefined();
      await store.completeActivity(t2!, { ok: false, failureDetails: failure });
      const inbox = await peekInbox(store);
      expect(inbox?.messages.map((m) => m.event)).toStrictEqual([
        newEvent("TaskCompleted", clock.iso(), { taskScheduledId: 1 }),
        newEvent("TaskFailed", clock.iso(), { taskScheduledId: 2, failureDetails: failure }),
      ]);
      expect(inbox?.messages[0]?.executionId).toBe("a-e1");
    });

    it("refuses a second completion of the same task", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      await store.completeActivity(task, { ok: true, result: "1" });
      await expect(store.completeActivity(task, { ok: true, result: "1" })).rejects.toBeInstanceOf(LeaseLostError);
      expect((await peekInbox(store))?.messages).toHaveLength(1);
    });

    it("applies one result when a task was delivered to two workers", async () => {
      const { store, clock } = h;
      const { task: first } = await runningWithTask(store, "a");
      clock.advance(WORKER.leaseMs + 1);
      const [second] = await store.leaseActivities({ ...OTHER_WORKER, max: 1 });
      await store.completeActivity(second!, { ok: true, result: '"second"' });
      await expect(store.completeActivity(first, { ok: true, result: '"first"' })).rejects.toBeInstanceOf(LeaseLostError);
      expect((await peekInbox(store))?.messages.map((m) => m.event)).toMatchObject([{ type: "TaskCompleted", result: '"second"' }]);
      expect(await store.leaseActivities({ ...WORKER, max: 5 })).toEqual([]);
    });

    it("refuses the completion of a task whose instance was purged", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      const result = await store.commitOrchestration(
        item,
        commitFor(item, { status: "Completed", tasks: [newTask("a", "a-e1", 1, { workerId: "w", leaseMs: 1000 })] }),
      );
      await store.purgeInstance("a");
      await expect(store.completeActivity(result.leasedTasks[0]!, { ok: true })).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.getInstance("a")).toBeUndefined();
    });
  });

  describe("completeActivity with a stepper (one commit per step)", () => {
    const h = useStore(factory);

    it("runs the stepper with the inbox and the outcome as the inline message, and applies its commit", async () => {
      const { store, clock } = h;
      const { task } = await runningWithTask(store, "a");
      await store.sendMessages([{ instanceId: "a", event: raised("before") }]);
      clock.advance(7);
      const stepper = new RecordingStepper((work) =>
        commitFor(work, { history: work.messages.map((m) => m.event), status: "Completed", output: '"ok"' }),
      );
      const result = await store.completeActivity(task, { ok: true, result: '"r"' }, stepper);
      expect(result).toEqual({ leasedTasks: [] });
      const work = stepper.calls[0]!;
      expect(work.now).toBe(clock.iso());
      expect(work.messages.map((m) => m.event.type)).toEqual(["EventRaised", "TaskCompleted"]);
      expect(work.messages[1]).toStrictEqual({
        id: INLINE_MESSAGE_ID,
        instanceId: "a",
        executionId: "a-e1",
        event: newEvent("TaskCompleted", clock.iso(), { taskScheduledId: 1, result: '"r"' }),
        visibleAt: clock.iso(),
      });
      expect(work.history).toHaveLength(2);
      expect(await store.getInstance("a")).toMatchObject({ status: "Completed", output: '"ok"', completedAt: clock.iso() });
      expect(await peekInbox(store)).toBeUndefined();
      await expect(store.completeActivity(task, { ok: true }, stepper)).rejects.toBeInstanceOf(LeaseLostError);
    });

    it("puts the outcome in the inbox when another worker holds the instance", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      await store.sendMessages([{ instanceId: "a", event: raised("e") }]);
      const held = await store.leaseOrchestration(OTHER_WORKER);
      const stepper = new RecordingStepper((work) => commitFor(work));
      expect(await store.completeActivity(task, { ok: true, result: "1" }, stepper)).toBeUndefined();
      expect(stepper.calls).toEqual([]);
      await store.commitOrchestration(held!, commitFor(held!));
      expect((await peekInbox(store))?.messages.map((m) => m.event)).toMatchObject([{ type: "TaskCompleted", result: "1" }]);
    });

    it("completes the task and keeps the outcome in the inbox when the stepper declines", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      expect(await store.completeActivity(task, { ok: true }, new RecordingStepper(() => undefined))).toBeUndefined();
      expect((await peekInbox(store))?.messages.map((m) => m.event.type)).toEqual(["TaskCompleted"]);
      await expect(store.completeActivity(task, { ok: true })).rejects.toBeInstanceOf(LeaseLostError);
    });

    it("changes nothing when the stepped commit is refused: the task stays leased", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      const failing = new RecordingStepper(refusedCommit);
      await expect(store.completeActivity(task, { ok: true }, failing)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(failing.discards).toBe(1);
      expect(await peekInbox(store)).toBeUndefined();
      await store.completeActivity(task, { ok: true });
      expect((await peekInbox(store))?.messages).toHaveLength(1);
    });

    it("keeps an inline message the episode did not consume", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      const stepper = new RecordingStepper((work) => commitFor(work, { consumedMessageIds: [] }));
      await store.completeActivity(task, { ok: true }, stepper);
      expect((await peekInbox(store))?.messages.map((m) => m.event.type)).toEqual(["TaskCompleted"]);
    });

    it("returns the tasks the stepped commit leased", async () => {
      const { store } = h;
      const { task } = await runningWithTask(store, "a");
      const stepper = new RecordingStepper((work) =>
        commitFor(work, { tasks: [newTask("a", "a-e1", 2, { workerId: "worker-a", leaseMs: 1000 })] }),
      );
      const result = await store.completeActivity(task, { ok: true }, stepper);
      expect(result?.leasedTasks).toMatchObject([{ taskId: 2, dequeueCount: 1 }]);
    });
  });
}

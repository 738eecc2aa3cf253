/**
 * Conformance: orchestration episodes — atomic commits (inv. 1), fencing (inv. 2), recovery by
 * lease expiry (inv. 6), and the stepped path (`stepOrchestration`).
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { InstanceExistsError, LeaseLostError } from "../errors.js";
import type { InstanceNames, StoreEvent } from "../store.js";
import { InvalidArgumentError } from "../../core/errors.js";
import {
  OTHER_WORKER,
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  newTask,
  orchestratorStarted,
  raised,
  startRequest,
  taskScheduled,
  timerFired,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

export function episodeCases(factory: StoreFactory): void {
  describe("atomic commits (inv. 1)", () => {
    const h = useStore(factory);

    it("applies history, consumed messages, tasks, messages, children and the row together", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("other"));
      const item = await createAndLease(store, "main");
      const history = [orchestratorStarted(clock.iso()), item.messages[0]!.event, taskScheduled(1, "Task1")];
      clock.advance(10);
      await store.commitOrchestration(
        item,
        commitFor(item, {
          history,
          customStatus: '"busy"',
          tasks: [newTask("main", item.instance.executionId, 1)],
          messages: [{ instanceId: "other", event: raised("ping") }],
          children: [startRequest("main:2", { parent: { name: "Flow", instanceId: "main", taskScheduledId: 2 } })],
        }),
      );
      expect((await store.getHistory("main")).events).toEqual(history);
      const row = await store.getInstance("main");
      expect(row).toMatchObject({ status: "Running", customStatus: '"busy"', lastUpdatedAt: clock.iso() });
      expect(await store.getInstance("main:2")).toMatchObject({ status: "Pending", parent: { instanceId: "main" } });
      const [task] = await store.leaseActivities({ ...WORKER, max: 10 });
      expect(task).toMatchObject({ instanceId: "main", taskId: 1, name: "Task1", input: '"in-1"' });
      const other = await store.leaseOrchestration(WORKER);
      expect(other?.instance.instanceId).toBe("other");
      expect(other?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted", "EventRaised"]);
    });

    it("changes nothing when any part of a commit fails", async () => {
      const { store } = h;
      await store.createInstance(startRequest("other"));
      const item = await createAndLease(store, "main");
      const commit = commitFor(item, {
        history: [item.messages[0]!.event],
        status: "Completed",
        output: '"done"',
        tasks: [newTask("main", item.instance.executionId, 1)],
        children: [startRequest("main:1", { parent: { name: "Flow", instanceId: "main", taskScheduledId: 1 } })],
        // Written last, and not a time: the store must refuse the whole commit.
        messages: [{ instanceId: "other", event: raised("x") }, { instanceId: "other", event: raised("y"), visibleAt: "not a time" }],
      });
      await expect(store.commitOrchestration(item, commit)).rejects.toThrow();
      expect((await store.getHistory("main")).events).toEqual([]);
      expect(await store.getInstance("main")).toMatchObject({ status: "Pending" });
      expect(await store.getInstance("main:1")).toBeUndefined();
      expect(await store.leaseActivities({ ...WORKER, max: 10 })).toEqual([]);
      // The lease still holds and the messages are still there: the holder can commit again.
      await store.commitOrchestration(item, commitFor(item, { history: [item.messages[0]!.event] }));
      const other = await store.leaseOrchestration(WORKER);
      expect(other?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
    });
  });

  describe("fencing (inv. 2)", () => {
    const h = useStore(factory);

    it("hands an instance to one worker at a time", async () => {
      const { store } = h;
      await createAndLease(store, "a");
      expect(await store.leaseOrchestration(OTHER_WORKER)).toBeUndefined();
      expect(await store.stepOrchestration(new RecordingStepper(() => undefined), OTHER_WORKER)).toBeUndefined();
    });

    it("refuses the commit, abandon and renewal of a holder whose lease was taken over", async () => {
      const { store, clock } = h;
      const stale = await createAndLease(store, "a");
      clock.advance(WORKER.leaseMs + 1);
      const current = await store.leaseOrchestration(OTHER_WORKER);
      expect(current?.instance.instanceId).toBe("a");
      const staleCommit = commitFor(stale, { history: [stale.messages[0]!.event], status: "Completed" });
      await expect(store.commitOrchestration(stale, staleCommit)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.abandonOrchestration(stale)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.renewOrchestrationLease(stale, 1000)).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending" });
      expect((await store.getHistory("a")).events).toEqual([]);
      await store.commitOrchestration(current!, commitFor(current!, { history: [current!.messages[0]!.event] }));
      expect((await store.getHistory("a")).events).toHaveLength(1);
    });

    it("refuses a second commit with a released token", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      await store.commitOrchestration(item, commitFor(item));
      await expect(store.commitOrchestration(item, commitFor(item))).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.abandonOrchestration(item)).rejects.toBeInstanceOf(LeaseLostError);
    });

    it("accepts a commit after expiry while nobody else took the lease", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      clock.advance(WORKER.leaseMs + 1);
      await store.commitOrchestration(item, commitFor(item, { status: "Completed", output: '"late"' }));
      expect(await store.getInstance("a")).toMatchObject({ status: "Completed", output: '"late"' });
    });

    it("refuses the commit of a holder whose instance was purged", async () => {
      const { store } = h;
      const first = await createAndLease(store, "a");
      await store.commitOrchestration(first, commitFor(first, { status: "Completed" }));
      await store.sendMessages([{ instanceId: "a", event: raised("late") }]);
      const item = await store.leaseOrchestration(WORKER);
      expect(await store.purgeInstance("a")).toBe(1);
      await expect(store.commitOrchestration(item!, commitFor(item!))).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.getInstance("a")).toBeUndefined();
    });

    it("keeps a renewed lease past its first expiry", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      clock.advance(WORKER.leaseMs - 1);
      const renewed = await store.renewOrchestrationLease(item, WORKER.leaseMs);
      expect(Date.parse(renewed.lockedUntil)).toBe(clock.now() + WORKER.leaseMs);
      clock.advance(2);
      expect(await store.leaseOrchestration(OTHER_WORKER)).toBeUndefined();
      await store.commitOrchestration(renewed, commitFor(renewed));
    });
  });

  describe("crash recovery by lease expiry (inv. 6)", () => {
    const h = useStore(factory);

    it("hands a leased instance out again after leaseMs, with the same messages", async () => {
      const { store, clock } = h;
      const first = await createAndLease(store, "a");
      expect(Date.parse(first.lockedUntil)).toBe(clock.now() + WORKER.leaseMs);
      clock.advance(WORKER.leaseMs - 1);
      expect(await store.leaseOrchestration(OTHER_WORKER)).toBeUndefined();
      expect(await store.nextWakeUp()).toBe(Date.parse(first.lockedUntil));
      clock.advance(2);
      const again = await store.leaseOrchestration(OTHER_WORKER);
      expect(again?.instance.instanceId).toBe("a");
      expect(again?.messages).toEqual(first.messages);
      expect(again?.lockToken).not.toBe(first.lockToken);
    });

    it("releases the instance at once on abandon, or after delayMs", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      await store.abandonOrchestration(item);
      const again = await store.leaseOrchestration(OTHER_WORKER);
      expect(again?.messages).toEqual(item.messages);
      await store.abandonOrchestration(again!, 5000);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      expect(await store.nextWakeUp()).toBe(clock.now() + 5000);
      clock.advance(5000);
      expect((await store.leaseOrchestration(WORKER))?.messages.map((m) => m.event)).toEqual(
        item.messages.map((m) => m.event),
      );
    });
  });

  describe("leasing order and the stepped path", () => {
    const h = useStore(factory);

    it("leases the instance whose oldest visible message is oldest", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("first"));
      clock.advance(1);
      await store.createInstance(startRequest("second"));
      const a = await store.leaseOrchestration(WORKER);
      const b = await store.leaseOrchestration(WORKER);
      expect([a?.instance.instanceId, b?.instance.instanceId]).toEqual(["first", "second"]);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
    });

    it("returns undefined when nothing is ready", async () => {
      const stepper = new RecordingStepper(() => undefined);
      expect(await h.store.stepOrchestration(stepper, WORKER)).toBeUndefined();
      expect(stepper.calls).toEqual([]);
    });

    it("steps an instance and applies the commit in one call", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("a", { input: '"x"' }));
      const stepper = new RecordingStepper((work) =>
        commitFor(work, {
          history: [orchestratorStarted(work.now), work.messages[0]!.event],
          tasks: [newTask("a", work.instance.executionId, 1, { workerId: "worker-a", leaseMs: 1000 })],
        }),
      );
      const result = await store.stepOrchestration(stepper, WORKER);
      expect(stepper.calls).toHaveLength(1);
      const work = stepper.calls[0]!;
      expect(work).toMatchObject({ now: clock.iso(), history: [], instance: { instanceId: "a", input: '"x"' } });
      expect(work.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
      expect(result?.leasedTasks).toMatchObject([{ instanceId: "a", taskId: 1, dequeueCount: 1 }]);
      expect((await store.getHistory("a")).events).toHaveLength(2);
      expect(await store.stepOrchestration(stepper, WORKER)).toBeUndefined();
    });

    it("reads history only for a stepper that runs cold", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      const history = [orchestratorStarted(h.clock.iso()), item.messages[0]!.event];
      await store.commitOrchestration(item, commitFor(item, { history }));
      await store.sendMessages([{ instanceId: "a", event: raised("e1") }]);
      const cold = new RecordingStepper(() => undefined, false);
      await store.stepOrchestration(cold, WORKER);
      expect(cold.calls[0]?.history).toEqual(history);
      const warm = new RecordingStepper(() => undefined, true);
      await store.stepOrchestration(warm, WORKER);
      expect(warm.calls[0]?.history).toBeUndefined();
    });

    it("runs the first episode in the start's transaction, on the instance as it is created", async () => {
      const { store, clock } = h;
      const events: StoreEvent[] = [];
      const unsubscribe = store.subscribe((event) => events.push(event));
      const stepper = new RecordingStepper((work) =>
        commitFor(work, {
          history: [orchestratorStarted(work.now), work.messages[0]!.event, taskScheduled(1, "Task1")],
          tasks: [newTask("a", work.instance.executionId, 1, { workerId: "worker-a", leaseMs: 1000 })],
        }),
      );
      const request = startRequest("a", { input: '"x"', version: "2" });
      const result = await store.createInstance(request, stepper);
      unsubscribe();
      expect(stepper.calls).toHaveLength(1);
      const work = stepper.calls[0]!;
      expect(work.instance).toEqual({
        instanceId: "a",
        kind: "orchestration",
        name: "Flow",
        version: "2",
        executionId: "a-e1",
        status: "Pending",
        input: '"x"',
        createdAt: clock.iso(),
        lastUpdatedAt: clock.iso(),
      });
      expect(work).toMatchObject({ now: clock.iso(), history: [] });
      expect(work.messages.map((m) => m.event)).toEqual([request.startEvent]);
      expect(result?.leasedTasks).toMatchObject([{ instanceId: "a", taskId: 1, name: "Task1", dequeueCount: 1 }]);
      expect(await store.getInstance("a")).toMatchObject({ status: "Running" });
      expect((await store.getHistory("a")).events.map((e) => e.type)).toEqual(["OrchestratorStarted", "ExecutionStarted", "TaskScheduled"]);
      // The start message was consumed with it: nothing is left to step, and nobody was woken for it.
      expect(await store.stepOrchestration(new RecordingStepper(() => undefined), WORKER)).toBeUndefined();
      expect(events.filter((e) => e.kind === "work")).toEqual([]);
      expect(events).toContainEqual(expect.objectContaining({ kind: "instance", instanceId: "a", status: "Running" }));
      expect(await store.leaseActivities({ ...WORKER, max: 10 })).toEqual([]);
    });

    it("applies a first episode that starts a child and sets a timer, as a stepped one", async () => {
      const { store, clock } = h;
      const fireAt = clock.iso(5000);
      const stepper = new RecordingStepper((work) =>
        commitFor(work, {
          history: [orchestratorStarted(work.now), work.messages[0]!.event],
          children: [startRequest("a:1", { parent: { name: "Flow", instanceId: "a", taskScheduledId: 1 } })],
          messages: [{ instanceId: "a", executionId: work.instance.executionId, event: timerFired(2, fireAt), visibleAt: fireAt }],
        }),
      );
      expect(await store.createInstance(startRequest("a"), stepper)).toEqual({ leasedTasks: [] });
      expect(await store.getInstance("a")).toMatchObject({ status: "Running" });
      expect(await store.getInstance("a:1")).toMatchObject({ status: "Pending", parent: { instanceId: "a", taskScheduledId: 1 } });
      expect(await store.nextWakeUp()).toBe(Date.parse(fireAt));
      // The child is ready; the parent is not until its timer fires.
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.instance.instanceId).toBe("a:1");
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      clock.advance(5000);
      const fired = await store.leaseOrchestration(WORKER);
      expect(fired?.instance.instanceId).toBe("a");
      expect(fired?.messages.map((m) => m.event.type)).toEqual(["TimerFired"]);
    });

    it("creates a plain start when the stepper declines or the start is for later", async () => {
      const { store, clock } = h;
      const declining = new RecordingStepper(() => undefined);
      expect(await store.createInstance(startRequest("a"), declining)).toBeUndefined();
      expect(declining.calls).toHaveLength(1);
      const never = new RecordingStepper(() => {
        throw new Error("a start for later must not be stepped");
      });
      expect(await store.createInstance(startRequest("later", { scheduledStartAt: clock.iso(5000) }), never)).toBeUndefined();
      expect(never.calls).toEqual([]);
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending" });
      expect(await store.getInstance("later")).toMatchObject({ status: "Pending" });
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.instance.instanceId).toBe("a");
      expect(item?.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
    });

    it("refuses a taken id with nothing written, and tells a stepper that ran", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a", { input: '"first"' }));
      const stepper = new RecordingStepper((work) =>
        commitFor(work, {
          history: [orchestratorStarted(work.now), work.messages[0]!.event],
          tasks: [newTask("a", work.instance.executionId, 1, { workerId: "worker-a", leaseMs: 1000 })],
        }),
      );
      await expect(store.createInstance(startRequest("a", { executionId: "a-e2" }), stepper)).rejects.toBeInstanceOf(InstanceExistsError);
      expect(stepper.discards).toBe(stepper.calls.length);
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending", executionId: "a-e1", input: '"first"' });
      expect((await store.getHistory("a")).events).toEqual([]);
      expect(await store.leaseActivities({ ...WORKER, max: 10 })).toEqual([]);
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.messages.map((m) => m.executionId)).toEqual(["a-e1"]);
    });

    it("looks only at instances of the names given, compared without case", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("remote", { name: "RemoteFlow" }));
      await store.sendMessages([{ instanceId: "@other@k", event: raised("op"), ensureInstance: { name: "other", kind: "entity" } }]);
      clock.advance(1);
      await store.sendMessages([{ instanceId: "@counter@k1", event: raised("op"), ensureInstance: { name: "counter", kind: "entity" } }]);
      clock.advance(1);
      await store.createInstance(startRequest("local", { name: "LOCALFLOW" }));
      const stepper = new RecordingStepper((w) => commitFor(w, { history: [w.messages[0]!.event] }));
      const only = { orchestrations: ["LocalFlow"], entities: ["Counter"] };
      await store.stepOrchestration(stepper, { ...WORKER, maxInstances: 10, only });
      expect(stepper.calls.map((c) => c.instance.instanceId).sort()).toEqual(["@counter@k1", "local"]);
      // The others wait for whoever runs them.
      const rest = new RecordingStepper((w) => commitFor(w, { history: [w.messages[0]!.event] }));
      await store.stepOrchestration(rest, { ...WORKER, maxInstances: 10 });
      expect(rest.calls.map((c) => c.instance.instanceId).sort()).toEqual(["@other@k", "remote"]);
    });

    it("refuses names that are not lists of strings, with nothing stepped", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const stepper = new RecordingStepper((w) => commitFor(w));
      const bad = { orchestrations: "Flow", entities: [] } as unknown as InstanceNames;
      await expect(store.stepOrchestration(stepper, { ...WORKER, only: bad })).rejects.toThrow(/only\.orchestrations must be a list of names/);
      const worse = { orchestrations: ["Flow"], entities: [7] } as unknown as InstanceNames;
      await expect(store.stepOrchestration(stepper, { ...WORKER, only: worse })).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(stepper.calls).toEqual([]);
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending" });
    });

    it("leaves the instance as it was when the stepper returns undefined", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      expect(await store.stepOrchestration(new RecordingStepper(() => undefined), WORKER)).toBeUndefined();
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending" });
      expect((await store.leaseOrchestration(WORKER))?.messages).toHaveLength(1);
    });
  });
}

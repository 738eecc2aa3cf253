/**
 * Conformance: rewind, wake-ups, store events and closing.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../core/errors.js";
import { InstanceNotFoundError, InvalidInstanceStateError, StoreClosedError } from "../errors.js";
import type { StoreEvent } from "../store.js";
import {
  refusedCommit,
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  createFinished,
  leaseInstance,
  newTask,
  raised,
  startRequest,
  timerFired,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

export function lifecycleCases(factory: StoreFactory): void {
  describe("rewind", () => {
    const h = useStore(factory);
    const failure = { errorType: "Error", errorMessage: "it broke" };

    it("refuses a missing instance, one that did not fail, and another execution", async () => {
      const { store } = h;
      const request = { instanceId: "a", executionId: "a-e1", history: [], tasks: [], messages: [] };
      await expect(store.rewind(request)).rejects.toBeInstanceOf(InstanceNotFoundError);
      await createFinished(store, "a", "Completed");
      await expect(store.rewind(request)).rejects.toMatchObject({ name: "InvalidInstanceStateError", status: "Completed" });
      await createFinished(store, "b", "Failed", { failureDetails: failure });
      const other = store.rewind({ ...request, instanceId: "b", executionId: "b-old" });
      await expect(other).rejects.toBeInstanceOf(InvalidInstanceStateError);
      expect(await store.getInstance("b")).toMatchObject({ status: "Failed" });
    });

    it("replaces the history, sets the instance Running and enqueues the work again", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      await store.commitOrchestration(
        item,
        commitFor(item, { history: [item.messages[0]!.event, raised("bad")], status: "Failed", output: '"x"', failureDetails: failure }),
      );
      clock.advance(100);
      const history = [item.messages[0]!.event];
      await store.rewind({
        instanceId: "a",
        executionId: "a-e1",
        history,
        tasks: [newTask("a", "a-e1", 1)],
        messages: [{ instanceId: "a", executionId: "a-e1", event: raised("again") }],
      });
      const row = await store.getInstance("a");
      expect(row).toMatchObject({ status: "Running", executionId: "a-e1", lastUpdatedAt: clock.iso() });
      expect(row?.output).toBeUndefined();
      expect(row?.failureDetails).toBeUndefined();
      expect(row?.completedAt).toBeUndefined();
      expect((await store.getHistory("a")).events).toStrictEqual(history);
      expect(await store.leaseActivities({ ...WORKER, max: 5 })).toMatchObject([{ taskId: 1 }]);
      expect((await store.leaseOrchestration(WORKER))?.messages.map((m) => m.event)).toEqual([raised("again")]);
    });

    it("starts again, in the same transaction, the sub-orchestrations whose instance is gone", async () => {
      const { store } = h;
      await createFinished(store, "p", "Failed", { failureDetails: failure });
      const parent = { name: "Flow", instanceId: "p", executionId: "p-e1", taskScheduledId: 3 };
      await store.rewind({
        instanceId: "p",
        executionId: "p-e1",
        history: [],
        tasks: [],
        messages: [],
        children: [startRequest("p:3", { name: "Child", input: '"again"', parent, executionId: "c-e2" })],
      });
      expect(await store.getInstance("p")).toMatchObject({ status: "Running" });
      expect(await store.getInstance("p:3")).toMatchObject({ status: "Pending", name: "Child", input: '"again"', executionId: "c-e2", parent });
      const child = await leaseInstance(store, "p:3");
      expect(child.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
    });

    it("tells the parent when a child's id was taken meanwhile, and refuses a child without a parent", async () => {
      const { store } = h;
      await createFinished(store, "p", "Failed", { failureDetails: failure });
      await store.createInstance(startRequest("p:3", { input: '"squatter"' }));
      const parent = { name: "Flow", instanceId: "p", executionId: "p-e1", taskScheduledId: 3 };
      const request = { instanceId: "p", executionId: "p-e1", history: [], tasks: [], messages: [] };
      await expect(store.rewind({ ...request, children: [startRequest("p:9", { name: "Child" })] })).rejects.toMatchObject({ name: "InvalidArgumentError" });
      expect(await store.getInstance("p")).toMatchObject({ status: "Failed" });
      await store.rewind({ ...request, children: [startRequest("p:3", { name: "Child", parent, executionId: "c-e2" })] });
      expect(await store.getInstance("p:3")).toMatchObject({ executionId: "p:3-e1", input: '"squatter"' });
      const back = await leaseInstance(store, "p");
      expect(back.messages.map((m) => m.event)).toMatchObject([
        { type: "SubOrchestrationInstanceFailed", taskScheduledId: 3, failureDetails: { errorType: "InstanceExistsError" } },
      ]);
    });
  });

  describe("nextWakeUp", () => {
    const h = useStore(factory);

    it("is undefined when nothing is due later, and the earliest future time otherwise", async () => {
      const { store, clock } = h;
      expect(await store.nextWakeUp()).toBeUndefined();
      await store.createInstance(startRequest("ready-now"));
      expect(await store.nextWakeUp()).toBeUndefined();
      await store.createInstance(startRequest("later", { scheduledStartAt: clock.iso(9000) }));
      await store.createInstance(startRequest("sooner", { scheduledStartAt: clock.iso(4000) }));
      expect(await store.nextWakeUp()).toBe(clock.now() + 4000);
      const item = await store.leaseOrchestration({ workerId: "w", leaseMs: 2000 });
      expect(await store.nextWakeUp()).toBe(clock.now() + 2000);
      await store.commitOrchestration(item!, commitFor(item!, { tasks: [newTask("ready-now", "ready-now-e1", 1)] }));
      expect(await store.nextWakeUp()).toBe(clock.now() + 4000);
      await store.leaseActivities({ workerId: "w", leaseMs: 1000, max: 1 });
      expect(await store.nextWakeUp()).toBe(clock.now() + 1000);
    });
  });

  describe("store events", () => {
    const h = useStore(factory);

    function listen(): { events: StoreEvent[]; stop: () => void } {
      const events: StoreEvent[] = [];
      const stop = h.store.subscribe((event) => events.push(event));
      return { events, stop };
    }

    it("announces new work and status changes, after commit", async () => {
      const { store } = h;
      const { events } = listen();
      await store.createInstance(startRequest("a"));
      expect(events).toContainEqual({ kind: "work", queue: "instances" });
      expect(events).not.toContainEqual({ kind: "work", queue: "tasks" });
      expect(events).toContainEqual({ kind: "instance", instanceId: "a", status: "Pending" });
      events.length = 0;
      const item = await store.leaseOrchestration(WORKER);
      expect(events).toEqual([]);
      await store.commitOrchestration(item!, commitFor(item!, { tasks: [newTask("a", "a-e1", 1)] }));
      expect(events).toContainEqual({ kind: "work", queue: "tasks" });
      expect(events).toContainEqual({ kind: "instance", instanceId: "a", status: "Running" });
      events.length = 0;
      const [task] = await store.leaseActivities({ ...WORKER, max: 1 });
      await store.completeActivity(task!, { ok: true });
      expect(events).toEqual([{ kind: "work", queue: "instances" }]);
      events.length = 0;
      await store.sendMessages([{ instanceId: "a", event: raised("e") }]);
      expect(events).toEqual([{ kind: "work", queue: "instances" }]);
      events.length = 0;
      const [again] = await store.leaseActivities({ ...WORKER, max: 1 });
      expect(again).toBeUndefined();
      const next = await store.leaseOrchestration(WORKER);
      await store.commitOrchestration(next!, commitFor(next!, { tasks: [newTask("a", "a-e1", 2)] }));
      events.length = 0;
      const [second] = await store.leaseActivities({ ...WORKER, max: 1 });
      await store.abandonActivity(second!);
      expect(events).toEqual([{ kind: "work", queue: "tasks" }]);
    });

    it("announces a terminal status reached on the stepped path", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const { events } = listen();
      await store.stepOrchestration(new RecordingStepper((work) => commitFor(work, { status: "Completed", output: '"out"' })), WORKER);
      const announced = events.find((e) => e.kind === "instance" && e.instanceId === "a" && e.status === "Completed");
      expect(announced).toBeDefined();
      // A store may send the record the commit left; it is then exactly what a read gives.
      if (announced?.kind === "instance" && announced.record !== undefined) {
        expect(announced.record).toStrictEqual(await store.getInstance("a"));
      }
    });

    it("says nothing about a transaction that rolled back, or after unsubscribing", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const { events, stop } = listen();
      await expect(store.stepOrchestration(new RecordingStepper(refusedCommit), WORKER)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store.createInstance(startRequest("a"))).rejects.toThrow();
      expect(events).toEqual([]);
      stop();
      await store.createInstance(startRequest("b"));
      expect(events).toEqual([]);
    });

    it("does not announce work for a message that is not visible yet, but when it will be", async () => {
      const { store, clock } = h;
      const { events } = listen();
      await store.createInstance(startRequest("a", { scheduledStartAt: clock.iso(1000) }));
      expect(events).toEqual([{ kind: "instance", instanceId: "a", status: "Pending" }, { kind: "wakeup", at: clock.ms + 1000 }]);
      events.length = 0;
      await store.sendMessages([
        { instanceId: "a", event: raised("e"), visibleAt: clock.iso(900) },
        { instanceId: "a", event: raised("f"), visibleAt: clock.iso(500) },
      ]);
      expect(events).toEqual([{ kind: "wakeup", at: clock.ms + 500 }]);
    });

    it("announces when a timer set by a commit, or work handed back for later, becomes due", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const { events } = listen();
      const fireAt = clock.iso(200);
      await store.commitOrchestration(
        item,
        commitFor(item, { tasks: [newTask("a", "a-e1", 1)], messages: [{ instanceId: "a", executionId: "a-e1", event: timerFired(2, fireAt), visibleAt: fireAt }] }),
      );
      expect(events).toContainEqual({ kind: "wakeup", at: clock.ms + 200 });
      events.length = 0;
      const [task] = await store.leaseActivities({ ...WORKER, max: 1 });
      await store.abandonActivity(task!, 300);
      expect(events).toEqual([{ kind: "wakeup", at: clock.ms + 300 }]);
      events.length = 0;
      await store.sendMessages([{ instanceId: "a", event: raised("e") }]);
      const again = await store.leaseOrchestration(WORKER);
      events.length = 0;
      await store.abandonOrchestration(again!, 400);
      expect(events).toEqual([{ kind: "wakeup", at: clock.ms + 400 }]);
    });
  });

  describe("close", () => {
    const h = useStore(factory);

    it("makes every later call fail with StoreClosedError", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      await store.close();
      const calls: Array<() => Promise<unknown>> = [
        () => store.getInstance("a"),
        () => store.createInstance(startRequest("b")),
        () => store.sendMessages([{ instanceId: "a", event: raised("e") }]),
        () => store.leaseOrchestration(WORKER),
        () => store.stepOrchestration(new RecordingStepper(() => undefined), WORKER),
        () => store.leaseActivities({ ...WORKER, max: 1 }),
        () => store.getHistory("a"),
        () => store.queryInstances({}),
        () => store.purgeInstances({}),
        () => store.nextWakeUp(),
      ];
      for (const call of calls) await expect(call()).rejects.toBeInstanceOf(StoreClosedError);
    });
  });
}

/**
 * Conformance: inboxes — timers never early and events buffered in write order (inv. 5),
 * messages to missing instances, canceled timers, continue-as-new and children.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { newEvent } from "../../core/history.js";
import { InstanceNotFoundError } from "../errors.js";
import {
  WORKER,
  commitFor,
  createAndLease,
  leaseInstance,
  peekInbox,
  raised,
  startRequest,
  timerFired,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

export function messageCases(factory: StoreFactory): void {
  describe("timers never fire early (inv. 5)", () => {
    const h = useStore(factory);

    it("hands a message out only once the clock reaches its visibleAt, and reports it as the next wake-up", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const fireAt = clock.iso(60_000);
      await store.commitOrchestration(
        item,
        commitFor(item, { messages: [{ instanceId: "a", executionId: "a-e1", event: timerFired(1, fireAt), visibleAt: fireAt }] }),
      );
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      expect(await store.nextWakeUp()).toBe(Date.parse(fireAt));
      clock.advance(59_999);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      clock.advance(1);
      const fired = await store.leaseOrchestration(WORKER);
      expect(fired?.messages.map((m) => m.event)).toEqual([timerFired(1, fireAt)]);
      expect(await store.nextWakeUp()).toBe(Date.parse(fired!.lockedUntil));
    });

    it("does not round a sub-millisecond visibleAt down", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("a", { scheduledStartAt: "2026-01-01T00:00:01.000500Z" }));
      clock.advance(1000);
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      clock.advance(1);
      expect((await store.leaseOrchestration(WORKER))?.instance.instanceId).toBe("a");
    });

    it("keeps a scheduled instance Pending and invisible until its start time", async () => {
      const { store, clock } = h;
      const at = clock.iso(3_600_000);
      await store.createInstance(startRequest("a", { scheduledStartAt: at }));
      expect(await store.getInstance("a")).toMatchObject({ status: "Pending", scheduledStartAt: at });
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
      expect(await store.nextWakeUp()).toBe(Date.parse(at));
      clock.advance(3_600_000);
      expect((await store.leaseOrchestration(WORKER))?.messages[0]?.event.type).toBe("ExecutionStarted");
    });
  });

  describe("event buffering and order (inv. 5)", () => {
    const h = useStore(factory);

    it("hands out messages in write order, across calls", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      await store.sendMessages([{ instanceId: "a", event: raised("e1") }, { instanceId: "a", event: raised("e2") }]);
      await store.sendMessages([{ instanceId: "a", event: raised("e3") }]);
      const item = await store.leaseOrchestration(WORKER);
      const names = item!.messages.map((m) => (m.event.type === "EventRaised" ? m.event.name : m.event.type));
      expect(names).toEqual(["ExecutionStarted", "e1", "e2", "e3"]);
      const ids = item!.messages.map((m) => m.id);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it("buffers messages that arrive during an episode for the next one", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      await store.sendMessages([{ instanceId: "a", event: raised("during") }]);
      await store.commitOrchestration(item, commitFor(item, { history: [item.messages[0]!.event] }));
      const next = await store.leaseOrchestration(WORKER);
      expect(next?.messages.map((m) => m.event)).toEqual([raised("during")]);
    });

    it("keeps unconsumed messages for the next episode", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      await store.sendMessages([{ instanceId: "a", event: raised("later") }]);
      const item = await store.leaseOrchestration(WORKER);
      await store.commitOrchestration(item!, commitFor(item!, { consumedMessageIds: [item!.messages[0]!.id] }));
      expect((await store.leaseOrchestration(WORKER))?.messages.map((m) => m.event)).toEqual([raised("later")]);
    });

    it("stores events exactly: nanosecond timestamps, absent and empty payloads", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const events = [
        raised("absent", undefined, "2026-01-01T00:00:00.123456789Z"),
        raised("empty", "", "2026-01-01T00:00:00.1Z"),
        raised("null", "null"),
        newEvent("GenericEvent", "2026-01-01T00:00:00Z", { data: '{"ü":"\\u0000"}' }),
      ];
      await store.sendMessages(events.map((event) => ({ instanceId: "a", executionId: "a-e1", event })));
      const item = await store.leaseOrchestration(WORKER);
      expect(item!.messages.slice(1).map((m) => m.event)).toStrictEqual(events);
      expect(item!.messages[1]).toMatchObject({ instanceId: "a", executionId: "a-e1" });
      expect("input" in item!.messages[1]!.event).toBe(false);
      await store.commitOrchestration(item!, commitFor(item!, { history: events }));
      expect((await store.getHistory("a")).events).toStrictEqual(events);
    });
  });

  describe("messages to missing instances", () => {
    const h = useStore(factory);

    it("refuses sendMessages to a missing instance and writes none of the batch", async () => {
      const { store } = h;
      await store.createInstance(startRequest("a"));
      const batch = [{ instanceId: "a", event: raised("e1") }, { instanceId: "missing", event: raised("e2") }];
      const error = await store.sendMessages(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstanceNotFoundError);
      expect((error as InstanceNotFoundError).instanceId).toBe("missing");
      expect((await store.leaseOrchestration(WORKER))?.messages).toHaveLength(1);
    });

    it("drops a commit's message to a missing instance", async () => {
      const { store } = h;
      const item = await createAndLease(store, "a");
      await store.commitOrchestration(item, commitFor(item, { messages: [{ instanceId: "nobody", event: raised("x") }] }));
      expect(await store.getInstance("nobody")).toBeUndefined();
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
    });
  });

  describe("canceled timers", () => {
    const h = useStore(factory);

    it("deletes the pending messages of canceled timers and keeps the others", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const timers = [1, 2, 3].map((id) => ({
        instanceId: "a",
        executionId: "a-e1",
        event: timerFired(id, clock.iso(id * 1000)),
        visibleAt: clock.iso(id * 1000),
      }));
      await store.commitOrchestration(item, commitFor(item, { messages: timers }));
      const next = await store.leaseOrchestration(WORKER); // nothing visible yet
      expect(next).toBeUndefined();
      clock.advance(1000);
      const first = await store.leaseOrchestration(WORKER);
      await store.commitOrchestration(first!, commitFor(first!, { canceledTimerIds: [2] }));
      clock.advance(5000);
      const rest = await store.leaseOrchestration(WORKER);
      expect(rest?.messages.map((m) => (m.event.type === "TimerFired" ? m.event.timerId : -1))).toEqual([3]);
    });
  });

  describe("continue-as-new", () => {
    const h = useStore(factory);

    it("resets history, takes the new execution and input, and delivers the start messages", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a", { input: '"old"' });
      await store.commitOrchestration(item, commitFor(item, { history: [item.messages[0]!.event] }));
      await store.sendMessages([{ instanceId: "a", event: raised("e") }]);
      const second = await store.leaseOrchestration(WORKER);
      const start = newEvent("ExecutionStarted", clock.iso(), { name: "Flow", instanceId: "a", executionId: "a-e2", input: '"new"' });
      await store.commitOrchestration(
        second!,
        commitFor(second!, {
          history: [second!.messages[0]!.event],
          status: "ContinuedAsNew",
          output: '"new"',
          continueAsNew: { executionId: "a-e2", input: '"new"', startMessages: [start, raised("carried")] },
        }),
      );
      const row = await store.getInstance("a");
      expect(row).toMatchObject({ executionId: "a-e2", status: "Running", input: '"new"' });
      expect(row?.output).toBeUndefined();
      expect(row?.completedAt).toBeUndefined();
      expect((await store.getHistory("a")).events).toEqual([]);
      const third = await store.leaseOrchestration(WORKER);
      expect(third?.instance.executionId).toBe("a-e2");
      expect(third?.messages.map((m) => m.event)).toEqual([start, raised("carried")]);
      expect(third?.messages.every((m) => m.executionId === "a-e2")).toBe(true);
    });

    it("starts the new execution ahead of the events that arrived during the episode, which keep their order", async () => {
      const { store, clock } = h;
      const item = await createAndLease(store, "a");
      const fireAt = clock.iso(60_000);
      await store.commitOrchestration(
        item,
        commitFor(item, { history: [item.messages[0]!.event], messages: [{ instanceId: "a", executionId: "a-e1", event: timerFired(1, fireAt), visibleAt: fireAt }] }),
      );
      await store.sendMessages([{ instanceId: "a", event: raised("first") }]);
      const second = await store.leaseOrchestration(WORKER);
      // Raised while the episode that continues as new runs: not consumed by it.
      await store.sendMessages([{ instanceId: "a", event: raised("during-1") }, { instanceId: "a", event: raised("during-2") }]);
      const start = newEvent("ExecutionStarted", clock.iso(), { name: "Flow", instanceId: "a", executionId: "a-e2", input: "1" });
      await store.commitOrchestration(
        second!,
        commitFor(second!, {
          history: second!.messages.map((m) => m.event),
          status: "ContinuedAsNew",
          messages: [{ instanceId: "a", event: raised("to-self") }],
          continueAsNew: { executionId: "a-e2", input: "1", startMessages: [start, raised("carried")] },
        }),
      );
      const third = await store.leaseOrchestration(WORKER);
      const names = third!.messages.map((m) => (m.event.type === "EventRaised" ? m.event.name : m.event.type));
      expect(names).toEqual(["ExecutionStarted", "carried", "during-1", "during-2", "to-self"]);
      expect(third!.messages.slice(2).map((m) => m.executionId)).toEqual([undefined, undefined, undefined]);
      // The old execution's timer went with it.
      clock.advance(60_000);
      await store.commitOrchestration(third!, commitFor(third!));
      expect(await store.leaseOrchestration(WORKER)).toBeUndefined();
    });
  });

  describe("children", () => {
    const h = useStore(factory);
    const parent = { name: "Flow", instanceId: "p", executionId: "p-e1", taskScheduledId: 4 };

    it("creates a child Pending, with its parent and a start message", async () => {
      const { store } = h;
      const item = await createAndLease(store, "p");
      await store.commitOrchestration(item, commitFor(item, { children: [startRequest("p:4", { name: "Child", input: '"i"', parent })] }));
      expect(await store.getInstance("p:4")).toMatchObject({ status: "Pending", name: "Child", input: '"i"', parent });
      const child = await leaseInstance(store, "p:4");
      expect(child.messages.map((m) => m.event.type)).toEqual(["ExecutionStarted"]);
    });

    it("does not replace a child id taken by a running instance: the parent gets SubOrchestrationInstanceFailed", async () => {
      const { store } = h;
      await store.createInstance(startRequest("taken", { input: '"mine"' }));
      const item = await createAndLease(store, "p");
      await store.commitOrchestration(item, commitFor(item, { children: [startRequest("taken", { parent, executionId: "t-2" })] }));
      expect(await store.getInstance("taken")).toMatchObject({ executionId: "taken-e1", input: '"mine"' });
      expect((await store.getInstance("taken"))?.parent).toBeUndefined();
      const back = await leaseInstance(store, "p");
      expect(back.messages).toHaveLength(1);
      expect(back.messages[0]).toMatchObject({
        executionId: "p-e1",
        event: { type: "SubOrchestrationInstanceFailed", eventId: -1, taskScheduledId: 4, failureDetails: { errorType: "InstanceExistsError" } },
      });
    });

    it("replaces a terminal instance that holds the child id", async () => {
      const { store } = h;
      const old = await createAndLease(store, "taken");
      await store.commitOrchestration(old, commitFor(old, { history: [old.messages[0]!.event], status: "Completed" }));
      const item = await createAndLease(store, "p");
      await store.commitOrchestration(item, commitFor(item, { children: [startRequest("taken", { parent, executionId: "t-2" })] }));
      expect(await store.getInstance("taken")).toMatchObject({ executionId: "t-2", status: "Pending", parent });
      expect((await store.getHistory("taken")).events).toEqual([]);
      expect(await peekInbox(store)).toMatchObject({ instance: { instanceId: "taken" } });
    });
  });
}

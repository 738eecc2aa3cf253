/**
 * Conformance: durable entities — created by their first message (`ensureInstance`) once and in
 * order, their saved state round-tripping exactly, kinds kept apart in queries and purges, and
 * only empty entities deleted.
 *
 * @module
 */
import { describe, expect, it } from "vitest";
import { newEvent, type HistoryEvent } from "../../core/history.js";
import { InstanceNotFoundError, InvalidInstanceStateError } from "../errors.js";
import type { NewMessage, StepInput, Store } from "../store.js";
import {
  RecordingStepper,
  WORKER,
  commitFor,
  createAndLease,
  createFinished,
  peekInbox,
  startRequest,
  useStore,
  type StoreFactory,
} from "./fixtures.js";

const ENTITY = "@counter@a";

function operation(name: string, target = ENTITY): HistoryEvent {
  return newEvent("EntityOperationSignaled", "2026-01-01T00:00:00.000Z", { requestId: `r-${name}`, operation: name, targetInstanceId: target });
}

function toEntity(name: string, target = ENTITY): NewMessage {
  return { instanceId: target, event: operation(name, target), ensureInstance: { name: "counter", kind: "entity" } };
}

const operations = (messages: StepInput["messages"]): string[] =>
  messages.map((m) => (m.event.type === "EntityOperationSignaled" ? m.event.operation : m.event.type));

/** Runs one batch on the next ready instance, saving `entityState`; returns what the stepper saw. */
async function stepEntity(store: Store, entityState: string | undefined): Promise<StepInput> {
  const stepper = new RecordingStepper((work) => commitFor(work, { entityState }), true);
  await store.stepOrchestration(stepper, WORKER);
  const [work] = stepper.calls;
  if (work === undefined) throw new Error("expected an instance to step");
  return work;
}

export function entityCases(factory: StoreFactory): void {
  describe("entities: created by their first message", () => {
    const h = useStore(factory);

    it("creates the entity once, as kind 'entity' with no state, and keeps its messages in order", async () => {
      const { store, clock } = h;
      await store.sendMessages([toEntity("first"), toEntity("second")]);
      const created = clock.iso();
      clock.advance(10);
      await store.sendMessages([toEntity("third")]);
      expect(await store.getInstance(ENTITY)).toStrictEqual({
        instanceId: ENTITY,
        kind: "entity",
        name: "counter",
        executionId: "",
        status: "Running",
        createdAt: created,
        lastUpdatedAt: created,
      });
      const work = await stepEntity(store, undefined);
      expect(work.instance.kind).toBe("entity");
      expect(operations(work.messages)).toEqual(["first", "second", "third"]);
    });

    it("leaves an existing entity and its state as they are", async () => {
      const { store } = h;
      await store.sendMessages([toEntity("first")]);
      await stepEntity(store, '{"state":"1"}');
      await store.sendMessages([toEntity("second")]);
      expect(await store.getInstance(ENTITY)).toMatchObject({ kind: "entity", entityState: '{"state":"1"}' });
      expect(operations((await stepEntity(store, '{"state":"2"}')).messages)).toEqual(["second"]);
    });

    it("refuses a message without ensureInstance to a missing instance, and writes none of the call", async () => {
      const { store } = h;
      const plain = { instanceId: "@counter@missing", event: operation("x", "@counter@missing") };
      const error = await store.sendMessages([toEntity("first"), plain]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InstanceNotFoundError);
      expect(await store.getInstance(ENTITY)).toBeUndefined();
      expect(await peekInbox(store)).toBeUndefined();
    });

    it("delivers a plain message to an entity that an earlier message of the same call created", async () => {
      const { store } = h;
      await store.sendMessages([toEntity("first"), { instanceId: ENTITY, event: operation("second") }]);
      expect(operations((await stepEntity(store, undefined)).messages)).toEqual(["first", "second"]);
    });

    it("creates the addressee of a commit's message, in the commit's transaction", async () => {
      const { store } = h;
      const item = await createAndLease(store, "o");
      await store.commitOrchestration(item, commitFor(item, { history: [item.messages[0]!.event], messages: [toEntity("from-o")] }));
      const work = await stepEntity(store, undefined);
      expect(work.instance).toMatchObject({ instanceId: ENTITY, kind: "entity" });
      expect(operations(work.messages)).toEqual(["from-o"]);
    });
  });

  describe("entities: saved state", () => {
    const h = useStore(factory);

    it("round-trips the state a batch saves exactly, and clears it when a batch saves none", async () => {
      const { store, clock } = h;
      const state = '{"state":"{\\"n\\":1}","queue":[]} ';
      await store.sendMessages([toEntity("a")]);
      clock.advance(5);
      await stepEntity(store, state);
      expect(await store.getInstance(ENTITY)).toMatchObject({ entityState: state, status: "Running", lastUpdatedAt: clock.iso() });
      await store.sendMessages([toEntity("b")]);
      expect((await stepEntity(store, "null")).instance.entityState).toBe(state);
      expect((await store.getInstance(ENTITY))?.entityState).toBe("null");
      await store.sendMessages([toEntity("c")]);
      await stepEntity(store, undefined);
      expect(await store.getInstance(ENTITY)).not.toHaveProperty("entityState");
    });

    it("saves the state through a leased commit too, and none on an orchestration", async () => {
      const { store } = h;
      await store.sendMessages([toEntity("a")]);
      const item = await store.leaseOrchestration(WORKER);
      expect(item?.instance.kind).toBe("entity");
      await store.commitOrchestration(item!, commitFor(item!, { entityState: '{"state":"5"}' }));
      expect((await store.getInstance(ENTITY))?.entityState).toBe('{"state":"5"}');
      await createFinished(store, "o", "Completed");
      expect(await store.getInstance("o")).not.toHaveProperty("entityState");
    });
  });

  describe("entities: kinds kept apart", () => {
    const h = useStore(factory);

    it("lists orchestrations by default and entities only when asked", async () => {
      const { store, clock } = h;
      await store.createInstance(startRequest("orch"));
      clock.advance(1);
      await store.sendMessages([toEntity("a"), toEntity("b", "@counter@b"), toEntity("c", "@other@x")]);
      const ids = async (options: Parameters<Store["queryInstances"]>[0]) =>
        (await store.queryInstances(options)).instances.map((i) => i.instanceId);
      expect(await ids({})).toEqual(["orch"]);
      expect(await ids({ statuses: ["Running", "Pending"] })).toEqual(["orch"]);
      expect(await ids({ kind: "orchestration", instanceIdPrefix: "@" })).toEqual([]);
      expect((await ids({ kind: "entity" })).sort()).toEqual(["@counter@a", "@counter@b", "@other@x"]);
      expect((await ids({ kind: "entity", instanceIdPrefix: "@counter@" })).sort()).toEqual(["@counter@a", "@counter@b"]);
      const first = await store.queryInstances({ kind: "entity", pageSize: 2 });
      const second = await store.queryInstances({ kind: "entity", pageSize: 2, continuationToken: first.continuationToken });
      expect([...first.instances, ...second.instances].map((i) => i.instanceId).sort()).toEqual(["@counter@a", "@counter@b", "@other@x"]);
    });

    it("purges orchestrations without touching entities", async () => {
      const { store } = h;
      await createFinished(store, "done", "Completed");
      await store.sendMessages([toEntity("a")]);
      await stepEntity(store, undefined);
      expect(await store.purgeInstances({})).toBe(1);
      expect(await store.getInstance(ENTITY)).toMatchObject({ kind: "entity" });
    });
  });

  describe("entities: deleting empty ones", () => {
    const h = useStore(factory);

    it("deletes an entity with no state, no messages and no lease, and only such", async () => {
      const { store } = h;
      await store.sendMessages([toEntity("a"), toEntity("b", "@counter@b"), toEntity("c", "@counter@c")]);
      await stepEntity(store, undefined);
      await stepEntity(store, '{"state":"1"}');
      // The third still has its message: an operation on its way must not be lost.
      expect(await store.purgeInstances({ kind: "entity" })).toBe(1);
      expect(await store.getInstance(ENTITY)).toBeUndefined();
      expect(await store.getInstance("@counter@b")).toBeDefined();
      expect(await store.getInstance("@counter@c")).toBeDefined();
      await expect(store.purgeInstance("@counter@b")).rejects.toBeInstanceOf(InvalidInstanceStateError);
      await expect(store.purgeInstance("@counter@c")).rejects.toBeInstanceOf(InvalidInstanceStateError);
      await stepEntity(store, undefined);
      expect(await store.purgeInstance("@counter@c")).toBe(1);
    });

    it("keeps an entity that is leased", async () => {
      const { store } = h;
      await store.sendMessages([toEntity("a")]);
      const item = await store.leaseOrchestration(WORKER);
      expect(await store.purgeInstances({ kind: "entity" })).toBe(0);
      await store.commitOrchestration(item!, commitFor(item!));
      expect(await store.purgeInstances({ kind: "entity" })).toBe(1);
    });
  });
}

import { describe, expect, it } from "vitest";
import { parseEntityRecord, serializeEntityRecord } from "../core/entity/entity-record.js";
import { newEvent, type HistoryEvent } from "../core/history.js";
import type { OrchestrationWorkItem } from "../store/store.js";
import { entityBatchRequest, entityCommitFromResult, planEntityBatch } from "./remote-entity.js";
import type { WireEntityBatchResult } from "./wire.js";

const NOW = "2026-01-01T00:00:00.000Z";
const ID = "@counter@a";
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const signal = (operation: string, input?: string, requestId = `s-${operation}`): HistoryEvent =>
  newEvent("EntityOperationSignaled", NOW, { requestId, operation, input, targetInstanceId: ID });
const call = (operation: string, input?: string, requestId = `c-${operation}`, from = "orch-1"): HistoryEvent =>
  newEvent("EntityOperationCalled", NOW, { requestId, operation, input, parentInstanceId: from, parentExecutionId: "e1", targetInstanceId: ID });
const lockRequest = (): HistoryEvent =>
  newEvent("EntityLockRequested", NOW, { criticalSectionId: "cs", lockSet: [ID], position: 0, parentInstanceId: "orch-1", parentExecutionId: "e1" });

function itemOf(events: HistoryEvent[], state?: string): OrchestrationWorkItem {
  return {
    instance: {
      instanceId: ID,
      kind: "entity",
      name: "counter",
      executionId: "",
      status: "Running",
      createdAt: NOW,
      lastUpdatedAt: NOW,
      entityState: serializeEntityRecord({ state, queue: [] }),
    },
    messages: events.map((event, i) => ({ id: `m${i}`, instanceId: ID, event, visibleAt: NOW })),
    lockToken: "t",
    lockedUntil: NOW,
  };
}

function commitOf(item: OrchestrationWorkItem, result: WireEntityBatchResult) {
  return entityCommitFromResult(item, planEntityBatch(item, NOW), result, NOW, quiet);
}

describe("remote entity batches", () => {
  it("send a worker the stored state and the operations that may run, and commit lock steps alone", () => {
    const item = itemOf([signal("add", "1"), call("get")], "41");
    const operations = planEntityBatch(item, NOW);
    expect(entityBatchRequest(item, operations)).toEqual({
      instanceId: ID,
      entityState: { value: "41" },
      operations: [
        { operation: "add", requestId: "s-add", input: { value: "1" } },
        { operation: "get", requestId: "c-get", input: undefined },
      ],
    });

    const lockOnly = itemOf([lockRequest()]);
    expect(planEntityBatch(lockOnly, NOW)).toEqual([]);
    const { commit } = commitOf(lockOnly, {});
    expect(parseEntityRecord(commit.entityState).lock).toMatchObject({ owner: "orch-1", criticalSectionId: "cs" });
    expect(commit.messages.map((m) => [m.instanceId, m.event.type])).toEqual([["orch-1", "EntityLockGranted"]]);
  });

  it("apply the worker's results, state, signals and orchestration starts verbatim", () => {
    const item = itemOf([call("add", "2"), call("boom")], "1");
    const { commit, starts } = commitOf(item, {
      results: [{ success: { result: { value: "3.0" } } }, { failure: { failureDetails: { errorType: "RangeError", errorMessage: "no" } } }],
      entityState: { value: " 3 " },
      actions: [
        { id: 0, sendSignal: { instanceId: "@Audit@x", name: "log", input: { value: '"3"' }, scheduledTime: { seconds: "1893456000" } } },
        { id: 1, startNewOrchestration: { instanceId: "later", name: "Announce", input: { value: "3" }, scheduledTime: { seconds: "0" } } },
      ],
    });
    expect(parseEntityRecord(commit.entityState).state).toBe(" 3 ");
    expect(commit.consumedMessageIds).toEqual(["m0", "m1"]);
    expect(commit.messages.map((m) => [m.instanceId, m.event])).toEqual([
      ["@audit@x", expect.objectContaining({ type: "EntityOperationSignaled", operation: "log", input: '"3"', targetInstanceId: "@audit@x" })],
      ["orch-1", newEvent("EntityOperationCompleted", NOW, { requestId: "c-add", output: "3.0" })],
      ["orch-1", newEvent("EntityOperationFailed", NOW, { requestId: "c-boom", failureDetails: { errorType: "RangeError", errorMessage: "no" } })],
    ]);
    expect(commit.messages[0]).toMatchObject({ visibleAt: "2030-01-01T00:00:00.000Z", ensureInstance: { name: "audit", kind: "entity" } });
    expect(starts).toEqual([{ instanceId: "later", name: "Announce", input: { value: "3" }, scheduledStartTimestamp: { seconds: "0" } }]);
    // An answer applied again (after a lost commit) sends the same request ids.
    const again = commitOf(item, { results: [{ success: {} }, { success: {} }], actions: [{ sendSignal: { instanceId: "@audit@x", name: "log" } }] });
    const signalOf = (messages: typeof commit.messages) => messages.find((m) => m.event.type === "EntityOperationSignaled")?.event;
    expect(signalOf(again.commit.messages)).toMatchObject({ requestId: (signalOf(commit.messages) as { requestId: string }).requestId });
  });

  it("name an unnamed start after its batch and action, so that an answer applied again starts nothing new", () => {
    const item = itemOf([signal("add", "1")], "1");
    const answer = {
      results: [{ success: {} }],
      actions: [{ startNewOrchestration: { name: "Announce" } }, { startNewOrchestration: { name: "Announce" } }],
    };
    const first = commitOf(item, answer).starts.map((s) => s.instanceId);
    expect(first[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(first[1]).not.toBe(first[0]);
    expect(commitOf(item, answer).starts.map((s) => s.instanceId)).toEqual(first);
    // Another batch of the same entity starts other instances.
    const next = itemOf([signal("add", "1", "s-other")], "1");
    const later = { ...next, messages: next.messages.map((m) => ({ ...m, id: `n${m.id}` })) };
    expect(commitOf(later, answer).starts.map((s) => s.instanceId)).not.toContain(first[0]);
  });

  it("keep the stored state and drop the actions when every operation failed", () => {
    const item = itemOf([signal("boom")], "5");
    const { commit, starts } = commitOf(item, {
      results: [{ failure: { failureDetails: { errorType: "Error", errorMessage: "x" } } }],
      entityState: { value: "999" },
      actions: [{ startNewOrchestration: { instanceId: "never", name: "Never" } }],
    });
    expect(parseEntityRecord(commit.entityState).state).toBe("5");
    expect(commit.messages).toEqual([]);
    expect(starts).toEqual([]);
  });

  it("fail every operation, and change nothing else, for an answer that cannot be applied", () => {
    for (const result of [
      { results: [{ success: {} }], entityState: { value: "7" } },
      { results: [{ success: {} }, { success: {} }], actions: [{ sendSignal: { instanceId: "not-an-entity", name: "x" } }] },
      { results: [{ success: {} }, { success: {} }], actions: [{ startNewOrchestration: { instanceId: "x" } }] },
    ] as WireEntityBatchResult[]) {
      const { commit, starts } = commitOf(itemOf([call("add", "1"), call("get", undefined, "c-2")], "5"), result);
      expect(parseEntityRecord(commit.entityState).state).toBe("5");
      expect(starts).toEqual([]);
      expect(commit.messages.map((m) => [m.event.type, (m.event as { failureDetails?: { errorType: string } }).failureDetails?.errorType])).toEqual([
        ["EntityOperationFailed", "ProtocolError"],
        ["EntityOperationFailed", "ProtocolError"],
      ]);
    }
  });
});

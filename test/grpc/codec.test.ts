/**
 * The protocol codec's round trips, through the real protobuf encoding: our events → protocol →
 * bytes → protocol → ours is the identity, times keep every digit, absent and empty payloads stay
 * apart, and protocol fields we do not model come back out unchanged.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FailureDetails } from "../../src/core/errors.js";
import type { HistoryEvent } from "../../src/core/history.js";
import {
  fromWireEvent,
  fromWireTimestamp,
  toWireEvent,
  toWireTimestamp,
  type WireExtended,
} from "../../src/grpc/codec.js";
import { ProtocolError } from "../../src/grpc/errors.js";
import { sidecarService } from "../../src/grpc/proto.js";
import type { WireHistoryEvent } from "../../src/grpc/wire.js";

/** Sends events through the protobuf encoding, as a HistoryChunk of StreamInstanceHistory. */
function throughTheWire(events: WireHistoryEvent[]): WireHistoryEvent[] {
  const method = sidecarService().StreamInstanceHistory!;
  const bytes = method.responseSerialize({ events });
  return (method.responseDeserialize(bytes) as { events?: WireHistoryEvent[] }).events ?? [];
}

function roundTrip(event: HistoryEvent): HistoryEvent {
  return fromWireEvent(throughTheWire([toWireEvent(event)])[0]!);
}

// ---------------------------------------------------------------------------------------------
// Generators of our events

/** ISO times as Perdure writes them: `toISOString` (3 digits), or 6 or 9 digits from the protocol. */
const isoTime = fc
  .tuple(fc.integer({ min: -2_000_000_000, max: 32_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom(3, 6, 9))
  .map(([seconds, nanos, digits]) => {
    const kept = digits === 3 ? nanos - (nanos % 1_000_000) : digits === 6 ? nanos - (nanos % 1000) : nanos;
    return fromWireTimestamp({ seconds: String(seconds), nanos: kept });
  });
const payload = fc.option(fc.oneof(fc.constant(""), fc.constant("null"), fc.json(), fc.string()), { nil: undefined });
const name = fc.string({ minLength: 1, maxLength: 20 });
const seq = fc.integer({ min: 0, max: 100_000 });
const executionId = fc.stringMatching(/^[0-9a-f]{32}$/);
const tags = fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string(), { minKeys: 1, maxKeys: 3 }), { nil: undefined });
const failure: fc.Arbitrary<FailureDetails> = fc.letrec<{ f: FailureDetails }>((tie) => ({
  f: fc.record(
    {
      errorType: fc.string(),
      errorMessage: fc.string(),
      stackTrace: fc.option(fc.string(), { nil: undefined }),
      innerFailure: fc.option(tie("f"), { nil: undefined, depthSize: "small" }),
      isNonRetriable: fc.option(fc.constant(true), { nil: undefined }),
    },
    { requiredKeys: ["errorType", "errorMessage"] },
  ) as fc.Arbitrary<FailureDetails>,
})).f;
const parent = fc.record(
  { name, instanceId: name, executionId: fc.option(executionId, { nil: undefined }), taskScheduledId: seq },
  { requiredKeys: ["name", "instanceId", "taskScheduledId"] },
);

function ev(type: string, fields: Record<string, fc.Arbitrary<unknown>>, echo = false) {
  return fc.record({ type: fc.constant(type), eventId: echo ? seq : fc.constant(-1), timestamp: isoTime, ...fields });
}

const anyEvent: fc.Arbitrary<HistoryEvent> = fc.oneof(
  ev("ExecutionStarted", {
    name,
    version: fc.option(fc.string(), { nil: undefined }),
    input: payload,
    instanceId: name,
    executionId,
    parent: fc.option(parent, { nil: undefined }),
    scheduledStartTime: fc.option(isoTime, { nil: undefined }),
    tags,
  }),
  ev("ExecutionCompleted", {
    status: fc.constantFrom("Completed", "Failed", "Terminated", "ContinuedAsNew"),
    result: payload,
    failureDetails: fc.option(failure, { nil: undefined }),
  }),
  ev("ExecutionTerminated", { reason: payload, recurse: fc.option(fc.constant(true), { nil: undefined }) }),
  ev("TaskScheduled", { name, version: fc.option(fc.string(), { nil: undefined }), input: payload }, true),
  ev("TaskCompleted", { taskScheduledId: seq, result: payload }),
  ev("TaskFailed", { taskScheduledId: seq, failureDetails: failure }),
  ev("SubOrchestrationInstanceCreated", { name, instanceId: name, version: fc.option(fc.string(), { nil: undefined }), input: payload }, true),
  ev("SubOrchestrationInstanceCompleted", { taskScheduledId: seq, result: payload }),
  ev("SubOrchestrationInstanceFailed", { taskScheduledId: seq, failureDetails: failure }),
  ev("TimerCreated", { fireAt: isoTime }, true),
  ev("TimerFired", { timerId: seq, fireAt: isoTime }),
  ev("OrchestratorStarted", {}),
  ev("OrchestratorCompleted", {}),
  ev("EventSent", { instanceId: name, name, input: payload }, true),
  ev("EventRaised", { name, input: payload }),
  ev("GenericEvent", { data: payload }),
  ev("ExecutionSuspended", { reason: payload }),
  ev("ExecutionResumed", { reason: payload }),
  ev("ExecutionRewound", { reason: payload }),
  ev("EntityOperationSignaled", { requestId: name, operation: name, scheduledTime: fc.option(isoTime, { nil: undefined }), input: payload, targetInstanceId: name }, true),
  ev("EntityOperationCalled", {
    requestId: name,
    operation: name,
    scheduledTime: fc.option(isoTime, { nil: undefined }),
    input: payload,
    parentInstanceId: name,
    parentExecutionId: fc.option(executionId, { nil: undefined }),
    targetInstanceId: name,
  }, true),
  ev("EntityOperationCompleted", { requestId: name, output: payload }),
  ev("EntityOperationFailed", { requestId: name, failureDetails: failure }),
  // Without the routing fields Perdure adds for itself (see codec.ts, invariant 5).
  ev("EntityLockRequested", { criticalSectionId: name, lockSet: fc.array(name, { minLength: 1, maxLength: 3 }), position: fc.nat(2), parentInstanceId: name }, true),
  ev("EntityLockGranted", { criticalSectionId: name }),
  ev("EntityUnlockSent", { criticalSectionId: name, parentInstanceId: name, targetInstanceId: name }, true),
).map((e) => stripUndefined(e) as unknown as HistoryEvent);

function stripUndefined<T>(value: T): T {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out as T;
}

// ---------------------------------------------------------------------------------------------

describe("the protocol codec", () => {
  it("gives back every event of ours unchanged after a trip through the protocol's bytes", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(roundTrip(event)).toEqual(event);
      }),
      { numRuns: 1000 },
    );
  });

  it("keeps protocol times exact to the nanosecond, both ways", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }), fc.integer({ min: 0, max: 999_999_999 }), (seconds, nanos) => {
        const iso = fromWireTimestamp({ seconds: String(seconds), nanos });
        const { seconds: s, nanos: n = 0 } = toWireTimestamp(iso);
        expect({ s, n }).toEqual({ s: String(seconds), n: nanos });
        expect(fromWireTimestamp(toWireTimestamp(iso))).toBe(iso);
      }),
    );
    expect(fromWireTimestamp({ seconds: "1767225600", nanos: 123_456_789 })).toBe("2026-01-01T00:00:00.123456789Z");
    expect(fromWireTimestamp({ seconds: "1767225600", nanos: 123_456_000 })).toBe("2026-01-01T00:00:00.123456Z");
    expect(fromWireTimestamp({ seconds: "1767225600" })).toBe("2026-01-01T00:00:00.000Z");
    expect(toWireTimestamp("2026-01-01T00:00:00.000000001Z")).toEqual({ seconds: "1767225600", nanos: 1 });
  });

  it("keeps an absent payload apart from an empty one", () => {
    const absent = roundTrip({ type: "TaskCompleted", eventId: -1, timestamp: "2026-01-01T00:00:00.000Z", taskScheduledId: 1 });
    const empty = roundTrip({ type: "TaskCompleted", eventId: -1, timestamp: "2026-01-01T00:00:00.000Z", taskScheduledId: 1, result: "" });
    expect("result" in absent).toBe(false);
    expect(empty).toMatchObject({ result: "" });
  });

  it("sends back protocol fields it does not model (tags, trace contexts, a parent's version, failure properties)", () => {
    const wire: WireHistoryEvent = {
      eventId: 3,
      timestamp: { seconds: "1767225600", nanos: 5 },
      taskScheduled: {
        name: "Charge",
        input: { value: "" },
        tags: { team: "billing" },
        parentTraceContext: { traceParent: "00-abc-def-01", traceState: { value: "k=v" } },
      },
    };
    const started: WireHistoryEvent = {
      eventId: -1,
      timestamp: { seconds: "1767225600" },
      executionStarted: {
        name: "Child",
        orchestrationInstance: { instanceId: "c", executionId: { value: "e".repeat(32) } },
        parentInstance: { taskScheduledId: 4, name: { value: "Parent" }, version: { value: "2" }, orchestrationInstance: { instanceId: "p" } },
        orchestrationSpanID: { value: "span" },
      },
    };
    const failed: WireHistoryEvent = {
      eventId: -1,
      timestamp: { seconds: "1" },
      taskFailed: {
        taskScheduledId: 3,
        failureDetails: { errorType: "E", errorMessage: "m", properties: { code: { numberValue: 7 } } },
      },
    };
    for (const original of throughTheWire([wire, started, failed])) {
      const ours = fromWireEvent(original);
      const { eventType: _ignored, ...expected } = original;
      const { eventType: _also, ...back } = throughTheWire([toWireEvent(ours)])[0]!;
      expect(back).toEqual(expected);
    }
    const ours = fromWireEvent(throughTheWire([wire])[0]!) as WireExtended<HistoryEvent>;
    expect(ours).toMatchObject({ type: "TaskScheduled", eventId: 3, timestamp: "2026-01-01T00:00:00.000000005Z", input: "" });
    expect(ours.wire).toMatchObject({ tags: { team: "billing" } });
  });

  it("refuses event kinds it has no event for, naming them", () => {
    const state: WireHistoryEvent = { eventId: -1, timestamp: { seconds: "1" }, historyState: { orchestrationState: { instanceId: "x" } } };
    expect(() => fromWireEvent(throughTheWire([state])[0]!)).toThrow(ProtocolError);
    expect(() => fromWireEvent(state)).toThrow(/historyState/);
    expect(() => fromWireEvent({ eventId: 1, eventRaised: { name: "x" } })).toThrow(/no timestamp/);
    expect(fromWireEvent({ eventId: -1, eventRaised: { name: "x" } }, "2026-01-01T00:00:00.000Z")).toMatchObject({ timestamp: "2026-01-01T00:00:00.000Z" });
  });
});

/**
 * Conversion between Perdure's history events and the Durable Task protocol's, both ways.
 *
 * Invariants kept here (each is a round-trip test in codec.test.ts):
 * 1. Times are exact to the nanosecond. An ISO string's fractional digits become `nanos`;
 *    `nanos` become 3, 6 or 9 digits (the fewest that are exact), so a protocol timestamp survives
 *    protocol → ours → protocol, and a stored time written by `toISOString` survives ours →
 *    protocol → ours, character for character.
 * 2. An absent payload (`undefined`) is an absent StringValue; an empty one (`""`) is a present
 *    StringValue holding "". The two never merge.
 * 3. Protocol fields Perdure's event types do not model (tags, trace contexts, a parent's version,
 *    a failure's properties, …) are kept verbatim in the event's `wire` field, so an event read
 *    from an SDK goes back out unchanged.
 * 4. Every event kind of ours has an encoder and a decoder; the compiler refuses a new kind
 *    without them. Protocol kinds Perdure has no event for (historyState, continueAsNew) are
 *    refused with a ProtocolError naming the kind.
 * 5. The exception to "lossless": the fields Perdure's entity protocol adds for its own routing
 *    (EntityLockRequested.parentExecutionId, EntityUnlockSent.lockSet/position) have no place on
 *    the wire and are not sent.
 *
 * @module
 */
import type { EventOf, EventType, HistoryEvent, ParentInstance } from "../core/history.js";
import { ENTITY_DECODERS, ENTITY_ENCODERS, ENTITY_MODELLED_FIELDS, ENTITY_WIRE_FIELDS } from "./codec-entities.js";
import { ProtocolError } from "./errors.js";
import {
  EMPTY_FAILURE,
  TO_WIRE_STATUS,
  completionStatusOf,
  extras,
  failureOf,
  fromWireString,
  fromWireTimestamp,
  int,
  isUnsetTimestamp,
  nonEmpty,
  optionalTime,
  str,
  strip,
  toWireFailure,
  toWireString,
  toWireTimestamp,
  type Fields,
  type WireExtended,
} from "./wire-values.js";
import type { WireHistoryEvent, WireInstance, WireStatus, WireString, WireTimestamp } from "./wire.js";

export {
  completionStatusOf,
  fromWireFailure,
  fromWireString,
  fromWireTimestamp,
  isUnsetTimestamp,
  optionalTime,
  strip,
  toWireFailure,
  toWireString,
  toWireTimestamp,
} from "./wire-values.js";
export type { WireExtended } from "./wire-values.js";

// ---------------------------------------------------------------------------------------------
// History events

/** The protocol's payload field for each of our event kinds. */
const WIRE_FIELD: Readonly<Record<EventType, string>> = {
  ExecutionStarted: "executionStarted",
  ExecutionCompleted: "executionCompleted",
  ExecutionTerminated: "executionTerminated",
  TaskScheduled: "taskScheduled",
  TaskCompleted: "taskCompleted",
  TaskFailed: "taskFailed",
  SubOrchestrationInstanceCreated: "subOrchestrationInstanceCreated",
  SubOrchestrationInstanceCompleted: "subOrchestrationInstanceCompleted",
  SubOrchestrationInstanceFailed: "subOrchestrationInstanceFailed",
  TimerCreated: "timerCreated",
  TimerFired: "timerFired",
  OrchestratorStarted: "orchestratorStarted",
  OrchestratorCompleted: "orchestratorCompleted",
  EventSent: "eventSent",
  EventRaised: "eventRaised",
  GenericEvent: "genericEvent",
  ExecutionSuspended: "executionSuspended",
  ExecutionResumed: "executionResumed",
  ExecutionRewound: "executionRewound",
  ...ENTITY_WIRE_FIELDS,
};
const OUR_TYPE = new Map(Object.entries(WIRE_FIELD).map(([ours, theirs]) => [theirs, ours as EventType]));

/** Protocol event kinds that have no Perdure event (yet). */
const UNMODELLED = ["historyState", "continueAsNew"];

type Encoders = { readonly [K in EventType]: (event: EventOf<K>) => Fields };
type Decoders = { readonly [K in EventType]: (payload: Fields) => Omit<EventOf<K>, "type" | "eventId" | "timestamp"> };

const ENCODE: Encoders = {
  ExecutionStarted: (e) => ({
    name: e.name,
    version: toWireString(e.version),
    input: toWireString(e.input),
    orchestrationInstance: { instanceId: e.instanceId, executionId: toWireString(e.executionId) },
    parentInstance: e.parent === undefined ? undefined : toWireParent(e.parent, wireOf(e).parentInstance as Fields | undefined),
    scheduledStartTimestamp: e.scheduledStartTime === undefined ? undefined : toWireTimestamp(e.scheduledStartTime),
    tags: e.tags,
  }),
  ExecutionCompleted: (e) => ({
    orchestrationStatus: TO_WIRE_STATUS[e.status],
    result: toWireString(e.result),
    failureDetails: e.failureDetails === undefined ? undefined : toWireFailure(e.failureDetails),
  }),
  ExecutionTerminated: (e) => ({ input: toWireString(e.reason), recurse: e.recurse }),
  TaskScheduled: (e) => ({ name: e.name, version: toWireString(e.version), input: toWireString(e.input) }),
  TaskCompleted: (e) => ({ taskScheduledId: e.taskScheduledId, result: toWireString(e.result) }),
  TaskFailed: (e) => ({ taskScheduledId: e.taskScheduledId, failureDetails: toWireFailure(e.failureDetails) }),
  SubOrchestrationInstanceCreated: (e) => ({
    instanceId: e.instanceId,
    name: e.name,
    version: toWireString(e.version),
    input: toWireString(e.input),
  }),
  SubOrchestrationInstanceCompleted: (e) => ({ taskScheduledId: e.taskScheduledId, result: toWireString(e.result) }),
  SubOrchestrationInstanceFailed: (e) => ({ taskScheduledId: e.taskScheduledId, failureDetails: toWireFailure(e.failureDetails) }),
  TimerCreated: (e) => ({ fireAt: toWireTimestamp(e.fireAt) }),
  TimerFired: (e) => ({ fireAt: toWireTimestamp(e.fireAt), timerId: e.timerId }),
  OrchestratorStarted: () => ({}),
  OrchestratorCompleted: () => ({}),
  EventSent: (e) => ({ instanceId: e.instanceId, name: e.name, input: toWireString(e.input) }),
  EventRaised: (e) => ({ name: e.name, input: toWireString(e.input) }),
  GenericEvent: (e) => ({ data: toWireString(e.data) }),
  ExecutionSuspended: (e) => ({ input: toWireString(e.reason) }),
  ExecutionResumed: (e) => ({ input: toWireString(e.reason) }),
  ExecutionRewound: (e) => ({ reason: toWireString(e.reason) }),
  ...ENTITY_ENCODERS,
};

const DECODE: Decoders = {
  ExecutionStarted: (p) => {
    const instance = (p.orchestrationInstance ?? {}) as WireInstance;
    return {
      name: str(p.name),
      version: fromWireString(p.version as WireString | undefined),
      input: fromWireString(p.input as WireString | undefined),
      instanceId: instance.instanceId ?? "",
      executionId: fromWireString(instance.executionId) ?? "",
      parent: p.parentInstance == null ? undefined : fromWireParent(p.parentInstance as Fields),
      scheduledStartTime: optionalTime(p.scheduledStartTimestamp as WireTimestamp | undefined),
      tags: nonEmpty(p.tags as Record<string, string> | undefined),
    };
  },
  ExecutionCompleted: (p) => ({
    status: completionStatusOf(p.orchestrationStatus as WireStatus | undefined),
    result: fromWireString(p.result as WireString | undefined),
    failureDetails: failureOf(p.failureDetails),
  }),
  ExecutionTerminated: (p) => ({ reason: fromWireString(p.input as WireString | undefined), recurse: p.recurse === true ? true : undefined }),
  TaskScheduled: (p) => ({ name: str(p.name), version: fromWireString(p.version as WireString), input: fromWireString(p.input as WireString) }),
  TaskCompleted: (p) => ({ taskScheduledId: int(p.taskScheduledId), result: fromWireString(p.result as WireString) }),
  TaskFailed: (p) => ({ taskScheduledId: int(p.taskScheduledId), failureDetails: failureOf(p.failureDetails) ?? EMPTY_FAILURE }),
  SubOrchestrationInstanceCreated: (p) => ({
    instanceId: str(p.instanceId),
    name: str(p.name),
    version: fromWireString(p.version as WireString),
    input: fromWireString(p.input as WireString),
  }),
  SubOrchestrationInstanceCompleted: (p) => ({ taskScheduledId: int(p.taskScheduledId), result: fromWireString(p.result as WireString) }),
  SubOrchestrationInstanceFailed: (p) => ({
    taskScheduledId: int(p.taskScheduledId),
    failureDetails: failureOf(p.failureDetails) ?? EMPTY_FAILURE,
  }),
  TimerCreated: (p) => ({ fireAt: fromWireTimestamp((p.fireAt ?? {}) as WireTimestamp) }),
  TimerFired: (p) => ({ fireAt: fromWireTimestamp((p.fireAt ?? {}) as WireTimestamp), timerId: int(p.timerId) }),
  OrchestratorStarted: () => ({}),
  OrchestratorCompleted: () => ({}),
  EventSent: (p) => ({ instanceId: str(p.instanceId), name: str(p.name), input: fromWireString(p.input as WireString) }),
  EventRaised: (p) => ({ name: str(p.name), input: fromWireString(p.input as WireString) }),
  GenericEvent: (p) => ({ data: fromWireString(p.data as WireString) }),
  ExecutionSuspended: (p) => ({ reason: fromWireString(p.input as WireString) }),
  ExecutionResumed: (p) => ({ reason: fromWireString(p.input as WireString) }),
  ExecutionRewound: (p) => ({ reason: fromWireString(p.reason as WireString) }),
  ...ENTITY_DECODERS,
};

/** Payload fields each decoder reads; anything else in a payload is kept in `wire`. */
const MODELLED_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  ExecutionStarted: ["name", "version", "input", "orchestrationInstance", "parentInstance", "scheduledStartTimestamp", "tags"],
  ExecutionCompleted: ["orchestrationStatus", "result", "failureDetails"],
  ExecutionTerminated: ["input", "recurse"],
  TaskScheduled: ["name", "version", "input"],
  TaskCompleted: ["taskScheduledId", "result"],
  TaskFailed: ["taskScheduledId", "failureDetails"],
  SubOrchestrationInstanceCreated: ["instanceId", "name", "version", "input"],
  SubOrchestrationInstanceCompleted: ["taskScheduledId", "result"],
  SubOrchestrationInstanceFailed: ["taskScheduledId", "failureDetails"],
  TimerCreated: ["fireAt"],
  TimerFired: ["fireAt", "timerId"],
  OrchestratorStarted: [],
  OrchestratorCompleted: [],
  EventSent: ["instanceId", "name", "input"],
  EventRaised: ["name", "input"],
  GenericEvent: ["data"],
  ExecutionSuspended: ["input"],
  ExecutionResumed: ["input"],
  ExecutionRewound: ["reason"],
  ...ENTITY_MODELLED_FIELDS,
};

/** One of our events as a protocol HistoryEvent. */
export function toWireEvent(event: HistoryEvent): WireHistoryEvent {
  const encode = ENCODE[event.type] as (e: HistoryEvent) => Fields;
  const { parentInstance: _parentExtras, ...extra } = wireOf(event);
  const payload = strip({ ...extra, ...encode(event) });
  return { eventId: event.eventId, timestamp: toWireTimestamp(event.timestamp), [WIRE_FIELD[event.type]]: payload };
}

/**
 * A protocol HistoryEvent as one of ours. `defaultTime` stands in for an absent timestamp (an SDK
 * leaves it unset on events it builds, such as carried-over external events).
 * @throws ProtocolError for a kind Perdure has no event for, or a malformed field.
 */
export function fromWireEvent(wire: WireHistoryEvent, defaultTime?: string): HistoryEvent {
  const field = wire.eventType ?? Object.keys(WIRE_FIELD).map((t) => WIRE_FIELD[t as EventType]).find((f) => wire[f] != null);
  const type = field === undefined ? undefined : OUR_TYPE.get(field);
  if (type === undefined) {
    const kind = field ?? UNMODELLED.find((f) => wire[f] != null) ?? "an empty event";
    throw new ProtocolError(`History event kind '${kind}' is not supported by this server.`);
  }
  const payload = (wire[field!] ?? {}) as Fields;
  const decode = DECODE[type] as (p: Fields) => Fields;
  if (wire.timestamp == null && defaultTime === undefined) throw new ProtocolError(`A '${field}' event has no timestamp.`);
  // An unset time (absent, or the zero the Python SDK gives the events it carries over) takes the default.
  const timestamp = defaultTime !== undefined && isUnsetTimestamp(wire.timestamp) ? defaultTime : fromWireTimestamp(wire.timestamp!);
  const known = new Set(MODELLED_FIELDS[type]);
  const rest: Fields = {};
  for (const [key, value] of Object.entries(payload)) if (!known.has(key) && value != null) rest[key] = value;
  if (type === "ExecutionStarted" && payload.parentInstance != null) {
    const { taskScheduledId: _t, name: _n, orchestrationInstance: _o, ...parentRest } = payload.parentInstance as Fields;
    if (extras(parentRest) !== undefined) rest.parentInstance = parentRest;
  }
  return strip({ type, eventId: int(wire.eventId), timestamp, ...decode(payload), wire: extras(rest) }) as unknown as HistoryEvent;
}

function toWireParent(parent: ParentInstance, extra: Fields | undefined): Fields {
  return strip({
    ...extra,
    taskScheduledId: parent.taskScheduledId,
    name: toWireString(parent.name),
    orchestrationInstance: { instanceId: parent.instanceId, executionId: toWireString(parent.executionId) },
  });
}

function fromWireParent(wire: Fields): ParentInstance {
  const instance = (wire.orchestrationInstance ?? {}) as WireInstance;
  return strip({
    name: fromWireString(wire.name as WireString | undefined) ?? "",
    instanceId: instance.instanceId ?? "",
    executionId: fromWireString(instance.executionId),
    taskScheduledId: int(wire.taskScheduledId),
  });
}

function wireOf(event: object): Fields {
  return ((event as WireExtended<object>).wire ?? {}) as Fields;
}

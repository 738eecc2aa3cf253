/**
 * Actions: what an orchestration episode asks the runtime to do, in the imperative Durable Task
 * vocabulary. Every action except CompleteOrchestration carries the sequence number (`id`) it
 * was given when the durable call was made; its history echo carries the same number as `eventId`.
 *
 * @module
 */
import type { CallDescription, CallKind, FailureDetails } from "./errors.js";
import { newActionEvent, type CompletionStatus, type EventFields, type HistoryEvent } from "./history.js";
import type { Payload } from "./serde.js";

export const ActionType = Object.freeze({
  ScheduleTask: "ScheduleTask",
  CreateTimer: "CreateTimer",
  CreateSubOrchestration: "CreateSubOrchestration",
  SendEvent: "SendEvent",
  SendEntityMessage: "SendEntityMessage",
  MarkPatch: "MarkPatch",
  CompleteOrchestration: "CompleteOrchestration",
} as const);
export type ActionType = (typeof ActionType)[keyof typeof ActionType];

export interface ScheduleTaskAction {
  readonly type: "ScheduleTask";
  readonly id: number;
  readonly name: string;
  readonly version?: string | undefined;
  readonly input?: Payload;
}
export interface CreateTimerAction {
  readonly type: "CreateTimer";
  readonly id: number;
  readonly fireAt: string;
}
export interface CreateSubOrchestrationAction {
  readonly type: "CreateSubOrchestration";
  readonly id: number;
  readonly name: string;
  readonly instanceId: string;
  readonly version?: string | undefined;
  readonly input?: Payload;
}
export interface SendEventAction {
  readonly type: "SendEvent";
  readonly id: number;
  readonly instanceId: string;
  readonly name: string;
  readonly data?: Payload;
}
/** The history events that are also messages to entities, in the protocol's vocabulary. */
export type EntityMessageType = "EntityOperationSignaled" | "EntityOperationCalled" | "EntityLockRequested" | "EntityUnlockSent";

/** A message to an entity: its event kind and fields. Its history echo is the same event. */
export type EntityMessage = {
  [K in EntityMessageType]: { readonly type: K } & EventFields<K>;
}[EntityMessageType];

/** Sends a call, a signal, a lock request or a release to an entity (the protocol's sendEntityMessage). */
export interface SendEntityMessageAction {
  readonly type: "SendEntityMessage";
  readonly id: number;
  readonly message: EntityMessage;
}

/**
 * Records that the code took the new branch of `ctx.patched(patchId)`. It changes nothing outside
 * the instance; its echo (a GenericEvent carrying the patch id under the action's sequence number)
 * tells a later replay that this execution went that way.
 */
export interface MarkPatchAction {
  readonly type: "MarkPatch";
  readonly id: number;
  readonly patchId: string;
}

export interface CompleteOrchestrationAction {
  readonly type: "CompleteOrchestration";
  readonly status: CompletionStatus;
  /** The output; for ContinuedAsNew, the next execution's input; for Terminated, the reason. */
  readonly result?: Payload;
  readonly failureDetails?: FailureDetails | undefined;
  /** ContinuedAsNew only: events to deliver to the next execution (unprocessed external events). */
  readonly carryoverEvents?: readonly HistoryEvent[] | undefined;
}

/** An action that schedules durable work and is echoed into history under its sequence number. */
export type SequencedAction =
  | ScheduleTaskAction
  | CreateTimerAction
  | CreateSubOrchestrationAction
  | SendEventAction
  | SendEntityMessageAction
  | MarkPatchAction;
export type Action = SequencedAction | CompleteOrchestrationAction;

/** The entity instance a message is addressed to. */
export function entityMessageTarget(message: EntityMessage): string {
  return message.type === "EntityLockRequested" ? message.lockSet[message.position] ?? "" : message.targetInstanceId;
}

/** A short human description of an action, as used in nondeterminism messages: `ScheduleTask 'Process'`. */
export function describeAction(action: SequencedAction): string {
  switch (action.type) {
    case "ScheduleTask":
      return `ScheduleTask '${action.name}'`;
    case "CreateTimer":
      return `CreateTimer (fire at ${action.fireAt})`;
    case "CreateSubOrchestration":
      return `CreateSubOrchestration '${action.name}'`;
    case "SendEvent":
      return `SendEvent '${action.name}' to '${action.instanceId}'`;
    case "SendEntityMessage":
      return describeEntityMessage(action.message);
    case "MarkPatch":
      return `patch marker '${action.patchId}'`;
  }
}

function describeEntityMessage(message: EntityMessage): string {
  switch (message.type) {
    case "EntityOperationSignaled":
    case "EntityOperationCalled":
      return `${message.type} '${message.operation}' on '${message.targetInstanceId}'`;
    case "EntityLockRequested":
      return `EntityLockRequested on [${message.lockSet.join(", ")}]`;
    case "EntityUnlockSent":
      return `EntityUnlockSent to '${message.targetInstanceId}'`;
  }
}

/**
 * True when a recorded action and a produced one are the same durable call, as replay checks
 * them: the same kind, and the same name (case-insensitive) for tasks, sub-orchestrations and
 * events; for entity messages the same message kind, target and operation. Inputs are not compared.
 */
export function isSameAction(recorded: SequencedAction, produced: SequencedAction): boolean {
  if (recorded.type !== produced.type) return false;
  if (recorded.type === "SendEntityMessage") {
    const a = recorded.message;
    const b = (produced as SendEntityMessageAction).message;
    if (a.type !== b.type || entityMessageTarget(a) !== entityMessageTarget(b)) return false;
    if (a.type === "EntityLockRequested") return a.lockSet.join("\n") === (b as typeof a).lockSet.join("\n");
    if (a.type === "EntityUnlockSent") return true;
    return a.operation.toLowerCase() === (b as typeof a).operation.toLowerCase();
  }
  if (recorded.type === "MarkPatch") return recorded.patchId === (produced as MarkPatchAction).patchId;
  if (!("name" in recorded)) return true;
  return recorded.name.toLowerCase() === (produced as { name: string }).name.toLowerCase();
}

/** The history event that records an action, stamped with the episode's time. */
export function echoOf(action: SequencedAction, at: string): HistoryEvent {
  switch (action.type) {
    case "ScheduleTask":
      return newActionEvent("TaskScheduled", action.id, at, { name: action.name, version: action.version, input: action.input });
    case "CreateTimer":
      return newActionEvent("TimerCreated", action.id, at, { fireAt: action.fireAt });
    case "CreateSubOrchestration":
      return newActionEvent("SubOrchestrationInstanceCreated", action.id, at, {
        name: action.name,
        instanceId: action.instanceId,
        version: action.version,
        input: action.input,
      });
    case "SendEvent":
      return newActionEvent("EventSent", action.id, at, { instanceId: action.instanceId, name: action.name, input: action.data });
    case "SendEntityMessage": {
      const { type, ...fields } = action.message;
      return newActionEvent(type, action.id, at, fields as EventFields<typeof type>);
    }
    case "MarkPatch":
      return newActionEvent("GenericEvent", action.id, at, { data: patchMarkerData(action.patchId) });
  }
}

/** The data of a patch marker's GenericEvent: `{"patch":"<id>"}`. */
export function patchMarkerData(patchId: string): string {
  return JSON.stringify({ patch: patchId });
}

/** The patch id a GenericEvent records, when it is a patch marker (an action echo with patch data). */
export function patchIdOf(event: HistoryEvent): string | undefined {
  if (event.type !== "GenericEvent" || event.eventId < 0 || event.data === undefined) return undefined;
  try {
    const data = JSON.parse(event.data) as { patch?: unknown };
    return typeof data?.patch === "string" ? data.patch : undefined;
  } catch {
    return undefined;
  }
}

const CALL_KINDS: Readonly<Record<SequencedAction["type"], CallKind>> = {
  ScheduleTask: "activity",
  CreateSubOrchestration: "subOrchestration",
  CreateTimer: "timer",
  SendEvent: "event",
  SendEntityMessage: "entity",
  MarkPatch: "patch",
};

/**
 * The input a replay compares: an activity's or sub-orchestration's input, an event's data, an
 * entity operation's input, a timer's fire time; nothing for lock messages and patch markers.
 */
export function inputOf(action: SequencedAction): string | undefined {
  switch (action.type) {
    case "ScheduleTask":
    case "CreateSubOrchestration":
      return action.input;
    case "SendEvent":
      return action.data;
    case "CreateTimer":
      return action.fireAt;
    case "SendEntityMessage":
      return action.message.type === "EntityOperationCalled" || action.message.type === "EntityOperationSignaled" ? action.message.input : undefined;
    case "MarkPatch":
      return undefined;
  }
}

function nameOf(action: SequencedAction): string | undefined {
  switch (action.type) {
    case "ScheduleTask":
    case "CreateSubOrchestration":
    case "SendEvent":
      return action.name;
    case "SendEntityMessage":
      return "operation" in action.message ? action.message.operation : undefined;
    case "MarkPatch":
      return action.patchId;
    case "CreateTimer":
      return undefined;
  }
}

/** A durable call as divergence reports name it: kind, name, input and text. */
export function describeCall(action: SequencedAction): CallDescription {
  return { kind: CALL_KINDS[action.type], name: nameOf(action), input: inputOf(action), text: describeAction(action) };
}

/** The action a recorded echo stands for (the inverse of `echoOf`); undefined for an event that echoes none. */
export function actionOfEcho(event: HistoryEvent): SequencedAction | undefined {
  if (event.eventId < 0) return undefined;
  const id = event.eventId;
  switch (event.type) {
    case "TaskScheduled":
      return { type: "ScheduleTask", id, name: event.name, version: event.version, input: event.input };
    case "TimerCreated":
      return { type: "CreateTimer", id, fireAt: event.fireAt };
    case "SubOrchestrationInstanceCreated":
      return { type: "CreateSubOrchestration", id, name: event.name, instanceId: event.instanceId, version: event.version, input: event.input };
    case "EventSent":
      return { type: "SendEvent", id, instanceId: event.instanceId, name: event.name, data: event.input };
    case "EntityOperationSignaled":
    case "EntityOperationCalled":
    case "EntityLockRequested":
    case "EntityUnlockSent": {
      const { eventId: _eventId, timestamp: _timestamp, ...message } = event;
      return { type: "SendEntityMessage", id, message: message as EntityMessage };
    }
    case "GenericEvent": {
      const patchId = patchIdOf(event);
      return patchId === undefined ? undefined : { type: "MarkPatch", id, patchId };
    }
    default:
      return undefined;
  }
}

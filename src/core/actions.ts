/**
 * Actions: what an orchestration episode asks the runtime to do, in the imperative Durable Task
 * vocabulary. Every action except CompleteOrchestration carries the sequence number (`id`) it
 * was given when the durable call was made; its history echo carries the same number as `eventId`.
 *
 * @module
 */
import type { FailureDetails } from "./errors.js";
import { newActionEvent, type CompletionStatus, type EventFields, type HistoryEvent } from "./history.js";
import type { Payload } from "./serde.js";

export const ActionType = Object.freeze({
  ScheduleTask: "ScheduleTask",
  CreateTimer: "CreateTimer",
  CreateSubOrchestration: "CreateSubOrchestration",
  SendEvent: "SendEvent",
  SendEntityMessage: "SendEntityMessage",
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
  | SendEntityMessageAction;
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
  }
}

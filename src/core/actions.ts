/**
 * Actions: what an orchestration episode asks the runtime to do, in the imperative Durable Task
 * vocabulary. Every action except CompleteOrchestration carries the sequence number (`id`) it
 * was given when the durable call was made; its history echo carries the same number as `eventId`.
 *
 * @module
 */
import type { FailureDetails } from "./errors.js";
import type { CompletionStatus, HistoryEvent } from "./history.js";
import type { Payload } from "./serde.js";

export const ActionType = Object.freeze({
  ScheduleTask: "ScheduleTask",
  CreateTimer: "CreateTimer",
  CreateSubOrchestration: "CreateSubOrchestration",
  SendEvent: "SendEvent",
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
export type SequencedAction = ScheduleTaskAction | CreateTimerAction | CreateSubOrchestrationAction | SendEventAction;
export type Action = SequencedAction | CompleteOrchestrationAction;

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
  }
}

/**
 * History events: the event-sourced record of one orchestration execution, in the Durable Task
 * vocabulary (past tense). They carry the same information as the Durable Task protocol's
 * events, so that they can be served to other SDKs without loss:
 *
 * 1. `timestamp` is an ISO-8601 UTC string kept exactly as given (up to nanoseconds).
 * 2. Payloads are JSON strings; `undefined` (absent) is distinct from `"null"` and `""`.
 * 3. `eventId` is the sequence number of the action an event echoes (TaskScheduled, TimerCreated,
 *    SubOrchestrationInstanceCreated, EventSent, and the entity messages EntityOperationSignaled,
 *    EntityOperationCalled, EntityLockRequested, EntityUnlockSent) and -1 for every other event —
 *    including the copies of entity messages that travel to an entity's inbox.
 * 4. Every execution has its own `executionId` (a new one per continue-as-new).
 *
 * @module
 */
import type { FailureDetails } from "./errors.js";
import type { Payload } from "./serde.js";

/** Every history event kind; one spelling per value. */
export const EventType = Object.freeze({
  ExecutionStarted: "ExecutionStarted",
  ExecutionCompleted: "ExecutionCompleted",
  ExecutionTerminated: "ExecutionTerminated",
  TaskScheduled: "TaskScheduled",
  TaskCompleted: "TaskCompleted",
  TaskFailed: "TaskFailed",
  SubOrchestrationInstanceCreated: "SubOrchestrationInstanceCreated",
  SubOrchestrationInstanceCompleted: "SubOrchestrationInstanceCompleted",
  SubOrchestrationInstanceFailed: "SubOrchestrationInstanceFailed",
  TimerCreated: "TimerCreated",
  TimerFired: "TimerFired",
  OrchestratorStarted: "OrchestratorStarted",
  OrchestratorCompleted: "OrchestratorCompleted",
  EventSent: "EventSent",
  EventRaised: "EventRaised",
  GenericEvent: "GenericEvent",
  ExecutionSuspended: "ExecutionSuspended",
  ExecutionResumed: "ExecutionResumed",
  ExecutionRewound: "ExecutionRewound",
  EntityOperationSignaled: "EntityOperationSignaled",
  EntityOperationCalled: "EntityOperationCalled",
  EntityOperationCompleted: "EntityOperationCompleted",
  EntityOperationFailed: "EntityOperationFailed",
  EntityLockRequested: "EntityLockRequested",
  EntityLockGranted: "EntityLockGranted",
  EntityUnlockSent: "EntityUnlockSent",
} as const);
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Status values of an execution's end, as recorded by ExecutionCompleted. */
export const CompletionStatus = Object.freeze({
  Completed: "Completed",
  Failed: "Failed",
  Terminated: "Terminated",
  ContinuedAsNew: "ContinuedAsNew",
} as const);
export type CompletionStatus = (typeof CompletionStatus)[keyof typeof CompletionStatus];

interface EventBase<T extends EventType> {
  readonly type: T;
  readonly eventId: number;
  readonly timestamp: string;
}

/** Where a sub-orchestration was started from. */
export interface ParentInstance {
  readonly name: string;
  readonly instanceId: string;
  readonly executionId?: string | undefined;
  /** The sequence number of the parent's CreateSubOrchestration action. */
  readonly taskScheduledId: number;
}

export interface ExecutionStartedEvent extends EventBase<"ExecutionStarted"> {
  readonly name: string;
  readonly version?: string | undefined;
  readonly input?: Payload;
  readonly instanceId: string;
  readonly executionId: string;
  readonly parent?: ParentInstance | undefined;
  readonly scheduledStartTime?: string | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
}
export interface ExecutionCompletedEvent extends EventBase<"ExecutionCompleted"> {
  readonly status: CompletionStatus;
  /** The output; for ContinuedAsNew, the next execution's input. */
  readonly result?: Payload;
  readonly failureDetails?: FailureDetails | undefined;
}
export interface ExecutionTerminatedEvent extends EventBase<"ExecutionTerminated"> {
  readonly reason?: Payload;
  readonly recurse?: boolean | undefined;
}
export interface TaskScheduledEvent extends EventBase<"TaskScheduled"> {
  readonly name: string;
  readonly version?: string | undefined;
  readonly input?: Payload;
}
export interface TaskCompletedEvent extends EventBase<"TaskCompleted"> {
  readonly taskScheduledId: number;
  readonly result?: Payload;
}
export interface TaskFailedEvent extends EventBase<"TaskFailed"> {
  readonly taskScheduledId: number;
  readonly failureDetails: FailureDetails;
}
export interface SubOrchestrationInstanceCreatedEvent extends EventBase<"SubOrchestrationInstanceCreated"> {
  readonly name: string;
  readonly instanceId: string;
  readonly version?: string | undefined;
  readonly input?: Payload;
}
export interface SubOrchestrationInstanceCompletedEvent extends EventBase<"SubOrchestrationInstanceCompleted"> {
  readonly taskScheduledId: number;
  readonly result?: Payload;
}
export interface SubOrchestrationInstanceFailedEvent extends EventBase<"SubOrchestrationInstanceFailed"> {
  readonly taskScheduledId: number;
  readonly failureDetails: FailureDetails;
}
export interface TimerCreatedEvent extends EventBase<"TimerCreated"> {
  readonly fireAt: string;
}
export interface TimerFiredEvent extends EventBase<"TimerFired"> {
  readonly timerId: number;
  readonly fireAt: string;
}
/** Opens an episode; its timestamp is the orchestration's `currentUtcDateTime` for that episode. */
export type OrchestratorStartedEvent = EventBase<"OrchestratorStarted">;
export type OrchestratorCompletedEvent = EventBase<"OrchestratorCompleted">;
export interface EventSentEvent extends EventBase<"EventSent"> {
  readonly instanceId: string;
  readonly name: string;
  readonly input?: Payload;
}
export interface EventRaisedEvent extends EventBase<"EventRaised"> {
  readonly name: string;
  readonly input?: Payload;
}
export interface GenericEvent extends EventBase<"GenericEvent"> {
  readonly data?: Payload;
}
export interface ExecutionSuspendedEvent extends EventBase<"ExecutionSuspended"> {
  readonly reason?: Payload;
}
export interface ExecutionResumedEvent extends EventBase<"ExecutionResumed"> {
  readonly reason?: Payload;
}
export interface ExecutionRewoundEvent extends EventBase<"ExecutionRewound"> {
  readonly reason?: Payload;
}

/** A one-way operation on an entity (from a client, an orchestration or another entity). */
export interface EntityOperationSignaledEvent extends EventBase<"EntityOperationSignaled"> {
  readonly requestId: string;
  readonly operation: string;
  /** Not delivered before this time (ISO-8601), for a scheduled signal. */
  readonly scheduledTime?: string | undefined;
  readonly input?: Payload;
  /** The entity's instance id, `@<name>@<key>`. */
  readonly targetInstanceId: string;
}
/** A two-way operation on an entity, from an orchestration that awaits its result. */
export interface EntityOperationCalledEvent extends EventBase<"EntityOperationCalled"> {
  readonly requestId: string;
  readonly operation: string;
  readonly scheduledTime?: string | undefined;
  readonly input?: Payload;
  /** The calling orchestration, where the result goes. */
  readonly parentInstanceId: string;
  readonly parentExecutionId?: string | undefined;
  readonly targetInstanceId: string;
}
/** The result of a called operation, delivered to the caller. */
export interface EntityOperationCompletedEvent extends EventBase<"EntityOperationCompleted"> {
  readonly requestId: string;
  readonly output?: Payload;
}
/** The failure of a called operation, delivered to the caller. */
export interface EntityOperationFailedEvent extends EventBase<"EntityOperationFailed"> {
  readonly requestId: string;
  readonly failureDetails: FailureDetails;
}
/**
 * A request to lock the entities of `lockSet` (sorted, without duplicates) for one critical
 * section of `parentInstanceId`. It travels along the set: `position` names the entity it is
 * addressed to.
 */
export interface EntityLockRequestedEvent extends EventBase<"EntityLockRequested"> {
  readonly criticalSectionId: string;
  readonly lockSet: readonly string[];
  readonly position: number;
  readonly parentInstanceId: string;
  /** The execution that asked, so that a grant never reaches a later execution. */
  readonly parentExecutionId?: string | undefined;
}
/** Every entity of the lock set is locked for the critical section. */
export interface EntityLockGrantedEvent extends EventBase<"EntityLockGranted"> {
  readonly criticalSectionId: string;
}
/**
 * Releases `targetInstanceId` from the critical section. With `lockSet` and `position`, the
 * release travels along the lock set behind the lock request (used when an orchestration ends
 * before or while it holds the locks).
 */
export interface EntityUnlockSentEvent extends EventBase<"EntityUnlockSent"> {
  readonly criticalSectionId: string;
  readonly parentInstanceId: string;
  readonly targetInstanceId: string;
  readonly lockSet?: readonly string[] | undefined;
  readonly position?: number | undefined;
}

/** One event of an orchestration's history. */
export type HistoryEvent =
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionTerminatedEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | SubOrchestrationInstanceCreatedEvent
  | SubOrchestrationInstanceCompletedEvent
  | SubOrchestrationInstanceFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | OrchestratorStartedEvent
  | OrchestratorCompletedEvent
  | EventSentEvent
  | EventRaisedEvent
  | GenericEvent
  | ExecutionSuspendedEvent
  | ExecutionResumedEvent
  | ExecutionRewoundEvent
  | EntityOperationSignaledEvent
  | EntityOperationCalledEvent
  | EntityOperationCompletedEvent
  | EntityOperationFailedEvent
  | EntityLockRequestedEvent
  | EntityLockGrantedEvent
  | EntityUnlockSentEvent;

/** The event of a given kind. */
export type EventOf<T extends EventType> = Extract<HistoryEvent, { type: T }>;

/** The fields of an event of a kind, without its kind, eventId and timestamp. */
export type EventFields<T extends EventType> = Omit<EventOf<T>, "type" | "eventId" | "timestamp">;
type Fields<T extends EventType> = EventFields<T>;

/** Builds an event that is not an action echo (eventId -1). */
export function newEvent<T extends EventType>(type: T, timestamp: string, fields: Fields<T>): EventOf<T> {
  return { type, eventId: -1, timestamp, ...stripUndefined(fields) } as unknown as EventOf<T>;
}

/** Builds an action echo: an event whose eventId is the sequence number of the action. */
export function newActionEvent<T extends EventType>(
  type: T,
  eventId: number,
  timestamp: string,
  fields: Fields<T>,
): EventOf<T> {
  return { type, eventId, timestamp, ...stripUndefined(fields) } as unknown as EventOf<T>;
}

/** Drops keys whose value is undefined, so that stored JSON has no `"input": null` for an absent payload. */
function stripUndefined<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as T;
}

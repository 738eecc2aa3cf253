/**
 * Perdure: the Durable Functions programming model for TypeScript, running anywhere.
 *
 * @module
 */

// Programming model
export { createApp, App } from "./sdk/app.js";
export type { ActivityFunction, RegisteredActivity, RegisteredOrchestration } from "./sdk/app.js";
export type { ActivityHandle, OrchestrationHandle, InputOf, OutputOf, InputArgs } from "./sdk/handles.js";
export type { OrchestrationContext, OrchestrationFunction } from "./sdk/orchestration-context.js";
export type { ActivityContext } from "./sdk/activity-context.js";
export type {
  RetryOptions,
  CallActivityOptions,
  CallSubOrchestratorOptions,
  ContinueAsNewOptions,
  WaitForExternalEventOptions,
  ReplayLogger,
} from "./sdk/options.js";

// Tasks
export { Task } from "./sdk/task.js";
export type { TaskResult, SettledResult, TimerTask } from "./sdk/task.js";

// Errors
export {
  PerdureError,
  ErrorCode,
  NonRetriableError,
  TaskFailedError,
  EventTimeoutError,
  TaskCanceledError,
  NonDeterminismError,
  SerializationError,
  InvalidArgumentError,
  InvalidOrchestrationError,
  CorruptHistoryError,
  DuplicateRegistrationError,
} from "./core/errors.js";
export type { FailureDetails, NonDeterminismInfo } from "./core/errors.js";

// History and replay (for tools and tests of orchestration code)
export { EventType, CompletionStatus } from "./core/history.js";
export type { HistoryEvent, EventOf, ParentInstance } from "./core/history.js";
export { ActionType } from "./core/actions.js";
export type { Action } from "./core/actions.js";
export { OrchestrationExecutor } from "./core/replay/executor.js";
export type { ExecutionResult, ExecutionStatus } from "./core/replay/executor.js";
export { HistoryBuilder } from "./testing/history-builder.js";

/**
 * Perdure: the Durable Functions programming model for TypeScript, running anywhere.
 *
 * @module
 */

// Programming model
export { createApp, App } from "./sdk/app.js";
export type { ActivityFunction, RegisteredActivity, RegisteredOrchestration, RegisteredEntity, OrchestrationOptions } from "./sdk/app.js";
export { compareVersions } from "./core/versions.js";
export type { HttpFunction, HttpFunctionRequest, HttpFunctionClient, HttpMethod, RegisteredHttpFunction } from "./sdk/app.js";
export type { ActivityHandle, OrchestrationHandle, InputOf, OutputOf, InputArgs } from "./sdk/handles.js";
export type { OrchestrationContext, OrchestrationFunction } from "./sdk/orchestration-context.js";
export type { ActivityContext } from "./sdk/activity-context.js";
export { entityId } from "./sdk/entity-context.js";
export type { EntityContext, EntityFunction, EntityClass, EntityLock, SignalEntityOptions } from "./sdk/entity-context.js";
export type {
  EntityHandle,
  EntityId,
  OperationName,
  OperationInput,
  OperationOutput,
  OperationArgs,
  ClassOperations,
  UntypedOperations,
} from "./sdk/handles.js";
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
  EntityOperationFailedError,
  LockingRulesViolationError,
  InvalidEntityError,
} from "./core/errors.js";
export type { FailureDetails, NonDeterminismInfo } from "./core/errors.js";

// Running: stores, worker, client
export { sqlite } from "./store/sqlite/index.js";
export type { SqliteOptions } from "./store/sqlite/index.js";
export { postgres } from "./store/postgres/index.js";
export type { PostgresOptions, PostgresStore } from "./store/postgres/index.js";
export { RuntimeStatus, isTerminal } from "./store/store.js";
export type { Store, InstanceFilter, StoreEvent, QueryOrder, StatusCounts } from "./store/store.js";
export {
  InstanceExistsError,
  InstanceNotFoundError,
  InvalidInstanceStateError,
  LeaseLostError,
  SchemaTooNewError,
  StoreClosedError,
} from "./store/errors.js";
export { createWorker, Worker } from "./runtime/worker.js";
export type { WorkerOptions, StopOptions } from "./runtime/worker.js";
export { createClient, Client } from "./runtime/client.js";
export type { OrchestrationStatus, StartOptions, StatusOptions, ListOptions, ClientOptions } from "./runtime/client.js";
export {
  UnknownOrchestrationError,
  UnknownActivityError,
  PayloadTooLargeError,
  WaitTimeoutError,
  WorkerStateError,
  UnknownEntityError,
} from "./runtime/errors.js";
export type {
  EntityStateResponse,
  EntityMetadata,
  EntityDescription,
  ListEntitiesOptions,
  EntityPage,
  CleanEntityStorageOptions,
  CleanEntityStorageResult,
} from "./runtime/entity-client.js";
export { DEFAULT_MAX_PAYLOAD_BYTES } from "./runtime/payloads.js";
export { consoleLogger } from "./runtime/logger.js";
export type { Logger, LogLevel } from "./runtime/logger.js";

// HTTP: the management API, HTTP functions, check-status responses
export { createHttpHandler } from "./http/handler.js";
export type { FetchHandler, HttpHandlerOptions } from "./http/handler.js";
export type { DashboardOptions } from "./http/dashboard.js";
export { serve } from "./http/serve.js";
export type { ServeOptions, HttpServer } from "./http/serve.js";
export {
  httpClient,
  createCheckStatusResponse,
  waitForCompletionOrCreateCheckStatusResponse,
  createHttpManagementPayload,
  managementBaseUrl,
} from "./http/check-status.js";
export type { HttpClient, HttpManagement, CheckStatusPayload, HttpManagementPayload, WaitOptions } from "./http/check-status.js";
export { HttpError, UnauthorizedError, BadRequestError, HTTP_STATUS_BY_CODE } from "./http/errors.js";
export type { StatusJson, FailureJson } from "./http/status-json.js";
export { MANAGEMENT_OPENAPI } from "./http/openapi.js";

// The Durable Task protocol over gRPC, for the official Durable Task SDKs (Python, JavaScript, …)
export { createGrpcServer, serveGrpc, GrpcServer, shareStoreWithRemoteWorkers } from "./grpc/index.js";
export type { GrpcServerOptions, ListenOptions as GrpcListenOptions } from "./grpc/index.js";

// History and replay (for tools and tests of orchestration code)
export { EventType, CompletionStatus } from "./core/history.js";
export type { HistoryEvent, EventOf, ParentInstance } from "./core/history.js";
export { ActionType } from "./core/actions.js";
export type { Action } from "./core/actions.js";
export { OrchestrationExecutor } from "./core/replay/executor.js";
export type { ExecutionResult, ExecutionStatus } from "./core/replay/executor.js";
export { HistoryBuilder } from "./testing/history-builder.js";

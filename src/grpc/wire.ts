/**
 * The protocol's messages as `@grpc/proto-loader` hands them to us and takes them back (options
 * `keepCase`, `longs: String`, `enums: String`, `defaults: false`, `oneofs`, `arrays`, `objects`):
 * plain objects whose absent fields are absent. Only the fields Perdure reads or writes are typed;
 * the .proto files under proto/ are the full definition.
 *
 * Conventions that follow from `defaults: false` (proto3 sends no default values):
 * 1. An absent scalar is its zero value: `eventId` 0, `recurse` false, `name` "".
 * 2. An absent enum is its zero value: OrchestrationStatus RUNNING.
 * 3. A wrapper (`StringValue`) is a message: absent means "no value", `{}` or `{ value: "" }` the
 *    empty string.
 *
 * @module
 */

/** google.protobuf.Timestamp. `seconds` is a 64-bit integer, as a decimal string or a number. */
export interface WireTimestamp {
  seconds?: string | number;
  nanos?: number;
}

/** google.protobuf.StringValue. */
export interface WireString {
  value?: string;
}

export type WireStatus =
  | "ORCHESTRATION_STATUS_RUNNING"
  | "ORCHESTRATION_STATUS_COMPLETED"
  | "ORCHESTRATION_STATUS_CONTINUED_AS_NEW"
  | "ORCHESTRATION_STATUS_FAILED"
  | "ORCHESTRATION_STATUS_CANCELED"
  | "ORCHESTRATION_STATUS_TERMINATED"
  | "ORCHESTRATION_STATUS_PENDING"
  | "ORCHESTRATION_STATUS_SUSPENDED";

export interface WireInstance {
  instanceId?: string;
  executionId?: WireString;
}

export interface WireFailureDetails {
  errorType?: string;
  errorMessage?: string;
  stackTrace?: WireString;
  innerFailure?: WireFailureDetails;
  isNonRetriable?: boolean;
  /** map<string, google.protobuf.Value>, kept as the loader gives it. */
  properties?: Record<string, unknown>;
}

/** A history event: `eventId`, `timestamp`, and exactly one payload field named by `eventType`. */
export interface WireHistoryEvent {
  eventId?: number;
  timestamp?: WireTimestamp;
  /** The name of the payload field that is set (filled in by the loader when decoding). */
  eventType?: string;
  [payload: string]: unknown;
}

export interface WireAction {
  id?: number;
  orchestratorActionType?: string;
  scheduleTask?: {
    name?: string;
    version?: WireString;
    input?: WireString;
    tags?: Record<string, string>;
    parentTraceContext?: unknown;
  };
  createSubOrchestration?: {
    instanceId?: string;
    name?: string;
    version?: WireString;
    input?: WireString;
    parentTraceContext?: unknown;
    tags?: Record<string, string>;
  };
  createTimer?: { fireAt?: WireTimestamp };
  sendEvent?: { instance?: WireInstance; name?: string; data?: WireString };
  completeOrchestration?: {
    orchestrationStatus?: WireStatus;
    result?: WireString;
    details?: WireString;
    newVersion?: WireString;
    carryoverEvents?: WireHistoryEvent[];
    failureDetails?: WireFailureDetails;
    tags?: Record<string, string>;
  };
  terminateOrchestration?: { instanceId?: string; reason?: WireString; recurse?: boolean };
  sendEntityMessage?: unknown;
  rewindOrchestration?: { newHistory?: WireHistoryEvent[] };
}

export interface WireOrchestratorResponse {
  instanceId?: string;
  actions?: WireAction[];
  customStatus?: WireString;
  completionToken?: string;
}

export interface WireActivityResponse {
  instanceId?: string;
  taskId?: number;
  result?: WireString;
  failureDetails?: WireFailureDetails;
  completionToken?: string;
}

export interface WireOrchestrationState {
  instanceId: string;
  name: string;
  version?: WireString;
  orchestrationStatus: WireStatus;
  scheduledStartTimestamp?: WireTimestamp;
  createdTimestamp?: WireTimestamp;
  lastUpdatedTimestamp?: WireTimestamp;
  input?: WireString;
  output?: WireString;
  customStatus?: WireString;
  failureDetails?: WireFailureDetails;
  executionId?: WireString;
  completedTimestamp?: WireTimestamp;
  parentInstanceId?: WireString;
  tags?: Record<string, string>;
}

export interface WireWorkItemFilters {
  orchestrations?: Array<{ name?: string; versions?: string[] }>;
  activities?: Array<{ name?: string; versions?: string[] }>;
  entities?: Array<{ name?: string }>;
}

export interface WireGetWorkItemsRequest {
  maxConcurrentOrchestrationWorkItems?: number;
  maxConcurrentActivityWorkItems?: number;
  maxConcurrentEntityWorkItems?: number;
  capabilities?: string[];
  workItemFilters?: WireWorkItemFilters;
}

export interface WireOrchestratorRequest {
  instanceId: string;
  executionId?: WireString;
  pastEvents: WireHistoryEvent[];
  newEvents: WireHistoryEvent[];
}

export interface WireActivityRequest {
  name: string;
  version?: WireString;
  input?: WireString;
  orchestrationInstance: WireInstance;
  taskId: number;
  parentTraceContext?: unknown;
  tags?: Record<string, string>;
}

/** An entity work item (the protocol's first form, which both SDKs read directly). */
export interface WireEntityBatchRequest {
  instanceId: string;
  entityState?: WireString;
  operations: Array<{ operation: string; requestId: string; input?: WireString }>;
}

export interface WireOperationResult {
  success?: { result?: WireString };
  failure?: { failureDetails?: WireFailureDetails };
}

export interface WireOperationAction {
  id?: number;
  sendSignal?: { instanceId?: string; name?: string; input?: WireString; scheduledTime?: WireTimestamp };
  startNewOrchestration?: {
    instanceId?: string;
    name?: string;
    version?: WireString;
    input?: WireString;
    scheduledTime?: WireTimestamp;
    parentTraceContext?: unknown;
  };
}

export interface WireEntityBatchResult {
  results?: WireOperationResult[];
  actions?: WireOperationAction[];
  entityState?: WireString;
  /** Set when the batch as a whole failed: nothing of it is to be applied. */
  failureDetails?: WireFailureDetails;
  completionToken?: string;
}

export type WireWorkItem =
  | { orchestratorRequest: WireOrchestratorRequest; completionToken: string }
  | { activityRequest: WireActivityRequest; completionToken: string }
  | { entityRequest: WireEntityBatchRequest; completionToken: string }
  | { healthPing: Record<string, never>; completionToken?: string };

/**
 * Errors of the core, and the failure details that carry a user-code failure through history.
 *
 * Failures cross process boundaries (an activity fails on one worker, its orchestration replays
 * on another), so `instanceof` cannot be relied on after a round trip: every error has a stable
 * `code`, and a failure travels as {@link FailureDetails} data, revived at the yield that awaits it.
 *
 * @module
 */

/** Stable error codes. One spelling per value, used in code, history and HTTP answers. */
export const ErrorCode = Object.freeze({
  NonDeterminism: "NON_DETERMINISM",
  TaskFailed: "TASK_FAILED",
  EventTimeout: "EVENT_TIMEOUT",
  TaskCanceled: "TASK_CANCELED",
  NonRetriable: "NON_RETRIABLE",
  Serialization: "SERIALIZATION",
  InvalidArgument: "INVALID_ARGUMENT",
  InvalidOrchestration: "INVALID_ORCHESTRATION",
  DuplicateRegistration: "DUPLICATE_REGISTRATION",
  CorruptHistory: "CORRUPT_HISTORY",
  LockingRulesViolation: "LOCKING_RULES_VIOLATION",
  InvalidEntity: "INVALID_ENTITY",
} as const);
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The base of every error Perdure throws. `code` is stable across versions and processes. */
export class PerdureError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "PerdureError";
  }
}

/**
 * A failure as it is stored in history: the Durable Task `TaskFailureDetails` shape.
 * `innerFailure` holds the cause, recursively; `isNonRetriable` stops retry policies.
 */
export interface FailureDetails {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace?: string | undefined;
  readonly innerFailure?: FailureDetails | undefined;
  readonly isNonRetriable?: boolean | undefined;
}

/**
 * Throw this from an activity (or an orchestration) to fail without retries: a retry policy never
 * retries a failure marked non-retriable, whatever its `handle` predicate says.
 *
 * @example
 * app.activity("Charge", async (order: Order) => {
 *   if (!order.card) throw new NonRetriableError("order has no card on file");
 * });
 */
export class NonRetriableError extends PerdureError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.NonRetriable, message, options);
    this.name = "NonRetriableError";
  }
}

/** What kind of durable call a {@link TaskFailedError} comes from. */
export type FailedTaskKind = "activity" | "subOrchestration" | "entity";

/**
 * Raised at the `yield` of a failed activity or sub-orchestration. `details` holds what the
 * callee's failure recorded (type, message, stack, inner failure), so it can be inspected in a
 * `catch` block exactly as it was on the machine where it happened.
 */
export class TaskFailedError extends PerdureError {
  readonly taskKind: FailedTaskKind;
  readonly taskName: string;
  readonly taskId: number;
  readonly details: FailureDetails;
  constructor(kind: FailedTaskKind, name: string, taskId: number, details: FailureDetails, target?: string) {
    const what =
      kind === "activity"
        ? `Activity '${name}'`
        : kind === "entity"
          ? `Entity operation '${name}'${target ? ` on '${target}'` : ""}`
          : `Sub-orchestration '${name}'${target ? ` (instance '${target}')` : ""}`;
    super(ErrorCode.TaskFailed, `${what} failed: ${details.errorType}: ${details.errorMessage}`);
    this.name = "TaskFailedError";
    this.taskKind = kind;
    this.taskName = name;
    this.taskId = taskId;
    this.details = details;
  }
}

/**
 * Raised at the `yield` of `ctx.callEntity` when the operation threw. A TaskFailedError (kind
 * "entity"), so one `catch` handles every failed durable call; `details` is what the operation threw.
 */
export class EntityOperationFailedError extends TaskFailedError {
  /** The entity's instance id, `@<name>@<key>`. */
  readonly entityInstanceId: string;
  readonly operationName: string;
  constructor(operation: string, entityInstanceId: string, taskId: number, details: FailureDetails) {
    super("entity", operation, taskId, details, entityInstanceId);
    this.name = "EntityOperationFailedError";
    this.entityInstanceId = entityInstanceId;
    this.operationName = operation;
  }
}

/**
 * An orchestration broke a rule of critical sections (`ctx.lockEntities`): nested sections,
 * sub-orchestrations inside one, calls to entities it does not hold, parallel calls to one locked
 * entity, or signals to an entity it holds. The rules are what make critical sections deadlock-free.
 */
export class LockingRulesViolationError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.LockingRulesViolation, message);
    this.name = "LockingRulesViolationError";
  }
}

/** An entity was defined or addressed wrongly (a bad entity id, an unknown operation, an async operation). */
export class InvalidEntityError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.InvalidEntity, message);
    this.name = "InvalidEntityError";
  }
}

/** Fails a `waitForExternalEvent(name, { timeoutMs })` task when its timeout expires first. */
export class EventTimeoutError extends PerdureError {
  readonly eventName: string;
  readonly timeoutMs: number;
  constructor(eventName: string, timeoutMs: number) {
    super(
      ErrorCode.EventTimeout,
      `No external event '${eventName}' arrived within ${timeoutMs} ms. ` +
        `Catch EventTimeoutError around the wait to take the timeout path, or raise the event sooner.`,
    );
    this.name = "EventTimeoutError";
    this.eventName = eventName;
    this.timeoutMs = timeoutMs;
  }
}

/** Raised when a task that was canceled (a timer) is awaited. */
export class TaskCanceledError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.TaskCanceled, message);
    this.name = "TaskCanceledError";
  }
}

/** A value could not be turned into JSON (or a stored payload could not be read back). */
export class SerializationError extends PerdureError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Serialization, message, options);
    this.name = "SerializationError";
  }
}

/** A call was given an argument outside what it accepts. The message names it and what was expected. */
export class InvalidArgumentError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, message);
    this.name = "InvalidArgumentError";
  }
}

/** An orchestration function broke a rule of the programming model (yielded a non-task, is async, …). */
export class InvalidOrchestrationError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.InvalidOrchestration, message);
    this.name = "InvalidOrchestrationError";
  }
}

/** A history cannot be replayed because it is malformed (no ExecutionStarted, an event for an unknown task). */
export class CorruptHistoryError extends PerdureError {
  constructor(message: string) {
    super(ErrorCode.CorruptHistory, message);
    this.name = "CorruptHistoryError";
  }
}

/** The kinds of durable call a history records. */
export type CallKind = "activity" | "subOrchestration" | "timer" | "event" | "entity" | "patch";

/** One durable call, as a divergence report names it. */
export interface CallDescription {
  readonly kind: CallKind;
  /** The activity, orchestration, event or operation name; the patch id of a patch marker. */
  readonly name?: string | undefined;
  /** The call's input as JSON text (a timer's fire time; an event's data); absent when it has none. */
  readonly input?: string | undefined;
  /** How messages write it: `ScheduleTask 'Process'`. */
  readonly text: string;
}

/** Where replay of an orchestration diverged from its recorded history. */
export interface NonDeterminismInfo {
  readonly instanceId: string;
  readonly orchestrationName: string;
  /** The sequence number (action id) at which the history and the code disagree. */
  readonly position: number;
  /** What history recorded at that position, e.g. `ScheduleTask 'Process'`; `nothing` if it recorded none. */
  readonly recorded: string;
  /** What the code produced at that position now; `nothing` if it produced none. */
  readonly produced: string;
  /** The recorded call, when history recorded one at that position. */
  readonly recordedCall?: CallDescription | undefined;
  /** The call the code makes now at that position, when it makes one. */
  readonly producedCall?: CallDescription | undefined;
  /**
   * True when the code makes the same call (kind and name) with another input. Reported only
   * when replay compares inputs (`replayHistory`, `perdure check`); a worker does not, as Durable
   * Functions does not: the recorded result is used whatever the input.
   */
  readonly inputDiffers?: boolean | undefined;
}

/**
 * The orchestration code no longer produces the actions its history recorded. The instance fails
 * with this error rather than run on with results that belong to other calls.
 */
export class NonDeterminismError extends PerdureError {
  readonly info: NonDeterminismInfo;
  constructor(info: NonDeterminismInfo) {
    const what = info.inputDiffers
      ? `at position ${info.position} the history records ${info.recorded} with input ${clip(info.recordedCall?.input)}, ` +
        `but the code now makes it with input ${clip(info.producedCall?.input)}. `
      : `at position ${info.position} the history records ${info.recorded}, but the code now produces ${info.produced}. `;
    super(
      ErrorCode.NonDeterminism,
      `Non-deterministic orchestration '${info.orchestrationName}' (instance '${info.instanceId}'): ` +
        what +
        `Check whether the orchestration's code changed while this instance was running (deploy changed code under a ` +
        `new orchestration name or version), and that it uses no Date.now(), Math.random(), I/O or other ` +
        `nondeterministic input: use ctx.currentUtcDateTime, ctx.newGuid() and activities instead.`,
    );
    this.name = "NonDeterminismError";
    this.info = info;
  }
}

/** A payload for a message: "(none)", or its text cut at 120 characters. */
function clip(payload: string | undefined): string {
  if (payload === undefined) return "(none)";
  return payload.length > 120 ? `${payload.slice(0, 117)}...` : payload;
}

/** Two functions were registered under one name. */
export class DuplicateRegistrationError extends PerdureError {
  constructor(kind: string, name: string, version?: string) {
    super(
      ErrorCode.DuplicateRegistration,
      version === undefined
        ? `An ${kind} named '${name}' is already registered in this app. Names are unique per kind and case-insensitive; ` +
            `rename one of them.`
        : `An ${kind} named '${name}' with ${version} is already registered in this app. Each version of a name is ` +
            `registered once; give the new code a new version.`,
    );
    this.name = "DuplicateRegistrationError";
  }
}

/** Turns anything thrown into an Error, once, so that user code may throw strings or objects. */
export function normalizeError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  const error = new Error(`A non-Error value was thrown: ${text}`);
  error.name = "NonErrorThrown";
  return error;
}

const MAX_INNER_DEPTH = 10;

/** Captures an error as {@link FailureDetails}: what history stores of a failure. */
export function toFailureDetails(thrown: unknown, depth = 0): FailureDetails {
  const error = normalizeError(thrown);
  let inner: FailureDetails | undefined;
  if (error instanceof TaskFailedError) inner = error.details;
  else if (error.cause !== undefined && depth < MAX_INNER_DEPTH) inner = toFailureDetails(error.cause, depth + 1);
  const details: { -readonly [K in keyof FailureDetails]: FailureDetails[K] } = {
    errorType: error.name || "Error",
    errorMessage: error.message,
  };
  if (error.stack !== undefined) details.stackTrace = error.stack;
  if (inner !== undefined) details.innerFailure = inner;
  if (error instanceof NonRetriableError || (error as { isNonRetriable?: unknown }).isNonRetriable === true) {
    details.isNonRetriable = true;
  }
  return details;
}

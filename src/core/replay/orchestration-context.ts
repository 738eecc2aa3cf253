/**
 * The orchestration context: every durable counterpart of what an orchestration may not do
 * directly (call out, sleep, read the clock, make random ids). Each durable call takes its
 * sequence number synchronously, when it is made, and returns a task.
 *
 * This class is untyped about function names; `src/sdk` gives it its typed face.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";
import { childInstanceId, uuidV5, validateInstanceId } from "../ids.js";
import { validateRetryPolicy, type RetryPolicy } from "../retry.js";
import { serialize, type Payload } from "../serde.js";
import { validateVersion } from "../versions.js";
import {
  CallTask,
  ExternalEventTask,
  RetryableTask,
  SendEventTask,
  TimerTask,
  type SequencedTask,
  type TimerHost,
} from "./durable-tasks.js";
import {
  WhenAllSettledTask,
  WhenAllTask,
  WhenAnyTask,
  onSettled,
  requireTasks,
  type SettledResult,
  type Task,
  type TaskResult,
} from "./task.js";
import type { SequencedAction } from "../actions.js";
import { EntityCalls, type EntityLock, type SignalEntityOptions } from "./entity-calls.js";

/** Where `ctx.log` writes. Calls are dropped while the instance is replaying. */
export interface ReplayLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** A function named by its registered name, or by a handle that carries the name. */
export type FunctionRef = string | { readonly name: string };

/** Options of `callActivity`. */
export interface CallActivityOptions {
  /** Retry the activity under this policy when it fails. */
  readonly retry?: RetryPolicy | undefined;
}

/** Options of `callSubOrchestrator`. */
export interface CallSubOrchestratorOptions {
  /** The child's instance id; by default `<parentInstanceId>:<sequence number of the call>`. */
  readonly instanceId?: string | undefined;
  /** The version the child runs (default: the newest version of it that the worker's app registers). */
  readonly version?: string | undefined;
  /** Retry the sub-orchestration under this policy when it fails. */
  readonly retry?: RetryPolicy | undefined;
}

/** Options of `waitForExternalEvent`. */
export interface WaitForExternalEventOptions {
  /** Fail the wait with EventTimeoutError if no event arrives within this many milliseconds. */
  readonly timeoutMs?: number | undefined;
}

/** Options of `continueAsNew`. */
export interface ContinueAsNewOptions {
  /** Carry external events that arrived but were not consumed into the next execution (default true). */
  readonly preserveUnprocessedEvents?: boolean | undefined;
}

/** What the context needs from the executor that drives it. */
export interface ContextHost extends TimerHost {
  readonly instanceId: string;
  readonly executionId: string;
  readonly parentInstanceId: string | undefined;
  readonly orchestrationName: string;
  /** The version the execution started on. */
  readonly version: string | undefined;
  readonly isReplaying: boolean;
  /** The current episode's timestamp (ISO-8601). */
  readonly currentTimestamp: string;
  readonly logger: ReplayLogger;
  /** Takes the next sequence number, builds the task for it and records its action. */
  schedule<T extends SequencedTask<unknown>>(build: (id: number) => { action: SequencedAction; task: T }): T;
  /** Registers a wait; delivers a buffered event at once if one is there. */
  waitForEvent(task: ExternalEventTask<unknown>): void;
  requestContinueAsNew(input: Payload, preserveUnprocessedEvents: boolean): void;
  /** Decides a patch (see `OrchestrationContextImpl.patched`). */
  patched(patchId: string, deprecated: boolean): boolean;
  /** The version a sub-orchestration of that name starts on when the call names none. */
  defaultVersionOf(orchestrationName: string): string | undefined;
  setCustomStatus(status: Payload): void;
}

function nameOf(kind: string, ref: FunctionRef): string {
  const name = typeof ref === "string" ? ref : ref?.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidArgumentError(
      `${kind} needs a function name or a handle returned by app registration; received ${ref === null ? "null" : typeof ref}.`,
    );
  }
  return name;
}

const SILENT: ReplayLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The context handed to an orchestration function. Use only its durable counterparts for time,
 * ids, sleeping, I/O and messaging, so that replay reproduces every decision.
 */
export class OrchestrationContextImpl {
  #guidCounter = 0;
  readonly #entities: EntityCalls;
  /** A logger that writes only when the instance is not replaying, so each line appears once. */
  readonly log: ReplayLogger;

  constructor(private readonly host: ContextHost) {
    const gated = (level: keyof ReplayLogger) => (message: string, ...args: unknown[]) => {
      if (!host.isReplaying) host.logger[level](message, ...args);
    };
    this.log = host.logger === SILENT ? SILENT : { debug: gated("debug"), info: gated("info"), warn: gated("warn"), error: gated("error") };
    this.#entities = new EntityCalls(host);
  }

  /** This instance's id. */
  get instanceId(): string {
    return this.host.instanceId;
  }
  /** The id of the orchestration that started this one as a sub-orchestration, if any. */
  get parentInstanceId(): string | undefined {
    return this.host.parentInstanceId;
  }
  /** The orchestration's registered name. */
  get name(): string {
    return this.host.orchestrationName;
  }
  /** The version this instance started on (undefined for an unversioned orchestration); it keeps it for life. */
  get version(): string | undefined {
    return this.host.version;
  }
  /** True while the code is re-running past events; durable calls then return recorded results. */
  get isReplaying(): boolean {
    return this.host.isReplaying;
  }
  /** The deterministic current time: the start time of the current episode. */
  get currentUtcDateTime(): Date {
    return new Date(this.host.currentTimestamp);
  }

  /** Schedules an activity; the task completes with its result or fails with TaskFailedError. */
  callActivity(activity: FunctionRef, input?: unknown, options?: CallActivityOptions): Task<unknown> {
    const name = nameOf("callActivity", activity);
    const payload = serialize(input, `the input of activity '${name}'`);
    const start = (): CallTask<unknown> =>
      this.host.schedule((id) => {
        const action: SequencedAction = { type: "ScheduleTask", id, name, input: payload };
        return { action, task: new CallTask<unknown>(action, "activity", name) };
      });
    return this.withRetry(options?.retry, start);
  }

  /** Starts a sub-orchestration; the task completes with its output or fails with TaskFailedError. */
  callSubOrchestrator(orchestration: FunctionRef, input?: unknown, options?: CallSubOrchestratorOptions): Task<unknown> {
    const name = nameOf("callSubOrchestrator", orchestration);
    this.#entities.assertOutsideSection("callSubOrchestrator()");
    const payload = serialize(input, `the input of sub-orchestration '${name}'`);
    if (options?.instanceId !== undefined) validateInstanceId(options.instanceId);
    validateVersion(options?.version, "callSubOrchestrator() option 'version'");
    const version = options?.version ?? this.host.defaultVersionOf(name);
    const start = (): CallTask<unknown> =>
      this.host.schedule((id) => {
        const instanceId = options?.instanceId ?? childInstanceId(this.host.instanceId, id);
        const action: SequencedAction = { type: "CreateSubOrchestration", id, name, instanceId, version, input: payload };
        return { action, task: new CallTask<unknown>(action, "subOrchestration", name, instanceId) };
      });
    return this.withRetry(options?.retry, start);
  }

  private withRetry(retry: RetryPolicy | undefined, start: () => CallTask<unknown>): Task<unknown> {
    if (retry === undefined) return start();
    validateRetryPolicy(retry);
    return new RetryableTask<unknown>(retry, {
      startAttempt: start,
      startDelay: (delayMs) => this.createTimer(delayMs),
      nowMs: () => Date.parse(this.host.currentTimestamp),
    });
  }

  /**
   * A durable timer that fires at `fireAt` (a Date) or after `delayMs` milliseconds of episode
   * time. Cancel it with `timer.cancel()` when it lost a race.
   */
  createTimer(fireAtOrDelayMs: Date | number): TimerTask {
    let fireAtMs: number;
    if (fireAtOrDelayMs instanceof Date) {
      fireAtMs = fireAtOrDelayMs.getTime();
      if (Number.isNaN(fireAtMs)) throw new InvalidArgumentError("createTimer() was given an invalid Date.");
    } else if (typeof fireAtOrDelayMs === "number" && Number.isFinite(fireAtOrDelayMs) && fireAtOrDelayMs >= 0) {
      fireAtMs = Date.parse(this.host.currentTimestamp) + fireAtOrDelayMs;
    } else {
      throw new InvalidArgumentError(
        `createTimer() takes a Date or a delay in milliseconds (a finite number ≥ 0); received ${String(fireAtOrDelayMs)}.`,
      );
    }
    const fireAt = new Date(fireAtMs).toISOString();
    return this.host.schedule((id) => {
      const action = { type: "CreateTimer", id, fireAt } as const;
      return { action, task: new TimerTask(action, this.host) };
    });
  }

  /**
   * Waits for an external event raised to this instance under `name` (case-insensitive). Events
   * that arrived before the wait are buffered in order and consumed one per wait. With
   * `timeoutMs`, the task fails with EventTimeoutError when the time passes first.
   */
  waitForExternalEvent<T = unknown>(name: string, options?: WaitForExternalEventOptions): Task<T> {
    if (typeof name !== "string" || name.length === 0) {
      throw new InvalidArgumentError(`waitForExternalEvent() needs a non-empty event name; received ${String(name)}.`);
    }
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
      throw new InvalidArgumentError(
        `waitForExternalEvent() option 'timeoutMs' must be a finite number ≥ 0; received ${String(timeoutMs)}.`,
      );
    }
    const task = new ExternalEventTask<T>(name);
    this.host.waitForEvent(task as ExternalEventTask<unknown>);
    if (timeoutMs !== undefined && !task.isCompleted) {
      const timer = this.createTimer(timeoutMs);
      task.timer = timer;
      timer[onSettled]((t) => {
        if (!t.isFaulted) task.timeOut(timeoutMs);
      });
    }
    return task;
  }

  /** Sends an external event to another instance (one-way; delivered once this episode commits). */
  sendEvent(instanceId: string, name: string, data?: unknown): void {
    validateInstanceId(instanceId);
    if (typeof name !== "string" || name.length === 0) {
      throw new InvalidArgumentError(`sendEvent() needs a non-empty event name; received ${String(name)}.`);
    }
    const payload = serialize(data, `the data of event '${name}'`);
    this.host.schedule((id) => {
      const action: SequencedAction = { type: "SendEvent", id, instanceId, name, data: payload };
      return { action, task: new SendEventTask(action) };
    });
  }

  /**
   * Calls an operation of an entity and completes with its result, or fails with
   * EntityOperationFailedError (a TaskFailedError) when the operation threw. The entity comes into
   * being on its first operation.
   */
  callEntity(id: unknown, operation: string, input?: unknown): Task<unknown> {
    return this.#entities.call(id, operation, input);
  }

  /** Sends a one-way operation to an entity, delivered once this episode commits (or at `options.at`). */
  signalEntity(id: unknown, operation: string, input?: unknown, options?: SignalEntityOptions): void {
    this.#entities.signal(id, operation, input, options);
  }

  /**
   * Opens a critical section: the task completes once every entity is locked for this
   * orchestration, with a lock to release. While it is held, other callers' operations on those
   * entities wait. The lock is released by `release()` or when the orchestration ends.
   */
  lockEntities(...ids: unknown[]): Task<EntityLock> {
    return this.#entities.lock(ids);
  }

  /** True inside a critical section (from `lockEntities` until its release). */
  get isInCriticalSection(): boolean {
    return this.#entities.isInCriticalSection;
  }

  /** Completes with every result in order, or fails with the first failure (like Promise.all). */
  all<const T extends readonly Task<unknown>[]>(tasks: T): Task<{ -readonly [K in keyof T]: TaskResult<T[K]> }> {
    requireTasks("all", tasks);
    return new WhenAllTask(tasks);
  }

  /** Completes when every task has settled, with each outcome (like Promise.allSettled). */
  allSettled<const T extends readonly Task<unknown>[]>(
    tasks: T,
  ): Task<{ -readonly [K in keyof T]: SettledResult<TaskResult<T[K]>> }> {
    requireTasks("allSettled", tasks);
    return new WhenAllSettledTask(tasks);
  }

  /**
   * Completes with the first task to settle (the task itself, successful or not). Losing timers
   * are canceled, so they do not wake the instance later.
   */
  any<const T extends readonly Task<unknown>[]>(tasks: T): Task<T[number]> {
    requireTasks("any", tasks);
    return new WhenAnyTask(tasks, (_winner, losers) => {
      for (const loser of losers) if (loser instanceof TimerTask) loser.cancel();
    });
  }

  /**
   * Ends this execution and starts a new one of the same instance with `input` and an empty
   * history. External events not yet consumed are carried over unless
   * `preserveUnprocessedEvents` is false. Return right after calling it.
   */
  continueAsNew(input?: unknown, options?: ContinueAsNewOptions): void {
    const payload = serialize(input, "the input of continueAsNew");
    this.host.requestContinueAsNew(payload, options?.preserveUnprocessedEvents ?? true);
  }

  /** Sets a JSON value that status queries show, from the end of this episode on. */
  setCustomStatus(value: unknown): void {
    this.host.setCustomStatus(serialize(value, "the custom status"));
  }

  /**
   * An in-place change of the code: true for an instance that reaches this call on the new code,
   * false for one whose history went past this point before the change. Write
   * `if (ctx.patched("id")) { new code } else { old code }`. The choice is recorded in history
   * (a marker, when true), so replay takes the same branch on every worker. Once no instance that
   * went the old way is running (`perdure check` tells), replace the call by
   * `ctx.deprecatePatch("id")` and keep only the new code; once no instance holds the marker,
   * remove that call too.
   */
  patched(patchId: string): boolean {
    return this.host.patched(checkPatchId(patchId, "patched"), false);
  }

  /**
   * The second step of retiring a patch: the code keeps only the new branch, and instances whose
   * history holds the patch's marker still replay. Records no marker for new instances.
   */
  deprecatePatch(patchId: string): void {
    this.host.patched(checkPatchId(patchId, "deprecatePatch"), true);
  }

  /** A deterministic UUID (version 5): the same on every replay, different for every call. */
  newGuid(): string {
    const name = `${this.host.instanceId}_${this.host.currentTimestamp}_${this.#guidCounter++}`;
    return uuidV5(name);
  }
}

function checkPatchId(patchId: unknown, what: string): string {
  if (typeof patchId !== "string" || patchId.length === 0 || patchId.length > 256) {
    throw new InvalidArgumentError(`${what}() needs a patch id: a string of 1–256 characters; received ${String(patchId)}.`);
  }
  return patchId;
}

export { SILENT as silentLogger };

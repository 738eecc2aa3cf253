/**
 * The orchestration context as users type against it: the core context with typed calls.
 *
 * @module
 */
import type { TimerTask } from "../core/replay/durable-tasks.js";
import type {
  CallActivityOptions,
  CallSubOrchestratorOptions,
  ContinueAsNewOptions,
  ReplayLogger,
  WaitForExternalEventOptions,
} from "../core/replay/orchestration-context.js";
import type { EntityLock, SignalEntityOptions } from "../core/replay/entity-calls.js";
import type { SettledResult, Task, TaskResult } from "../core/replay/task.js";
import type {
  ActivityHandle,
  EntityId,
  InputArgs,
  OperationArgs,
  OperationInput,
  OperationName,
  OperationOutput,
  OrchestrationHandle,
} from "./handles.js";

/**
 * What an orchestration function receives. Everything an orchestration may not do directly
 * (I/O, `Date.now()`, `Math.random()`, `setTimeout`) has a deterministic, durable counterpart here.
 *
 * @example
 * const pipeline = app.orchestration("Pipeline", function* (ctx) {
 *   const rows = yield* ctx.callActivity(download);
 *   return yield* ctx.callActivity(summarize, rows);
 * });
 */
export interface OrchestrationContext {
  /** This instance's id. */
  readonly instanceId: string;
  /** The parent instance's id when this runs as a sub-orchestration. */
  readonly parentInstanceId: string | undefined;
  /** The orchestration's registered name. */
  readonly name: string;
  /** The version this instance started on (undefined when unversioned); an instance keeps it for life. */
  readonly version: string | undefined;
  /** True while past events are being replayed. */
  readonly isReplaying: boolean;
  /** Deterministic "now": the start time of the current episode. */
  readonly currentUtcDateTime: Date;
  /** A logger that stays silent while the instance is replaying. */
  readonly log: ReplayLogger;

  /** Calls an activity by handle; the result type is inferred. */
  callActivity<TIn, TOut>(activity: ActivityHandle<TIn, TOut>, ...args: InputArgs<TIn, CallActivityOptions>): Task<TOut>;
  /** Calls an activity by name (untyped unless you give `TOut`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  callActivity<TOut = any>(name: string, input?: unknown, options?: CallActivityOptions): Task<TOut>;

  /** Starts a sub-orchestration by handle and awaits its output (typed). */
  callSubOrchestrator<TIn, TOut>(
    orchestration: OrchestrationHandle<TIn, TOut>,
    ...args: InputArgs<TIn, CallSubOrchestratorOptions>
  ): Task<TOut>;
  /** Starts a sub-orchestration by name (untyped unless you give `TOut`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  callSubOrchestrator<TOut = any>(name: string, input?: unknown, options?: CallSubOrchestratorOptions): Task<TOut>;

  /** A durable timer firing at `fireAt`. */
  createTimer(fireAt: Date): TimerTask;
  /** A durable timer firing `delayMs` milliseconds after the current episode time. */
  createTimer(delayMs: number): TimerTask;
  /** A durable timer from a value that may be either form. */
  createTimer(fireAtOrDelayMs: Date | number): TimerTask;

  /** Waits for an external event; with `timeoutMs`, fails with EventTimeoutError when time runs out. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitForExternalEvent<T = any>(name: string, options?: WaitForExternalEventOptions): Task<T>;

  /** Sends an external event to another instance (one-way). */
  sendEvent(instanceId: string, name: string, data?: unknown): void;

  /**
   * Calls an entity operation and awaits its result (typed when the id was made from a handle).
   * Fails with EntityOperationFailedError (a TaskFailedError) when the operation threw.
   */
  callEntity<TOps, K extends OperationName<TOps>>(
    id: EntityId<TOps>,
    operation: K,
    ...input: OperationArgs<OperationInput<TOps[K]>>
  ): Task<OperationOutput<TOps[K]>>;

  /** Sends a one-way operation to an entity; with `{ at }`, delivered no earlier than then. */
  signalEntity<TOps, K extends OperationName<TOps>>(
    id: EntityId<TOps>,
    operation: K,
    ...args: [...OperationArgs<OperationInput<TOps[K]>>, options?: SignalEntityOptions]
  ): void;

  /**
   * Opens a critical section: completes once every entity is locked for this orchestration.
   * Inside it, call only those entities (one call at a time each), signal only others, start no
   * sub-orchestration and open no other section. Release it with `lock.release()`; it is also
   * released when the orchestration ends in any way.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  lockEntities(...ids: EntityId<any>[]): Task<EntityLock>;

  /** True inside a critical section. */
  readonly isInCriticalSection: boolean;

  /** All results in order, or the first failure (like Promise.all). */
  all<const T extends readonly Task<unknown>[]>(tasks: T): Task<{ -readonly [K in keyof T]: TaskResult<T[K]> }>;
  /** Every outcome, once all tasks settled (like Promise.allSettled). */
  allSettled<const T extends readonly Task<unknown>[]>(
    tasks: T,
  ): Task<{ -readonly [K in keyof T]: SettledResult<TaskResult<T[K]>> }>;
  /** The first task to settle; losing timers are canceled. */
  any<const T extends readonly Task<unknown>[]>(tasks: T): Task<T[number]>;

  /** Restarts the instance with a new input and an empty history; return right after. */
  continueAsNew(input?: unknown, options?: ContinueAsNewOptions): void;
  /** Sets the status value that queries show. */
  setCustomStatus(value: unknown): void;
  /** A deterministic UUID, stable across replays. */
  newGuid(): string;

  /**
   * An in-place code change: true for an instance that reaches this call on the new code, false
   * for one whose history went past this point on the old code. The answer is recorded in
   * history, so replay takes the same branch.
   *
   * @example
   * if (ctx.patched("send-receipt")) yield* ctx.callActivity(sendReceipt, order);
   */
  patched(patchId: string): boolean;
  /** Retires a patch: replays histories that hold its marker, records none for new instances. */
  deprecatePatch(patchId: string): void;
}

/** An orchestration function: a generator that yields tasks and returns the output. */
export type OrchestrationFunction<TIn, TOut> = (
  ctx: OrchestrationContext,
  input: TIn,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
) => Generator<unknown, TOut, any>;

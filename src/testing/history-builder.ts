/**
 * Builders for orchestration histories, one per event kind, for tests of orchestration code:
 * build the history a run would have recorded, replay it, and check what the code does next.
 *
 * @example
 * const h = new HistoryBuilder("order-1");
 * const past = [h.orchestratorStarted(), h.executionStarted("Pipeline"), h.taskScheduled(0, "DownloadData")];
 * const next = [h.orchestratorStarted(), h.taskCompleted(0, [1, 2, 3])];
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import {
  newActionEvent,
  newEvent,
  type CompletionStatus,
  type EventOf,
  type ParentInstance,
} from "../core/history.js";
import { serialize } from "../core/serde.js";

const json = (value: unknown): string | undefined => serialize(value, "a test value");

/**
 * Makes events for one instance, with a controllable clock: each event is stamped with the
 * builder's current time, which only moves when `advance(ms)` or `at(date)` moves it.
 */
export class HistoryBuilder {
  #now: number;
  constructor(
    readonly instanceId = "instance-1",
    start: Date = new Date("2026-01-01T00:00:00.000Z"),
    readonly executionId = "0123456789abcdef0123456789abcdef",
  ) {
    this.#now = start.getTime();
  }

  /** The builder's current time. */
  get now(): Date {
    return new Date(this.#now);
  }
  /** Moves the clock forward. */
  advance(ms: number): this {
    this.#now += ms;
    return this;
  }
  /** Sets the clock. */
  at(date: Date): this {
    this.#now = date.getTime();
    return this;
  }
  private get ts(): string {
    return new Date(this.#now).toISOString();
  }

  orchestratorStarted(): EventOf<"OrchestratorStarted"> {
    return newEvent("OrchestratorStarted", this.ts, {});
  }
  orchestratorCompleted(): EventOf<"OrchestratorCompleted"> {
    return newEvent("OrchestratorCompleted", this.ts, {});
  }
  executionStarted(name: string, input?: unknown, parent?: ParentInstance): EventOf<"ExecutionStarted"> {
    return newEvent("ExecutionStarted", this.ts, {
      name,
      input: json(input),
      instanceId: this.instanceId,
      executionId: this.executionId,
      parent,
    });
  }
  executionCompleted(status: CompletionStatus, result?: unknown, failureDetails?: FailureDetails): EventOf<"ExecutionCompleted"> {
    return newEvent("ExecutionCompleted", this.ts, { status, result: json(result), failureDetails });
  }
  executionTerminated(reason?: unknown): EventOf<"ExecutionTerminated"> {
    return newEvent("ExecutionTerminated", this.ts, { reason: json(reason) });
  }
  taskScheduled(id: number, name: string, input?: unknown): EventOf<"TaskScheduled"> {
    return newActionEvent("TaskScheduled", id, this.ts, { name, input: json(input) });
  }
  taskCompleted(id: number, result?: unknown): EventOf<"TaskCompleted"> {
    return newEvent("TaskCompleted", this.ts, { taskScheduledId: id, result: json(result) });
  }
  taskFailed(id: number, failure: Partial<FailureDetails> & { errorMessage: string }): EventOf<"TaskFailed"> {
    return newEvent("TaskFailed", this.ts, { taskScheduledId: id, failureDetails: failureOf(failure) });
  }
  subOrchestrationCreated(id: number, name: string, instanceId: string, input?: unknown): EventOf<"SubOrchestrationInstanceCreated"> {
    return newActionEvent("SubOrchestrationInstanceCreated", id, this.ts, { name, instanceId, input: json(input) });
  }
  subOrchestrationCompleted(id: number, result?: unknown): EventOf<"SubOrchestrationInstanceCompleted"> {
    return newEvent("SubOrchestrationInstanceCompleted", this.ts, { taskScheduledId: id, result: json(result) });
  }
  subOrchestrationFailed(
    id: number,
    failure: Partial<FailureDetails> & { errorMessage: string },
  ): EventOf<"SubOrchestrationInstanceFailed"> {
    return newEvent("SubOrchestrationInstanceFailed", this.ts, { taskScheduledId: id, failureDetails: failureOf(failure) });
  }
  timerCreated(id: number, fireAt: Date): EventOf<"TimerCreated"> {
    return newActionEvent("TimerCreated", id, this.ts, { fireAt: fireAt.toISOString() });
  }
  timerFired(id: number, fireAt: Date): EventOf<"TimerFired"> {
    return newEvent("TimerFired", this.ts, { timerId: id, fireAt: fireAt.toISOString() });
  }
  eventSent(id: number, instanceId: string, name: string, data?: unknown): EventOf<"EventSent"> {
    return newActionEvent("EventSent", id, this.ts, { instanceId, name, input: json(data) });
  }
  eventRaised(name: string, data?: unknown): EventOf<"EventRaised"> {
    return newEvent("EventRaised", this.ts, { name, input: json(data) });
  }
  genericEvent(data?: unknown): EventOf<"GenericEvent"> {
    return newEvent("GenericEvent", this.ts, { data: json(data) });
  }
  executionSuspended(reason?: string): EventOf<"ExecutionSuspended"> {
    return newEvent("ExecutionSuspended", this.ts, { reason: json(reason) });
  }
  executionResumed(reason?: string): EventOf<"ExecutionResumed"> {
    return newEvent("ExecutionResumed", this.ts, { reason: json(reason) });
  }
  executionRewound(reason?: string): EventOf<"ExecutionRewound"> {
    return newEvent("ExecutionRewound", this.ts, { reason: json(reason) });
  }
  /** The echo of `ctx.callEntity` (sequence number `id`) on the entity `target` (`@name@key`). */
  entityOperationCalled(id: number, target: string, operation: string, requestId: string, input?: unknown): EventOf<"EntityOperationCalled"> {
    return newActionEvent("EntityOperationCalled", id, this.ts, {
      requestId,
      operation,
      input: json(input),
      parentInstanceId: this.instanceId,
      parentExecutionId: this.executionId,
      targetInstanceId: target,
    });
  }
  /** The echo of `ctx.signalEntity`. */
  entityOperationSignaled(id: number, target: string, operation: string, requestId: string, input?: unknown): EventOf<"EntityOperationSignaled"> {
    return newActionEvent("EntityOperationSignaled", id, this.ts, { requestId, operation, input: json(input), targetInstanceId: target });
  }
  entityOperationCompleted(requestId: string, output?: unknown): EventOf<"EntityOperationCompleted"> {
    return newEvent("EntityOperationCompleted", this.ts, { requestId, output: json(output) });
  }
  entityOperationFailed(requestId: string, failure: Partial<FailureDetails> & { errorMessage: string }): EventOf<"EntityOperationFailed"> {
    return newEvent("EntityOperationFailed", this.ts, { requestId, failureDetails: failureOf(failure) });
  }
  /** The echo of `ctx.lockEntities`; `lockSet` is sorted as the context sorts it. */
  entityLockRequested(id: number, criticalSectionId: string, lockSet: readonly string[]): EventOf<"EntityLockRequested"> {
    return newActionEvent("EntityLockRequested", id, this.ts, {
      criticalSectionId,
      lockSet,
      position: 0,
      parentInstanceId: this.instanceId,
      parentExecutionId: this.executionId,
    });
  }
  entityLockGranted(criticalSectionId: string): EventOf<"EntityLockGranted"> {
    return newEvent("EntityLockGranted", this.ts, { criticalSectionId });
  }
  /** The echo of releasing one entity of a critical section. */
  entityUnlockSent(id: number, criticalSectionId: string, target: string): EventOf<"EntityUnlockSent"> {
    return newActionEvent("EntityUnlockSent", id, this.ts, { criticalSectionId, parentInstanceId: this.instanceId, targetInstanceId: target });
  }
}

function failureOf(failure: Partial<FailureDetails> & { errorMessage: string }): FailureDetails {
  return { errorType: "Error", ...failure };
}

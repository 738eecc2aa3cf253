/**
 * Turns one batch of inbox messages into one orchestration commit: runs the executor (warm from
 * the cache, or cold over the history) and translates its actions into store writes.
 *
 * Invariants kept here:
 * 1. Runs synchronously inside the store's transaction (it is an OrchestrationStepper).
 * 2. Messages for another execution than the instance's current one are consumed and dropped;
 *    so are messages to a finished instance.
 * 3. A warm executor put in the cache by a step whose commit then failed is evicted by the
 *    caller (see `StepSession.stepped`), so the cache never runs ahead of the store.
 * 4. An action whose payload is over the limit fails the instance before anything is written.
 * 5. Entity instances are stepped by the entity processor; an orchestration that ends in any way
 *    releases the critical section it holds or awaits.
 * 6. While remote workers share the store (`shareStoreWithRemoteWorkers`), an activity or
 *    sub-orchestration whose name this app does not register is left to them: its task is enqueued
 *    free, its instance created, and the stores route them by name (never to this app's workers).
 *
 * @module
 */
import type { Action, CompleteOrchestrationAction } from "../core/actions.js";
import { toFailureDetails, type FailureDetails } from "../core/errors.js";
import { newEvent, type HistoryEvent } from "../core/history.js";
import { OrchestrationExecutor, type ExecutionResult } from "../core/replay/executor.js";
import type { ReplayLogger } from "../core/replay/orchestration-context.js";
import type { Payload } from "../core/serde.js";
import type { App } from "../sdk/app.js";
import {
  isTerminal,
  type CreateInstanceRequest,
  type InstanceNames,
  type InstanceRecord,
  type NewActivityTask,
  type NewMessage,
  type OrchestrationCommit,
  type OrchestrationStepper,
  type RuntimeStatus,
  type StepInput,
  type TaskNames,
  type VersionFilter,
} from "../store/store.js";
import { isEntityInstanceId } from "../core/entity/entity-id.js";
import { EntityProcessor, entityMessageOf, entityNameOf, lockRelease } from "./entity-processor.js";
import { UnknownActivityError, UnknownOrchestrationError, VersionNotAvailableError } from "./errors.js";
import type { ExecutorCache } from "./executor-cache.js";
import { checkPayload } from "./payloads.js";

export interface ProcessorOptions {
  readonly workerId: string;
  readonly leaseMs: number;
  readonly maxPayloadBytes: number;
  readonly logger: ReplayLogger;
  readonly newExecutionId: () => string;
  /** Asks for one activity slot of this worker, to enqueue a task already leased to it. */
  readonly reserveActivitySlot: () => boolean;
}

/** One store call's stepper: remembers what it stepped, so a failed call can be undone in memory. */
export class StepSession implements OrchestrationStepper {
  /** Instance ids this session ran an episode for. */
  readonly stepped: string[] = [];
  /** Activity slots reserved for tasks enqueued already leased. */
  reservedSlots = 0;
  /** True when an episode set a timer: idle loops must recompute when to wake. */
  setTimers = false;
  /**
   * With versions: this session fails the orchestrations it is handed whose version this app
   * lacks, naming the versions running workers have (see the worker's `missingVersion`).
   */
  constructor(
    private readonly processor: OrchestrationProcessor,
    readonly failMissingVersions?: ReadonlyMap<string, ReadonlyArray<string | undefined>>,
  ) {}

  isWarm(instanceId: string, executionId: string, historyLength?: number): boolean {
    // Entities have no history to read.
    return isEntityInstanceId(instanceId) || this.processor.cache.has(instanceId, executionId, historyLength);
  }

  awaitsOnly(instanceId: string, executionId: string, historyLength: number, taskId: number): boolean {
    return !isEntityInstanceId(instanceId) && this.processor.cache.awaitsOnly(instanceId, executionId, historyLength, taskId);
  }

  step(work: StepInput): OrchestrationCommit | undefined {
    this.stepped.push(work.instance.instanceId);
    try {
      return this.processor.step(work, this);
    } catch (error) {
      // The store sets the instance aside; its warm executor may have moved on halfway.
      this.processor.cache.delete(work.instance.instanceId);
      throw error;
    }
  }

  /** The store rolled back this session's episodes: their warm executors ran ahead of it. */
  discard(): void {
    for (const instanceId of this.stepped) this.processor.cache.delete(instanceId);
  }
}

const sharedApps = new Map<App, number>();

/**
 * Declares that remote workers (SDK workers of the Durable Task protocol, served by grpc/) share
 * this app's store and run the orchestrations and entities it does not register. Until the
 * returned function is called, this app's workers leave such instances in the store for them
 * instead of failing them as unknown. The gRPC server calls it for the app it is given; a worker
 * process of ours that shares a store with a gRPC server in another process calls it itself.
 */
export function shareStoreWithRemoteWorkers(app: App): () => void {
  sharedApps.set(app, (sharedApps.get(app) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const left = (sharedApps.get(app) ?? 1) - 1;
    if (left > 0) sharedApps.set(app, left);
    else sharedApps.delete(app);
  };
}

function isSharedWithRemoteWorkers(app: App): boolean {
  return sharedApps.has(app);
}

export class OrchestrationProcessor {
  private readonly entities: EntityProcessor;

  /** The version a sub-orchestration starts on when its call names none: the newest this app registers. */
  private readonly newestVersion: (name: string) => string | undefined;

  constructor(
    private readonly app: App,
    readonly cache: ExecutorCache,
    private readonly options: ProcessorOptions,
  ) {
    this.entities = new EntityProcessor(app, options);
    this.newestVersion = (name) => app.getOrchestration(name)?.version;
  }

  /** A stepper for one store call; with `failMissingVersions`, one that fails what no worker can run. */
  session(failMissingVersions?: ReadonlyMap<string, ReadonlyArray<string | undefined>>): StepSession {
    return new StepSession(this, failMissingVersions);
  }

  /**
   * The orchestration versions this processor runs: every name it registers with its versions, so
   * that the store passes over instances of those names on versions it lacks (left to workers
   * that have them).
   */
  versions(): VersionFilter {
    const allowed: Record<string, string[]> = {};
    for (const o of this.app.orchestrations) (allowed[o.name.toLowerCase()] ??= []).push(o.version ?? "");
    return { allowed };
  }

  /**
   * The instances this processor steps, by name, when it leaves the others to remote workers (see
   * `shareStoreWithRemoteWorkers`); undefined when it steps every instance.
   */
  names(): InstanceNames | undefined {
    if (!isSharedWithRemoteWorkers(this.app)) return undefined;
    return { orchestrations: this.app.orchestrationNames, entities: this.app.entityNames };
  }

  /** The activity tasks this processor's worker runs, when it leaves the others to remote workers; undefined for all. */
  taskNames(): TaskNames | undefined {
    return isSharedWithRemoteWorkers(this.app) ? { only: this.app.activityNames } : undefined;
  }

  /** The episode's commit, or undefined to leave the instance to a remote worker (see `shareStoreWithRemoteWorkers`). */
  step(work: StepInput, session: StepSession): OrchestrationCommit | undefined {
    if (work.instance.kind === "entity") {
      // Entities this app does not define are left to the remote workers that share the store.
      if (isSharedWithRemoteWorkers(this.app) && this.app.getEntity(entityNameOf(work.instance)) === undefined) return undefined;
      return this.entities.step(work);
    }
    const { instance, messages, now } = work;
    const consumed = messages.map((m) => m.id);
    const current = messages.filter((m) => m.executionId === undefined || m.executionId === instance.executionId);
    if (isTerminal(instance.status) || current.length === 0) return unchangedCommit(instance, consumed);

    const started = newEvent("OrchestratorStarted", now, {});
    const newEvents: HistoryEvent[] = [started, ...current.map((m) => m.event)];
    const definition = this.app.getOrchestrationVersion(instance.name, instance.version);
    if (definition === undefined) {
      if (this.app.getOrchestration(instance.name) !== undefined) {
        // A version this app lacks: another worker runs it, unless none does and this session fails it.
        const running = session.failMissingVersions?.get(instance.name.toLowerCase());
        if (running === undefined) return undefined;
        const error = new VersionNotAvailableError(instance.name, instance.version, running);
        return this.failedCommit(instance, consumed, newEvents, toFailureDetails(error), now);
      }
      // Another kind of worker shares the store and runs the names this app does not register.
      if (isSharedWithRemoteWorkers(this.app)) return undefined;
      const error = new UnknownOrchestrationError(instance.name, this.app.orchestrationNames);
      return this.failedCommit(instance, consumed, newEvents, toFailureDetails(error), now);
    }

    // History handed over means the store found the instance cold (or the warm copy stale): replay it.
    let executor = work.history === undefined ? this.cache.get(instance.instanceId, instance.executionId) : undefined;
    let result: ExecutionResult;
    let historyLength: number;
    if (executor !== undefined) {
      historyLength = this.cache.historyLength(instance.instanceId) ?? 0;
      result = executor.resume(newEvents);
    } else {
      if (work.history === undefined) {
        throw new Error(`Internal error: no history was read for cold instance '${instance.instanceId}'.`);
      }
      historyLength = work.history.length;
      executor = new OrchestrationExecutor(definition, { logger: this.options.logger, subOrchestrationVersion: this.newestVersion });
      result = executor.execute(work.history, newEvents);
    }

    const tooLarge = this.oversizedPayload(result);
    if (tooLarge !== undefined) {
      this.cache.delete(instance.instanceId);
      const applied = result.newHistory.filter((e) => e.eventId < 0 && e.type !== "ExecutionCompleted");
      const failed = this.failedCommit(instance, consumed, applied, toFailureDetails(tooLarge), now);
      return { ...failed, messages: [...failed.messages, ...lockRelease(instance.instanceId, result.heldLockAtStart, now)] };
    }

    const commit = this.translate(instance, consumed, result, now, session);
    if (result.status === "Running" || result.status === "Suspended") {
      this.cache.set(instance.instanceId, instance.executionId, executor, historyLength + commit.history.length);
    } else {
      this.cache.delete(instance.instanceId);
    }
    return commit;
  }

  private translate(
    instance: InstanceRecord,
    consumed: string[],
    result: ExecutionResult,
    now: string,
    session: StepSession,
  ): OrchestrationCommit {
    const tasks: NewActivityTask[] = [];
    const messages: NewMessage[] = [];
    const children: CreateInstanceRequest[] = [];
    const self = { instanceId: instance.instanceId, executionId: instance.executionId };
    let completion: CompleteOrchestrationAction | undefined;

    for (const action of result.actions) {
      switch (action.type) {
        case "ScheduleTask": {
          const local = this.app.getActivity(action.name) !== undefined;
          if (!local && !isSharedWithRemoteWorkers(this.app)) {
            const failureDetails = toFailureDetails(new UnknownActivityError(action.name));
            messages.push({ ...self, event: newEvent("TaskFailed", now, { taskScheduledId: action.id, failureDetails }) });
            break;
          }
          // An activity only a remote worker registers is enqueued free, for the remote workers (invariant 6).
          let lease: NewActivityTask["lease"];
          if (local && this.options.reserveActivitySlot()) {
            session.reservedSlots++;
            lease = { workerId: this.options.workerId, leaseMs: this.options.leaseMs };
          }
          tasks.push({ ...self, taskId: action.id, name: action.name, input: action.input, lease });
          break;
        }
        case "CreateTimer":
          session.setTimers = true;
          messages.push({
            ...self,
            event: newEvent("TimerFired", now, { timerId: action.id, fireAt: action.fireAt }),
            visibleAt: action.fireAt,
          });
          break;
        case "CreateSubOrchestration": {
          // A name only a remote worker registers is created as asked, for the remote workers (invariant 6).
          const child = this.app.getOrchestration(action.name) ?? (isSharedWithRemoteWorkers(this.app) ? { name: action.name } : undefined);
          if (child === undefined) {
            const error = new UnknownOrchestrationError(action.name, this.app.orchestrationNames);
            const failureDetails = toFailureDetails(error);
            messages.push({
              ...self,
              event: newEvent("SubOrchestrationInstanceFailed", now, { taskScheduledId: action.id, failureDetails }),
            });
            break;
          }
          const executionId = this.options.newExecutionId();
          const parent = { name: instance.name, ...self, taskScheduledId: action.id };
          children.push({
            instanceId: action.instanceId,
            name: child.name,
            version: action.version,
            executionId,
            input: action.input,
            parent,
            reuse: "ifTerminal",
            startEvent: newEvent("ExecutionStarted", now, {
              name: child.name,
              version: action.version,
              input: action.input,
              instanceId: action.instanceId,
              executionId,
              parent,
            }),
          });
          break;
        }
        case "SendEvent":
          messages.push({ instanceId: action.instanceId, event: newEvent("EventRaised", now, { name: action.name, input: action.data }) });
          break;
        case "SendEntityMessage":
          messages.push(entityMessageOf(action, now));
          break;
        case "MarkPatch":
          // Recorded in history by its echo; nothing to do outside the instance.
          break;
        case "CompleteOrchestration":
          completion = action;
          break;
      }
    }
    if (completion !== undefined) messages.push(...lockRelease(instance.instanceId, result.heldLock, now));

    // An instance scheduled to start later stays Pending while only other messages (events) arrive.
    const stillPending = instance.status === "Pending" && result.status === "Running" && !result.newHistory.some((e) => e.type === "ExecutionStarted");
    const commit = {
      executionId: instance.executionId,
      history: result.newHistory,
      consumedMessageIds: consumed,
      status: stillPending ? "Pending" : toRuntimeStatus(result),
      output: result.output,
      failureDetails: result.failureDetails,
      customStatus: result.customStatus,
      tasks,
      messages,
      children,
      canceledTimerIds: result.canceledTimers,
    };
    if (completion === undefined) return commit;
    if (completion.status === "ContinuedAsNew") {
      const executionId = this.options.newExecutionId();
      const start = newEvent("ExecutionStarted", now, {
        name: instance.name,
        version: instance.version,
        input: completion.result,
        instanceId: instance.instanceId,
        executionId,
        parent: instance.parent,
      });
      const carried = completion.carryoverEvents ?? [];
      return { ...commit, output: undefined, continueAsNew: { executionId, input: completion.result, startMessages: [start, ...carried] } };
    }
    return { ...commit, messages: [...messages, ...parentNotification(instance, completion, now)] };
  }

  private failedCommit(
    instance: InstanceRecord,
    consumed: string[],
    applied: readonly HistoryEvent[],
    failureDetails: FailureDetails,
    now: string,
  ): OrchestrationCommit {
    const completion: CompleteOrchestrationAction = { type: "CompleteOrchestration", status: "Failed", failureDetails };
    return {
      ...unchangedCommit(instance, consumed),
      history: [...applied, newEvent("ExecutionCompleted", now, { status: "Failed", failureDetails })],
      status: "Failed",
      output: undefined,
      failureDetails,
      messages: parentNotification(instance, completion, now),
    };
  }

  private oversizedPayload(result: ExecutionResult): Error | undefined {
    const limit = this.options.maxPayloadBytes;
    const check = (payload: Payload, what: string): void => void checkPayload(payload, what, limit);
    try {
      for (const action of result.actions) checkAction(action, check);
      check(result.customStatus, "The custom status");
      return undefined;
    } catch (error) {
      return error as Error;
    }
  }
}

/**
 * The message that tells a sub-orchestration's parent how it ended (nothing for a top-level
 * instance): SubOrchestrationInstanceCompleted with the output, or SubOrchestrationInstanceFailed
 * with the failure (a termination reads as an OrchestrationTerminated failure). Shared with the
 * Durable Task protocol server, whose remote orchestrations end the same way.
 */
export function parentNotification(instance: InstanceRecord, completion: CompleteOrchestrationAction, now: string): NewMessage[] {
  const parent = instance.parent;
  if (parent === undefined) return [];
  const target = { instanceId: parent.instanceId, executionId: parent.executionId };
  const taskScheduledId = parent.taskScheduledId;
  if (completion.status === "Completed") {
    return [{ ...target, event: newEvent("SubOrchestrationInstanceCompleted", now, { taskScheduledId, result: completion.result }) }];
  }
  const failureDetails: FailureDetails =
    completion.status === "Terminated"
      ? { errorType: "OrchestrationTerminated", errorMessage: `Instance '${instance.instanceId}' was terminated: ${completion.result ?? "no reason given"}` }
      : (completion.failureDetails ?? { errorType: "Error", errorMessage: "The sub-orchestration failed." });
  return [{ ...target, event: newEvent("SubOrchestrationInstanceFailed", now, { taskScheduledId, failureDetails }) }];
}

function checkAction(action: Action, check: (payload: Payload, what: string) => void): void {
  switch (action.type) {
    case "ScheduleTask":
      return check(action.input, `The input of activity '${action.name}'`);
    case "CreateSubOrchestration":
      return check(action.input, `The input of sub-orchestration '${action.name}'`);
    case "SendEvent":
      return check(action.data, `The data of event '${action.name}'`);
    case "SendEntityMessage": {
      const m = action.message;
      if (m.type !== "EntityOperationCalled" && m.type !== "EntityOperationSignaled") return;
      return check(m.input, `The input of operation '${m.operation}' on entity '${m.targetInstanceId}'`);
    }
    case "CompleteOrchestration":
      return check(action.result, "The orchestration's output");
    case "CreateTimer":
    case "MarkPatch":
      return;
  }
}

function toRuntimeStatus(result: ExecutionResult): RuntimeStatus {
  return result.status === "ContinuedAsNew" ? "Running" : result.status;
}

function unchangedCommit(instance: InstanceRecord, consumed: string[]): OrchestrationCommit {
  return {
    executionId: instance.executionId,
    history: [],
    consumedMessageIds: consumed,
    status: instance.status,
    output: instance.output,
    failureDetails: instance.failureDetails,
    customStatus: instance.customStatus,
    tasks: [],
    messages: [],
    children: [],
    canceledTimerIds: [],
  };
}

/**
 * The replay executor: (orchestration, past events, new events) → new history events, actions and
 * the resulting state. Pure: no I/O, no clock (time is the episode's OrchestratorStarted
 * timestamp), no randomness.
 *
 * Invariants kept here (numbers refer to DESIGN.md):
 * 1. (inv. 4) Replaying a history gives exactly the recorded actions: every recorded action echo
 *    (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent, and the entity
 *    messages) must match, by sequence number, kind and name (for entity messages: kind, target
 *    and operation), an action the code produced; any difference fails the instance with a
 *    NonDeterminismError naming the position, the recorded action and the new one.
 * 2. A warm executor resumed with only the new events produces the same actions and results as a
 *    cold one replaying the whole history (tested by a property test over random event orders).
 * 3. (inv. 3) A completion for a task that already settled is ignored, never applied twice.
 * 4. (inv. 5) External events that arrive before a wait are buffered in order, per name; events
 *    that arrive while the instance is suspended are held until it resumes.
 * 5. After the orchestration completes, the rest of the batch is not applied; on continue-as-new
 *    its unconsumed external events are carried over (unless the code asked otherwise).
 * 6. The critical section an execution holds is read from its history (lock request and release
 *    echoes), not from the code, so that it is known even when replay fails: whatever way the
 *    execution ends, the runtime can release it (`heldLock`).
 *
 * Design note: the generator runs synchronously inside event handling. A durable call takes the
 * next sequence number and records a pending action; a recorded echo removes it again. What is
 * left pending when the batch is done is new work. Completion events settle tasks; after each
 * event the executor resumes the generator while the task it awaits is settled.
 *
 * @module
 */
import type { Action, CompleteOrchestrationAction, EntityMessage, EntityMessageType, SequencedAction } from "../actions.js";
import { actionOfEcho, describeAction, describeCall, echoOf, inputOf, isSameAction, patchIdOf } from "../actions.js";
import {
  CorruptHistoryError,
  InvalidOrchestrationError,
  NonDeterminismError,
  toFailureDetails,
  type FailureDetails,
} from "../errors.js";
import {
  newEvent,
  type CompletionStatus,
  type EventOf,
  type EventRaisedEvent,
  type EventType,
  type HistoryEvent,
} from "../history.js";
import { deserialize, serialize, type Payload } from "../serde.js";
import {
  CallTask,
  EntityCallTask,
  LockTask,
  OneWayTask,
  PatchMarkerTask,
  SequencedTask,
  TimerTask,
  type ExternalEventTask,
} from "./durable-tasks.js";
import {
  OrchestrationContextImpl,
  silentLogger,
  type ContextHost,
  type ReplayLogger,
} from "./orchestration-context.js";
import { Task } from "./task.js";
import type { ExecutionResult, ExecutionStatus, ExecutorOptions, HeldLock, InputComparison, OrchestrationDefinition } from "./execution-result.js";
import { describeValue, isIterator, isThenable } from "./values.js";

export type { ExecutionResult, ExecutionStatus, ExecutorOptions, HeldLock, InputComparison, OrchestrationDefinition } from "./execution-result.js";

type Handlers = { readonly [K in EventType]: (event: EventOf<K>) => void };
type Resumption = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/** Events applied even while the instance is suspended. */
const UNSUSPENDABLE = new Set<EventType>([
  "OrchestratorStarted",
  "OrchestratorCompleted",
  "ExecutionResumed",
  "ExecutionTerminated",
  "ExecutionCompleted",
  "TaskScheduled",
  "TimerCreated",
  "SubOrchestrationInstanceCreated",
  "EventSent",
  "GenericEvent",
  "EntityOperationSignaled",
  "EntityOperationCalled",
  "EntityLockRequested",
  "EntityUnlockSent",
]);

/**
 * Runs one orchestration instance's executions against its history. Use `execute` once (cold
 * start: past history + new events), then `resume` with only the new events of later episodes
 * while the executor stays warm.
 */
export class OrchestrationExecutor implements ContextHost {
  readonly orchestrationName: string;
  readonly logger: ReplayLogger;
  instanceId = "";
  parentInstanceId: string | undefined;
  executionId = "";
  version: string | undefined;
  isReplaying = false;
  currentTimestamp = new Date(0).toISOString();

  private readonly ctx: OrchestrationContextImpl;
  private generator: Iterator<unknown, unknown, unknown> | undefined;
  private awaited: Task<unknown> | undefined;
  private nextSequence = 0;
  private readonly openTasks = new Map<number, SequencedTask<unknown>>();
  private readonly pendingActions = new Map<number, SequencedAction>();
  private readonly waiters = new Map<string, ExternalEventTask<unknown>[]>();
  private readonly buffered: EventRaisedEvent[] = [];
  private readonly held: HistoryEvent[] = [];
  private suspended = false;
  private continueAsNew: { input: Payload; preserve: boolean } | undefined;
  private customStatus: Payload;
  private completion: CompleteOrchestrationAction | undefined;
  private completionCommitted = false;
  private started = false;
  private halted = false;
  private haltError: Error | undefined;
  private canceledTimers: number[] = [];
  /** Request ids of entity calls and lock requests → their sequence numbers. */
  private readonly entityRequests = new Map<string, number>();
  private heldLock: HeldLock | undefined;
  /** Patch ids whose markers the past history records (read before replay: a marker follows its call). */
  private readonly recordedPatches = new Set<string>();
  /** What `patched(id)` answered in this execution, so that every call of one id answers alike. */
  private readonly patchDecisions = new Map<string, boolean>();
  private readonly inputComparison: InputComparison;
  private readonly differences: NonDeterminismError[] = [];
  private readonly subOrchestrationVersion: (name: string) => string | undefined;

  private readonly handlers: Handlers = {
    ExecutionStarted: (e) => this.onExecutionStarted(e),
    ExecutionCompleted: (e) => {
      this.completion = { type: "CompleteOrchestration", status: e.status, result: e.result, failureDetails: e.failureDetails };
      this.completionCommitted = true;
    },
    ExecutionTerminated: (e) => this.complete({ status: "Terminated", result: e.reason }),
    TaskScheduled: (e) => this.matchEcho(e),
    TaskCompleted: (e) => this.callTask(e, "activity")?.succeed(deserialize(e.result, `the result of task ${e.taskScheduledId}`)),
    TaskFailed: (e) => this.callTask(e, "activity")?.failWith(e.failureDetails),
    SubOrchestrationInstanceCreated: (e) => this.matchEcho(e),
    SubOrchestrationInstanceCompleted: (e) =>
      this.callTask(e, "subOrchestration")?.succeed(deserialize(e.result, `the output of sub-orchestration ${e.taskScheduledId}`)),
    SubOrchestrationInstanceFailed: (e) => this.callTask(e, "subOrchestration")?.failWith(e.failureDetails),
    TimerCreated: (e) => this.matchEcho(e),
    TimerFired: (e) => this.onTimerFired(e),
    OrchestratorStarted: (e) => {
      this.currentTimestamp = e.timestamp;
    },
    OrchestratorCompleted: () => {},
    EventSent: (e) => this.matchEcho(e),
    EventRaised: (e) => this.onEventRaised(e),
    // A patch marker echoes `ctx.patched`; any other generic event changes nothing.
    GenericEvent: (e) => {
      if (patchIdOf(e) !== undefined) this.matchEcho(e);
    },
    ExecutionSuspended: () => {
      this.suspended = true;
    },
    ExecutionResumed: () => this.onResumed(),
    // A rewind rewrites history before the instance runs again; the marker itself changes nothing.
    ExecutionRewound: () => {},
    EntityOperationSignaled: (e) => this.matchEcho(e),
    EntityOperationCalled: (e) => this.matchEcho(e),
    EntityLockRequested: (e) => this.matchEcho(e),
    EntityUnlockSent: (e) => this.matchEcho(e),
    EntityOperationCompleted: (e) =>
      this.entityTask(e.requestId, e.type, EntityCallTask)?.succeed(deserialize(e.output, `the result of entity request ${e.requestId}`)),
    EntityOperationFailed: (e) => this.entityTask(e.requestId, e.type, EntityCallTask)?.failWith(e.failureDetails),
    EntityLockGranted: (e) => this.entityTask(e.criticalSectionId, e.type, LockTask)?.grant(),
  };

  constructor(
    private readonly definition: OrchestrationDefinition,
    options: ExecutorOptions = {},
  ) {
    this.orchestrationName = definition.name;
    this.logger = options.logger ?? silentLogger;
    this.inputComparison = options.compareInputs ?? "ignore";
    this.subOrchestrationVersion = options.subOrchestrationVersion ?? (() => undefined);
    this.ctx = new OrchestrationContextImpl(this);
  }

  /** True once the execution has ended (completed, failed, terminated or continued as new). */
  get isDone(): boolean {
    return this.completion !== undefined;
  }

  /**
   * True when the orchestration waits for nothing but the completion of task `taskId`: no other
   * task, timer or call is open and no external event is awaited, so that completion is all its
   * next episode can be waiting for.
   */
  awaitsOnly(taskId: number): boolean {
    return !this.isDone && this.openTasks.size === 1 && this.openTasks.has(taskId) && this.waiters.size === 0 && this.buffered.length === 0;
  }

  /** Cold start: replays `pastEvents`, then applies `newEvents`. Call once per executor. */
  execute(pastEvents: readonly HistoryEvent[], newEvents: readonly HistoryEvent[]): ExecutionResult {
    if (this.started) throw new Error("OrchestrationExecutor.execute() runs once; call resume() with new events after it.");
    this.started = true;
    this.isReplaying = true;
    for (const event of pastEvents) {
      const patchId = patchIdOf(event);
      if (patchId !== undefined) this.recordedPatches.add(patchId);
    }
    for (const event of pastEvents) {
      if (this.completionCommitted) break;
      this.apply(event);
    }
    this.isReplaying = false;
    return this.runEpisode(newEvents);
  }

  /**
   * The calls that replay found made with another input than history recorded (with
   * `compareInputs: "report"`), in the order they were met.
   */
  get inputDifferences(): readonly NonDeterminismError[] {
    return this.differences;
  }

  /**
   * The error that stopped the execution against its history (a NonDeterminismError, a
   * CorruptHistoryError, an InvalidOrchestrationError), as thrown; undefined while it replays
   * cleanly. A failure of the orchestration's own code is no such error: it ends the execution as
   * recorded.
   */
  get haltedBy(): Error | undefined {
    return this.haltError;
  }

  /** Warm resume: applies only the new events of the next episode. */
  resume(newEvents: readonly HistoryEvent[]): ExecutionResult {
    if (!this.started) throw new Error("OrchestrationExecutor.resume() needs a prior execute().");
    return this.runEpisode(newEvents);
  }

  private runEpisode(newEvents: readonly HistoryEvent[]): ExecutionResult {
    this.canceledTimers = [];
    const heldLockAtStart = this.heldLock;
    const applied: HistoryEvent[] = [];
    let index = 0;
    // An execution that ended while replaying (it failed on its past) still records this
    // episode's start, so that its end carries this episode's time.
    const first = newEvents[0];
    if (this.completion !== undefined && !this.completionCommitted && first?.type === "OrchestratorStarted") {
      this.currentTimestamp = first.timestamp;
      applied.push(first);
      index = 1;
    }
    for (; index < newEvents.length && this.completion === undefined; index++) {
      const event = newEvents[index]!;
      applied.push(event);
      this.apply(event);
    }
    return { ...this.result(applied, newEvents.slice(index)), heldLockAtStart };
  }

  private apply(event: HistoryEvent): void {
    this.trackLock(event);
    if (this.halted || this.completionCommitted) return;
    try {
      if (this.suspended && !UNSUSPENDABLE.has(event.type)) {
        this.held.push(event);
        return;
      }
      (this.handlers[event.type] as (e: HistoryEvent) => void)(event);
      this.drive();
    } catch (error) {
      this.failHard(error);
    }
  }

  private result(applied: HistoryEvent[], rest: readonly HistoryEvent[]): ExecutionResult {
    const actions: Action[] = [];
    const echoes: HistoryEvent[] = [];
    const completion = this.completion;
    if (!this.completionCommitted) {
      for (const action of this.pendingActions.values()) {
        actions.push(action);
        const echo = echoOf(action, this.currentTimestamp);
        this.trackLock(echo);
        echoes.push(echo);
      }
      this.pendingActions.clear();
      if (completion !== undefined) {
        const final = completion.status === "ContinuedAsNew" ? { ...completion, carryoverEvents: this.carryover(rest) } : completion;
        actions.push(final);
        echoes.push(
          newEvent("ExecutionCompleted", this.currentTimestamp, {
            status: final.status,
            result: final.result,
            failureDetails: final.failureDetails,
          }),
        );
        this.completionCommitted = true;
      }
    }
    const status: ExecutionStatus = completion?.status ?? (this.suspended ? "Suspended" : "Running");
    return {
      status,
      actions,
      newHistory: echoes.length === 0 ? applied : applied.concat(echoes),
      output: completion?.result,
      failureDetails: completion?.failureDetails,
      customStatus: this.customStatus,
      canceledTimers: this.canceledTimers,
      heldLock: this.heldLock,
    };
  }

  /** Follows the critical section through its echoes: requested, then released. */
  private trackLock(event: HistoryEvent): void {
    if (event.eventId < 0) return;
    if (event.type === "EntityLockRequested") {
      this.heldLock = { criticalSectionId: event.criticalSectionId, lockSet: event.lockSet };
    } else if (event.type === "EntityUnlockSent" && event.criticalSectionId === this.heldLock?.criticalSectionId) {
      this.heldLock = undefined;
    }
  }

  private carryover(rest: readonly HistoryEvent[]): HistoryEvent[] {
    if (!this.continueAsNew?.preserve) return [];
    const raised = (e: HistoryEvent): e is EventRaisedEvent => e.type === "EventRaised";
    return [...this.buffered, ...this.held.filter(raised), ...rest.filter(raised)];
  }

  // ---- event handlers -------------------------------------------------------------------------

  private onExecutionStarted(e: EventOf<"ExecutionStarted">): void {
    if (this.generator !== undefined) {
      throw new CorruptHistoryError(`History of instance '${e.instanceId}' has a second ExecutionStarted event.`);
    }
    this.instanceId = e.instanceId;
    this.executionId = e.executionId;
    this.version = e.version;
    this.parentInstanceId = e.parent?.instanceId;
    let produced: unknown;
    try {
      produced = this.definition.fn(this.ctx, deserialize(e.input, "the orchestration input"));
    } catch (error) {
      this.complete({ status: "Failed", failureDetails: toFailureDetails(error) });
      return;
    }
    if (isThenable(produced)) {
      throw new InvalidOrchestrationError(
        `Orchestration '${this.orchestrationName}' returned a Promise: orchestrations must be generator functions ` +
          `(function* (ctx, input) { … }) that yield tasks, not async functions.`,
      );
    }
    if (!isIterator(produced)) {
      this.finish(produced);
      return;
    }
    this.generator = produced;
    this.step({ ok: true, value: undefined });
  }

  /** Checks a recorded action echo against the action the code produced under its sequence number. */
  private matchEcho(recorded: HistoryEvent): void {
    const expected = actionOfEcho(recorded)!;
    const produced = this.pendingActions.get(recorded.eventId);
    if (produced === undefined || !isSameAction(expected, produced)) {
      throw new NonDeterminismError({
        instanceId: this.instanceId,
        orchestrationName: this.orchestrationName,
        position: recorded.eventId,
        recorded: describeAction(expected),
        produced: produced === undefined ? "nothing" : describeAction(produced),
        recordedCall: describeCall(expected),
        producedCall: produced === undefined ? undefined : describeCall(produced),
      });
    }
    if (this.inputComparison !== "ignore" && inputOf(expected) !== inputOf(produced)) {
      const difference = new NonDeterminismError({
        instanceId: this.instanceId,
        orchestrationName: this.orchestrationName,
        position: recorded.eventId,
        recorded: describeAction(expected),
        produced: describeAction(produced),
        recordedCall: describeCall(expected),
        producedCall: describeCall(produced),
        inputDiffers: true,
      });
      if (this.inputComparison === "fail") throw difference;
      this.differences.push(difference);
    }
    this.pendingActions.delete(recorded.eventId);
  }

  /** The open entity call or lock task a response answers; undefined for a duplicate response. */
  private entityTask<T extends SequencedTask<unknown>>(
    requestId: string,
    eventType: EventType,
    kind: abstract new (...args: never[]) => T,
  ): T | undefined {
    const id = this.entityRequests.get(requestId);
    if (id === undefined) {
      throw new NonDeterminismError({
        instanceId: this.instanceId,
        orchestrationName: this.orchestrationName,
        position: -1,
        recorded: `${eventType} answering request '${requestId}'`,
        produced: "no entity call or lock request with that id",
      });
    }
    const task = this.takeOpenTask(id, eventType);
    if (task === undefined) return undefined;
    if (!(task instanceof kind)) throw this.completionMismatch(id, eventType, describeAction(task.action));
    return task;
  }

  /** The open call task a completion event answers; undefined for a duplicate completion. */
  private callTask(
    e: EventOf<"TaskCompleted" | "TaskFailed" | "SubOrchestrationInstanceCompleted" | "SubOrchestrationInstanceFailed">,
    kind: "activity" | "subOrchestration",
  ): CallTask<unknown> | undefined {
    const task = this.takeOpenTask(e.taskScheduledId, e.type);
    if (task === undefined) return undefined;
    if (!(task instanceof CallTask) || task.kind !== kind) {
      throw this.completionMismatch(e.taskScheduledId, e.type, describeAction(task.action));
    }
    return task;
  }

  private onTimerFired(e: EventOf<"TimerFired">): void {
    const task = this.takeOpenTask(e.timerId, e.type);
    if (task === undefined) return;
    if (!(task instanceof TimerTask)) throw this.completionMismatch(e.timerId, e.type, describeAction(task.action));
    task.fire();
  }

  private takeOpenTask(id: number, eventType: EventType): SequencedTask<unknown> | undefined {
    const task = this.openTasks.get(id);
    if (task === undefined) {
      // A completion for a call this execution made and already settled is a duplicate: drop it.
      if (Number.isInteger(id) && id >= 0 && id < this.nextSequence && !this.pendingActions.has(id)) return undefined;
      throw this.completionMismatch(id, eventType, "nothing");
    }
    this.openTasks.delete(id);
    return task;
  }

  private completionMismatch(id: number, eventType: EventType, produced: string): NonDeterminismError {
    return new NonDeterminismError({
      instanceId: this.instanceId,
      orchestrationName: this.orchestrationName,
      position: id,
      recorded: `${eventType} answering call ${id}`,
      produced,
    });
  }

  private onEventRaised(e: EventRaisedEvent): void {
    const queue = this.waiters.get(e.name.toLowerCase());
    while (queue !== undefined && queue.length > 0) {
      const waiter = queue.shift()!;
      if (waiter.isCompleted) continue; // timed out earlier
      waiter.deliver(deserialize(e.input, `the data of event '${e.name}'`));
      return;
    }
    this.buffered.push(e);
  }

  private onResumed(): void {
    this.suspended = false;
    // Take held events one at a time, so that a held suspension holds the rest again, and what is
    // left when the execution ends stays held (continue-as-new carries its external events over).
    while (this.held.length > 0 && !this.suspended && this.completion === undefined) {
      const event = this.held.shift()!;
      (this.handlers[event.type] as (e: HistoryEvent) => void)(event);
      this.drive();
    }
  }

  // ---- driving the generator ------------------------------------------------------------------

  private drive(): void {
    while (this.completion === undefined && this.awaited?.isCompleted) {
      const task = this.awaited;
      this.awaited = undefined;
      this.step(task.isFaulted ? { ok: false, error: task.error! } : { ok: true, value: task.result });
    }
  }

  private step(resumption: Resumption): void {
    const generator = this.generator!;
    let next = resumption;
    for (;;) {
      let r: IteratorResult<unknown, unknown>;
      try {
        r = next.ok ? generator.next(next.value) : generator.throw!(next.error);
      } catch (error) {
        this.complete({ status: "Failed", failureDetails: toFailureDetails(error) });
        return;
      }
      if (this.continueAsNew !== undefined) {
        this.complete({ status: "ContinuedAsNew", result: this.continueAsNew.input });
        return;
      }
      if (r.done) {
        this.finish(r.value);
        return;
      }
      const task = r.value;
      if (!(task instanceof Task)) {
        throw new InvalidOrchestrationError(
          `Orchestration '${this.orchestrationName}' yielded ${describeValue(task)}; yield only tasks returned by ctx ` +
            `(ctx.callActivity, ctx.createTimer, ctx.all, …). To await a task, write \`yield* task\` or \`yield task\`.`,
        );
      }
      if (!task.isCompleted) {
        this.awaited = task;
        return;
      }
      next = task.isFaulted ? { ok: false, error: task.error! } : { ok: true, value: task.result };
    }
  }

  private finish(value: unknown): void {
    let output: Payload;
    try {
      output = serialize(value, `the output of orchestration '${this.orchestrationName}'`);
    } catch (error) {
      this.complete({ status: "Failed", failureDetails: toFailureDetails(error) });
      return;
    }
    this.complete({ status: "Completed", result: output });
  }

  private complete(fields: { status: CompletionStatus; result?: Payload; failureDetails?: FailureDetails }): void {
    if (this.completion !== undefined) return;
    this.completion = { type: "CompleteOrchestration", ...fields };
    this.awaited = undefined;
  }

  private failHard(error: unknown): void {
    // The code cannot go on from a state that contradicts its history: drop the generator and its work.
    if (this.halted) return;
    this.halted = true;
    this.haltError = error instanceof Error ? error : new Error(String(error));
    this.pendingActions.clear();
    this.generator = undefined;
    this.awaited = undefined;
    this.completion = undefined;
    this.complete({ status: "Failed", failureDetails: toFailureDetails(error) });
  }

  // ---- ContextHost ----------------------------------------------------------------------------

  schedule<T extends SequencedTask<unknown>>(build: (id: number) => { action: SequencedAction; task: T }): T {
    const id = this.nextSequence++;
    const { action, task } = build(id);
    this.pendingActions.set(id, action);
    if (!(task instanceof OneWayTask)) this.openTasks.set(id, task);
    if (action.type === "SendEntityMessage") {
      const message = action.message;
      if (message.type === "EntityOperationCalled") this.entityRequests.set(message.requestId, id);
      else if (message.type === "EntityLockRequested") this.entityRequests.set(message.criticalSectionId, id);
    }
    return task;
  }

  waitForEvent(task: ExternalEventTask<unknown>): void {
    const key = task.name.toLowerCase();
    const index = this.buffered.findIndex((e) => e.name.toLowerCase() === key);
    if (index >= 0) {
      const [event] = this.buffered.splice(index, 1);
      task.deliver(deserialize(event!.input, `the data of event '${event!.name}'`));
      return;
    }
    let queue = this.waiters.get(key);
    if (queue === undefined) this.waiters.set(key, (queue = []));
    queue.push(task);
  }

  defaultVersionOf(orchestrationName: string): string | undefined {
    return this.subOrchestrationVersion(orchestrationName);
  }

  /**
   * Answers `ctx.patched(patchId)` (or, with `deprecated`, takes `ctx.deprecatePatch`'s marker):
   * true when the history records the patch's marker (its call is matched by sequence number, as
   * any call), false when a replayed history reaches the call without one (the execution went the
   * old way), and true with a new marker when the call is met live. Each id is decided once per
   * execution. A deprecated patch never records a marker, and answers nothing.
   */
  patched(patchId: string, deprecated: boolean): boolean {
    const decided = this.patchDecisions.get(patchId);
    if (decided !== undefined) return decided;
    const marked = this.recordedPatches.has(patchId) || (!deprecated && !this.isReplaying);
    if (marked) {
      this.schedule((id) => {
        const action: SequencedAction = { type: "MarkPatch", id, patchId };
        return { action, task: new PatchMarkerTask(action) };
      });
    }
    const value = marked || deprecated;
    this.patchDecisions.set(patchId, value);
    return value;
  }

  timerCanceled(timer: TimerTask): void {
    if (!this.isReplaying) this.canceledTimers.push(timer.id);
  }

  requestContinueAsNew(input: Payload, preserveUnprocessedEvents: boolean): void {
    this.continueAsNew = { input, preserve: preserveUnprocessedEvents };
  }

  setCustomStatus(status: Payload): void {
    this.customStatus = status;
  }
}

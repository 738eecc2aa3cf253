/**
 * Turns what a remote worker answered for one orchestration work item (an OrchestratorResponse)
 * into the same kind of OrchestrationCommit our own worker writes: the dispatched events, one echo
 * per action, ExecutionCompleted when the execution ended; activity tasks, timer messages, child
 * instances, events to other instances and the parent's notification.
 *
 * Invariants kept here:
 * 1. History keeps the protocol's layout: the new events as dispatched (OrchestratorStarted
 *    first), then the action echoes under the action's id, then ExecutionCompleted. No
 *    OrchestratorCompleted is written (the layout the SDKs' tests assert).
 * 2. An action echo carries the action's protocol extras (tags, trace context) in its `wire`
 *    field, so history read back over the protocol shows what the orchestration asked for.
 * 3. A sub-orchestration ends the way a local one does: its parent gets the same
 *    SubOrchestrationInstanceCompleted / …Failed message (`parentNotification`), the child's
 *    failure details verbatim.
 * 4. Continue-as-new starts a new execution with a fresh 32-hex execution id, the same name,
 *    parent and tags, the new version if one was given, and the carried-over events after it.
 * 5. Some episodes never reach a worker: messages to an ended instance are dropped, a termination
 *    is applied here (it needs no orchestration code, and must work when no worker is connected),
 *    and events that reach an instance whose scheduled start is still ahead are kept in its
 *    history until it starts.
 * 6. Entity messages (calls, signals, lock requests and releases) go to Perdure's entities as
 *    our own orchestrations' do; an execution that ends holding or awaiting a critical section
 *    releases it, as ours does (`lockRelease`).
 *
 * @module
 */
import type { CompleteOrchestrationAction, EntityMessage } from "../core/actions.js";
import type { FailureDetails } from "../core/errors.js";
import { instanceIdProblem } from "../core/ids.js";
import { newActionEvent, newEvent, type EventFields, type EventType, type ExecutionStartedEvent, type HistoryEvent } from "../core/history.js";
import type { Payload } from "../core/serde.js";
import type { HeldLock } from "../core/replay/execution-result.js";
import { entityMessageOf, lockRelease } from "../runtime/entity-processor.js";
import { parentNotification } from "../runtime/orchestration-processor.js";
import type {
  CreateInstanceRequest,
  NewActivityTask,
  NewMessage,
  OrchestrationCommit,
  OrchestrationWorkItem,
  RuntimeStatus,
} from "../store/store.js";
import {
  completionStatusOf,
  fromWireEvent,
  fromWireFailure,
  fromWireString,
  fromWireTimestamp,
  toWireTimestamp,
  type WireExtended,
} from "./codec.js";
import { ProtocolError, UnsupportedError } from "./errors.js";
import type { WireAction, WireOrchestratorResponse, WireString } from "./wire.js";

/** One dispatched orchestration work item: what the worker was sent. */
export interface DispatchedEpisode {
  readonly item: OrchestrationWorkItem;
  /** The execution's history before this episode, as sent in `pastEvents`. */
  readonly pastEvents: readonly HistoryEvent[];
  /** The events sent as `newEvents` (OrchestratorStarted, then the inbox messages of the execution). */
  readonly newEvents: readonly HistoryEvent[];
  /** The execution's ExecutionStarted, from its history or from `newEvents`. */
  readonly started?: WireExtended<ExecutionStartedEvent> | undefined;
  /** The time of the commit. */
  readonly now: string;
}

export interface RemoteCommitOptions {
  readonly newExecutionId: () => string;
  /** The lease to enqueue an activity task with (one held by this server), or undefined to leave it free. */
  readonly taskLease: (activityName: string) => NewActivityTask["lease"];
  /**
   * The version a sub-orchestration starts on when the action names none: the newest our app
   * registers under that name (undefined for a name it does not register: none, as the SDKs send).
   */
  readonly childVersion?: ((name: string) => string | undefined) | undefined;
}

/** What the protocol said about a task that Perdure's task rows do not keep, for its ActivityRequest. */
export interface TaskExtras {
  readonly version?: WireString | undefined;
  readonly tags?: Record<string, string> | undefined;
  readonly parentTraceContext?: unknown;
}

export interface RemoteCommit {
  readonly commit: OrchestrationCommit;
  /** Extras of `commit.tasks`, index by index. */
  readonly taskExtras: readonly TaskExtras[];
}

/**
 * The commit of a worker's answer.
 * @throws ProtocolError for a malformed action; UnsupportedError for entity messages and rewinds,
 *   which this server does not serve (the caller fails the instance with it).
 */
export function commitFromResponse(
  episode: DispatchedEpisode,
  response: WireOrchestratorResponse,
  options: RemoteCommitOptions,
): RemoteCommit {
  const { item, now } = episode;
  const instance = item.instance;
  const self = { instanceId: instance.instanceId, executionId: instance.executionId };
  const history: HistoryEvent[] = [...episode.newEvents];
  const tasks: NewActivityTask[] = [];
  const taskExtras: TaskExtras[] = [];
  const messages: NewMessage[] = [];
  const children: CreateInstanceRequest[] = [];
  let completion: NonNullable<WireAction["completeOrchestration"]> | undefined;

  for (const action of response.actions ?? []) {
    const id = action.id ?? 0;
    const kind = action.orchestratorActionType ?? actionKind(action);
    switch (kind) {
      case "scheduleTask": {
        const { name = "", version, input, tags, parentTraceContext, ...rest } = action.scheduleTask!;
        if (name === "") throw new ProtocolError(`Action ${id} schedules an activity without a name.`);
        history.push(echo("TaskScheduled", id, now, { name, version: fromWireString(version), input: fromWireString(input) }, { ...rest, tags, parentTraceContext }));
        tasks.push({ ...self, taskId: id, name, input: fromWireString(input), lease: options.taskLease(name) });
        taskExtras.push({ version, tags, parentTraceContext });
        break;
      }
      case "createTimer": {
        const fireAt = fromWireTimestamp(action.createTimer?.fireAt ?? {});
        history.push(echo("TimerCreated", id, now, { fireAt }, undefined));
        messages.push({ ...self, event: newEvent("TimerFired", now, { timerId: id, fireAt }), visibleAt: fireAt });
        break;
      }
      case "createSubOrchestration":
        createChild(action, id, episode, options, { history, messages, children });
        break;
      case "sendEvent": {
        const { instance: target, name = "", data } = action.sendEvent!;
        const targetId = target?.instanceId ?? "";
        history.push(echo("EventSent", id, now, { instanceId: targetId, name, input: fromWireString(data) }, undefined));
        // A message to an instance that does not exist is dropped by the store.
        if (targetId !== "") messages.push({ instanceId: targetId, event: newEvent("EventRaised", now, { name, input: fromWireString(data) }) });
        break;
      }
      case "terminateOrchestration": {
        const { instanceId: targetId = "", reason, recurse } = action.terminateOrchestration!;
        if (targetId !== "") {
          messages.push({ instanceId: targetId, event: newEvent("ExecutionTerminated", now, { reason: fromWireString(reason), recurse: recurse || undefined }) });
        }
        break;
      }
      case "completeOrchestration":
        completion = action.completeOrchestration!;
        break;
      case "sendEntityMessage": {
        const event = entityEvent(action, id, now, self);
        history.push(event);
        const { type, eventId: _id, timestamp: _at, wire: _wire, ...fields } = event as WireExtended<HistoryEvent>;
        messages.push(entityMessageOf({ type: "SendEntityMessage", id, message: { type, ...fields } as EntityMessage }, now));
        break;
      }
      case "rewindOrchestration":
        throw new UnsupportedError("This server rewinds instances itself; a rewindOrchestration action is not expected.");
      default:
        throw new ProtocolError(`Action ${id} has no kind this server knows (${String(kind)}).`);
    }
  }

  const base: OrchestrationCommit = {
    executionId: instance.executionId,
    history,
    consumedMessageIds: item.messages.map((m) => m.id),
    status: statusAfter(instance.status, episode.newEvents),
    customStatus: fromWireString(response.customStatus),
    tasks,
    messages,
    children,
    canceledTimerIds: [],
  };
  if (completion === undefined) return { commit: base, taskExtras };
  return { commit: completeCommit(base, episode, completion, options), taskExtras };
}

function completeCommit(
  base: OrchestrationCommit,
  episode: DispatchedEpisode,
  action: NonNullable<WireAction["completeOrchestration"]>,
  options: RemoteCommitOptions,
): OrchestrationCommit {
  const { item, now, started } = episode;
  const instance = item.instance;
  const status = completionStatusOf(action.orchestrationStatus);
  const result = fromWireString(action.result);
  const failureDetails: FailureDetails | undefined = action.failureDetails == null ? undefined : fromWireFailure(action.failureDetails);
  const history = [...base.history, newEvent("ExecutionCompleted", now, { status, result, failureDetails })];
  const release = lockRelease(instance.instanceId, heldLock([...episode.pastEvents, ...base.history]), now);
  if (status === "ContinuedAsNew") {
    const executionId = options.newExecutionId();
    const parentExtras = started?.wire?.parentInstance;
    const start = withWire(
      newEvent("ExecutionStarted", now, {
        name: instance.name,
        version: fromWireString(action.newVersion) ?? instance.version,
        input: result,
        instanceId: instance.instanceId,
        executionId,
        parent: instance.parent,
        tags: started?.tags,
      }),
      parentExtras === undefined ? undefined : { parentInstance: parentExtras },
    );
    const carried = (action.carryoverEvents ?? []).map((event) => fromWireEvent(event, now));
    return {
      ...base,
      history,
      status: "Running",
      output: undefined,
      messages: [...base.messages, ...release],
      continueAsNew: { executionId, input: result, startMessages: [start, ...carried] },
    };
  }
  const completion: CompleteOrchestrationAction = { type: "CompleteOrchestration", status, result, failureDetails };
  return {
    ...base,
    history,
    status,
    output: result,
    failureDetails,
    messages: [...base.messages, ...release, ...parentNotification(instance, completion, now)],
  };
}

/** The protocol's entity message as our event, echoed under the action's id. */
function entityEvent(action: WireAction, id: number, now: string, self: { instanceId: string; executionId: string }): HistoryEvent {
  const message = (action.sendEntityMessage ?? {}) as Record<string, unknown>;
  const kind = ["entityOperationSignaled", "entityOperationCalled", "entityLockRequested", "entityUnlockSent"].find((k) => message[k] != null);
  if (kind === undefined) throw new ProtocolError(`Action ${id} sends an entity message of no kind this server knows.`);
  const event = fromWireEvent({ eventId: id, timestamp: toWireTimestamp(now), [kind]: message[kind] });
  // A result or a grant must reach this execution, not a later one.
  if (event.type === "EntityOperationCalled" || event.type === "EntityLockRequested") {
    return { ...event, parentInstanceId: event.parentInstanceId || self.instanceId, parentExecutionId: event.parentExecutionId ?? self.executionId };
  }
  return event;
}

/** The critical section the execution holds or awaits at the end of `history`: requested, and not released. */
export function heldLock(history: readonly HistoryEvent[]): HeldLock | undefined {
  let held: HeldLock | undefined;
  for (const event of history) {
    if (event.type === "EntityLockRequested") held = { criticalSectionId: event.criticalSectionId, lockSet: event.lockSet };
    else if (event.type === "EntityUnlockSent" && event.criticalSectionId === held?.criticalSectionId) held = undefined;
  }
  return held;
}

interface Outbox {
  readonly history: HistoryEvent[];
  readonly messages: NewMessage[];
  readonly children: CreateInstanceRequest[];
}

function createChild(action: WireAction, id: number, episode: DispatchedEpisode, options: RemoteCommitOptions, out: Outbox): void {
  const { item, now } = episode;
  const instance = item.instance;
  const { instanceId: requested = "", name = "", version, input, tags, parentTraceContext, ...rest } = action.createSubOrchestration!;
  // What the SDKs derive themselves; used when a worker leaves the id to the backend.
  const childId = requested !== "" ? requested : `${instance.executionId}:${id.toString(16).padStart(4, "0")}`;
  const fields = { name, instanceId: childId, version: fromWireString(version) ?? options.childVersion?.(name), input: fromWireString(input) };
  out.history.push(echo("SubOrchestrationInstanceCreated", id, now, fields, { ...rest, tags, parentTraceContext }));
  const problem = name === "" ? "it has no name" : instanceIdProblem(childId);
  if (problem !== undefined) {
    const failureDetails = { errorType: "InvalidArgumentError", errorMessage: `Cannot start sub-orchestration '${name}' as '${childId}': ${problem}.` };
    out.messages.push({
      instanceId: instance.instanceId,
      executionId: instance.executionId,
      event: newEvent("SubOrchestrationInstanceFailed", now, { taskScheduledId: id, failureDetails }),
    });
    return;
  }
  const executionId = options.newExecutionId();
  const parent = { name: instance.name, instanceId: instance.instanceId, executionId: instance.executionId, taskScheduledId: id };
  const startEvent = withWire(
    newEvent("ExecutionStarted", now, { ...fields, executionId, parent, tags: tags !== undefined && Object.keys(tags).length > 0 ? tags : undefined }),
    parentTraceContext === undefined ? undefined : { parentTraceContext },
  );
  out.children.push({ instanceId: childId, name, version: fields.version, executionId, input: fields.input, parent, reuse: "ifTerminal", startEvent });
}

/** The instance's status after applying `events` without an end: started, suspended or resumed. */
function statusAfter(status: RuntimeStatus, events: readonly HistoryEvent[]): RuntimeStatus {
  let next = status;
  for (const event of events) {
    if (event.type === "ExecutionStarted" && next === "Pending") next = "Running";
    else if (event.type === "ExecutionSuspended" && next !== "Pending") next = "Suspended";
    else if (event.type === "ExecutionResumed" && next === "Suspended") next = "Running";
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Episodes applied without a worker

/** Consumes the item's messages and changes nothing else (an ended instance, or messages of an ended execution). */
export function dropCommit(item: OrchestrationWorkItem): OrchestrationCommit {
  const instance = item.instance;
  return {
    executionId: instance.executionId,
    history: [],
    consumedMessageIds: item.messages.map((m) => m.id),
    status: instance.status,
    customStatus: instance.customStatus,
    tasks: [],
    messages: [],
    children: [],
    canceledTimerIds: [],
  };
}

/**
 * Ends the instance as Terminated: the events up to the ExecutionTerminated are recorded, then
 * ExecutionCompleted with the reason as output; the parent is told.
 */
export function terminationCommit(
  item: OrchestrationWorkItem,
  pastEvents: readonly HistoryEvent[],
  newEvents: readonly HistoryEvent[],
  now: string,
): OrchestrationCommit {
  const at = newEvents.findIndex((e) => e.type === "ExecutionTerminated");
  const terminated = newEvents[at] as EventFields<"ExecutionTerminated">;
  const reason: Payload = terminated.reason;
  const completion: CompleteOrchestrationAction = { type: "CompleteOrchestration", status: "Terminated", result: reason };
  return {
    ...dropCommit(item),
    history: [...newEvents.slice(0, at + 1), newEvent("ExecutionCompleted", now, { status: "Terminated", result: reason })],
    status: "Terminated",
    output: reason,
    messages: [...lockRelease(item.instance.instanceId, heldLock(pastEvents), now), ...parentNotification(item.instance, completion, now)],
  };
}

/** Records events that arrived before the instance's scheduled start; it stays Pending. */
export function earlyEventsCommit(item: OrchestrationWorkItem, newEvents: readonly HistoryEvent[]): OrchestrationCommit {
  return { ...dropCommit(item), history: [...newEvents] };
}

/** Fails the instance with `failureDetails` after recording the dispatched events (a worker's answer this server cannot apply). */
export function failureCommit(episode: DispatchedEpisode, failureDetails: FailureDetails): OrchestrationCommit {
  const { item, now } = episode;
  const completion: CompleteOrchestrationAction = { type: "CompleteOrchestration", status: "Failed", failureDetails };
  return {
    ...dropCommit(item),
    history: [...episode.newEvents, newEvent("ExecutionCompleted", now, { status: "Failed", failureDetails })],
    status: "Failed",
    failureDetails,
    messages: [...lockRelease(item.instance.instanceId, heldLock(episode.pastEvents), now), ...parentNotification(item.instance, completion, now)],
  };
}

// ---------------------------------------------------------------------------------------------

function echo<T extends EventType>(type: T, id: number, now: string, fields: EventFields<T>, extra: Record<string, unknown> | undefined): HistoryEvent {
  return withWire(newActionEvent(type, id, now, fields), extra);
}

/** Attaches protocol extras (see codec.ts) to an event, leaving out empty ones. */
function withWire<E extends HistoryEvent>(event: E, extra: Record<string, unknown> | undefined): E {
  if (extra === undefined) return event;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined || value === null) continue;
    if (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    kept[key] = value;
  }
  return Object.keys(kept).length === 0 ? event : ({ ...event, wire: kept } as E);
}

function actionKind(action: WireAction): string | undefined {
  const kinds = ["scheduleTask", "createSubOrchestration", "createTimer", "sendEvent", "completeOrchestration", "terminateOrchestration", "sendEntityMessage", "rewindOrchestration"];
  return kinds.find((k) => (action as Record<string, unknown>)[k] != null);
}

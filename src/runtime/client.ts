/**
 * The client: starts, queries and manages orchestration instances in a store. Every input is
 * checked here, at the edge, before anything is written.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { newEvent, type EventOf, type HistoryEvent } from "../core/history.js";
import { quote, validateInstanceId, validateName } from "../core/ids.js";
import { planRewind } from "../core/rewind.js";
import { deserialize, serialize } from "../core/serde.js";
import type { App } from "../sdk/app.js";
import type { SignalEntityOptions } from "../core/replay/entity-calls.js";
import type { EntityId, OperationArgs, OperationInput, OperationName, OrchestrationHandle } from "../sdk/handles.js";
import { InstanceNotFoundError, InvalidInstanceStateError } from "../store/errors.js";
import {
  isTerminal,
  type CreateInstanceRequest,
  type InstanceRecord,
  type NewMessage,
  type HistoryPage,
  type QueryOrder,
  type StatusCounts,
  type Store,
} from "../store/store.js";
import {
  FILTER_KEYS,
  checkBoolean,
  checkLookupId,
  checkOptions,
  checkPageSize,
  checkText,
  checkTimeoutMs,
  hasCondition,
  toStoreFilter,
  type OrchestrationFilter,
} from "./arguments.js";
import { UnknownOrchestrationError, WaitTimeoutError } from "./errors.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, checkPayload } from "./payloads.js";
import { startInstance } from "./local-workers.js";
import { watchInstance } from "./instance-watch.js";
import { toStatus, type OrchestrationStatus } from "./orchestration-status.js";
import { randomIds, type IdSource } from "./ids.js";
import { validateVersion } from "../core/versions.js";
import {
  EntityClient,
  type CleanEntityStorageOptions,
  type CleanEntityStorageResult,
  type EntityDescription,
  type EntityPage,
  type EntityStateResponse,
  type ListEntitiesOptions,
} from "./entity-client.js";

export type { OrchestrationStatus } from "./orchestration-status.js";

export interface StartOptions<TIn> {
  readonly input?: TIn;
  /** The instance id (default: a random 32-character hex id). */
  readonly instanceId?: string | undefined;
  /** Start no earlier than this; the instance is Pending until then. */
  readonly startAt?: Date | undefined;
  /** Replace a finished (Completed, Failed, Terminated) instance with this id instead of failing. */
  readonly reuseFinishedId?: boolean | undefined;
  /**
   * The orchestration version to run (default: the newest the client's app registers; a client
   * without an app starts the handle's version, or none for a name). The instance keeps it for life.
   */
  readonly version?: string | undefined;
}

export interface StatusOptions {
  readonly showHistory?: boolean | undefined;
  /** Include the input (default true). */
  readonly showInput?: boolean | undefined;
}

export type { OrchestrationFilter } from "./arguments.js";

export interface ListOptions extends OrchestrationFilter {
  /** Rows per page, 1–1000 (default 100). */
  readonly pageSize?: number | undefined;
  /** By creation time: "desc" (default, newest first) or "asc". */
  readonly order?: QueryOrder | undefined;
  /** The token a previous page returned. */
  readonly continuationToken?: string | undefined;
  readonly showInput?: boolean | undefined;
}

/**
 * Which finished instances `purgeBy` deletes: at least one condition, or `all: true` (alone) to
 * purge every finished instance. Statuses must be finished ones.
 */
export interface PurgeFilter extends OrchestrationFilter {
  readonly all?: true | undefined;
}

const START_KEYS = ["input", "instanceId", "startAt", "reuseFinishedId", "version"];
const STATUS_KEYS = ["showHistory", "showInput"];
const LIST_KEYS = [...FILTER_KEYS, "pageSize", "order", "continuationToken", "showInput"];
const PURGE_KEYS = [...FILTER_KEYS, "all"];

/** A list order, checked: "desc" (newest first) or "asc". */
function checkOrder(order: unknown): QueryOrder | undefined {
  if (order === undefined || order === "desc" || order === "asc") return order;
  throw new InvalidArgumentError(`list() option 'order' must be "desc" (newest first) or "asc" (oldest first); received ${JSON.stringify(order) ?? String(order)}.`);
}

export interface ClientOptions {
  /** When given, `startNew` refuses names the app does not register. */
  readonly app?: App | undefined;
  /** Largest payload accepted, in bytes of JSON (default 1 MiB). */
  readonly maxPayloadBytes?: number | undefined;
  /** Where new instance and execution ids come from (default: random). The test kit passes a seeded source. */
  readonly ids?: IdSource | undefined;
}

type OrchestrationRef<TIn, TOut> = OrchestrationHandle<TIn, TOut> | string;

/** Manages orchestration instances. Create with `createClient`. */
export class Client {
  readonly #store: Store;
  readonly #app: App | undefined;
  readonly #maxPayloadBytes: number;
  readonly #entities: EntityClient;
  readonly #ids: IdSource;

  constructor(store: Store, options: ClientOptions = {}) {
    this.#store = store;
    this.#app = options.app;
    this.#ids = options.ids ?? randomIds;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#entities = new EntityClient(store, options.app, this.#maxPayloadBytes);
  }

  /**
   * Starts an orchestration and returns its instance id once the start is durable.
   * @throws InstanceExistsError when the id is Pending, Running or Suspended (or finished, without `reuseFinishedId`).
   * @throws UnknownOrchestrationError, InvalidArgumentError, SerializationError, PayloadTooLargeError.
   */
  async startNew<TIn, TOut>(orchestration: OrchestrationRef<TIn, TOut>, options: StartOptions<TIn> = {}): Promise<string> {
    const requested = typeof orchestration === "string" ? orchestration : orchestration?.name;
    if (typeof requested !== "string" || requested.length === 0) {
      throw new InvalidArgumentError(`startNew() needs an orchestration handle or a non-empty orchestration name; received ${quote(orchestration)}.`);
    }
    validateName(requested, "orchestration name");
    checkOptions("startNew() options", options, START_KEYS);
    validateVersion(options.version, "startNew() option 'version'");
    const { name, version } = this.#resolve(requested, typeof orchestration === "string" ? undefined : orchestration, options.version);
    const instanceId = options.instanceId ?? this.#ids.instanceId();
    validateInstanceId(instanceId);
    checkBoolean(options.reuseFinishedId, "startNew() option 'reuseFinishedId'");
    const input = checkPayload(serialize(options.input, `the input of '${name}'`), `The input of '${name}'`, this.#maxPayloadBytes);
    let scheduledStartAt: string | undefined;
    if (options.startAt !== undefined) {
      if (!(options.startAt instanceof Date) || Number.isNaN(options.startAt.getTime())) {
        throw new InvalidArgumentError(`startNew() option 'startAt' must be a valid Date; received ${String(options.startAt)}.`);
      }
      scheduledStartAt = options.startAt.toISOString();
    }
    const executionId = this.#ids.executionId();
    const now = new Date(this.#store.now()).toISOString();
    await startInstance(this.#store, {
      instanceId,
      name,
      version,
      executionId,
      input,
      scheduledStartAt,
      reuse: options.reuseFinishedId ? "ifTerminal" : "never",
      startEvent: newEvent("ExecutionStarted", now, { name, version, input, instanceId, executionId, scheduledStartTime: scheduledStartAt }),
    });
    return instanceId;
  }

  /**
   * The name and version a start runs: the registered spelling and the asked-for version (which
   * the app must register) or the newest; without an app, the given name and the handle's version.
   */
  #resolve(requested: string, handle: { readonly version?: string | undefined } | undefined, asked: string | undefined) {
    if (this.#app === undefined) return { name: requested, version: asked ?? handle?.version };
    const newest = this.#app.getOrchestration(requested);
    if (newest === undefined) throw new UnknownOrchestrationError(requested, this.#app.orchestrationNames);
    if (asked === undefined) return { name: newest.name, version: newest.version };
    if (this.#app.getOrchestrationVersion(requested, asked) === undefined) {
      throw new UnknownOrchestrationError(requested, this.#app.orchestrationNames, { version: asked, registered: this.#app.orchestrationVersions(requested) });
    }
    return { name: newest.name, version: asked };
  }

  /** The instance's status, or undefined when there is no such instance. */
  async getStatus<TOut = unknown>(instanceId: string, options: StatusOptions = {}): Promise<OrchestrationStatus<TOut> | undefined> {
    checkLookupId(instanceId, "getStatus()");
    checkOptions("getStatus() options", options, STATUS_KEYS);
    const showHistory = checkBoolean(options.showHistory, "getStatus() option 'showHistory'");
    const showInput = checkBoolean(options.showInput, "getStatus() option 'showInput'") ?? true;
    const record = await this.#orchestration(instanceId);
    if (record === undefined) return undefined;
    const history = showHistory ? await this.getHistory(instanceId) : undefined;
    return toStatus<TOut>(record, showInput, history);
  }

  /**
   * Waits until the instance is Completed, Failed or Terminated and returns its status.
   * @throws WaitTimeoutError after `timeoutMs` (the instance goes on); InstanceNotFoundError.
   */
  async waitForCompletion<TOut = unknown>(instanceId: string, options: { timeoutMs?: number } = {}): Promise<OrchestrationStatus<TOut>> {
    checkLookupId(instanceId, "waitForCompletion()");
    const timeoutMs = checkTimeoutMs(checkOptions("waitForCompletion() options", options, ["timeoutMs"]).timeoutMs ?? 60_000, "waitForCompletion() option 'timeoutMs'");
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    // Announced finished (while nobody waited, too); a store that announces the record spares the read.
    let announced = false;
    let finished: InstanceRecord | undefined;
    const unsubscribe = watchInstance(this.#store, instanceId, (change) => {
      if (!isTerminal(change.status)) return;
      announced = true;
      finished = change.record;
      wake?.();
    });
    try {
      let pollMs = 5;
      for (;;) {
        if (finished !== undefined) return toStatus<TOut>(finished, true, undefined);
        announced = false;
        const status = await this.getStatus<TOut>(instanceId);
        if (status === undefined) throw new InstanceNotFoundError(instanceId);
        if (isTerminal(status.runtimeStatus)) return status;
        // Finished while the status was being read: look again at once.
        if (announced) continue;
        const left = deadline - Date.now();
        if (left <= 0) throw new WaitTimeoutError(instanceId, timeoutMs);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, pollMs));
          function done(): void {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });
        pollMs = Math.min(1000, pollMs * 2);
      }
    } finally {
      unsubscribe();
    }
  }

  /**
   * Raises an external event to an instance.
   * @throws InstanceNotFoundError; InvalidInstanceStateError when the instance has finished.
   */
  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    checkLookupId(instanceId, "raiseEvent()");
    validateName(eventName, "raiseEvent() event name");
    const input = checkPayload(serialize(data, `the data of event '${eventName}'`), `The data of event '${eventName}'`, this.#maxPayloadBytes);
    await this.#requireRunning(instanceId, "raise an event to");
    await this.#send({ instanceId, event: newEvent("EventRaised", this.#now(), { name: eventName, input }) });
  }

  /**
   * Terminates a running instance; with `recursive`, its running sub-orchestrations too.
   * @throws InstanceNotFoundError; InvalidInstanceStateError when it has finished.
   */
  async terminate(instanceId: string, reason?: string, options: { recursive?: boolean } = {}): Promise<void> {
    checkLookupId(instanceId, "terminate()");
    checkBoolean(checkOptions("terminate() options", options, ["recursive"]).recursive, "terminate() option 'recursive'");
    await this.#requireRunning(instanceId, "terminate");
    const payload = serialize(reason, "the termination reason");
    await this.#send({ instanceId, event: newEvent("ExecutionTerminated", this.#now(), { reason: payload, recurse: options.recursive }) });
    if (!options.recursive) return;
    for await (const child of this.#children(instanceId)) {
      if (!isTerminal(child.status)) {
        try {
          await this.terminate(child.instanceId, reason, options);
        } catch (error) {
          if (!(error instanceof InvalidInstanceStateError || error instanceof InstanceNotFoundError)) throw error;
        }
      }
    }
  }

  /** Suspends a running instance: it holds new events until resumed. */
  async suspend(instanceId: string, reason?: string): Promise<void> {
    checkLookupId(instanceId, "suspend()");
    const record = await this.#requireRunning(instanceId, "suspend");
    if (record.status === "Suspended") return;
    await this.#send({ instanceId, event: newEvent("ExecutionSuspended", this.#now(), { reason: serialize(reason, "the reason") }) });
  }

  /** Resumes a suspended instance. */
  async resume(instanceId: string, reason?: string): Promise<void> {
    checkLookupId(instanceId, "resume()");
    await this.#requireRunning(instanceId, "resume");
    await this.#send({ instanceId, event: newEvent("ExecutionResumed", this.#now(), { reason: serialize(reason, "the reason") }) });
  }

  /**
   * Rewinds a Failed instance: what failed runs again, what succeeded is kept. Failed
   * sub-orchestrations are rewound too, and those whose instance is gone (purged) start again.
   * @throws InstanceNotFoundError; InvalidInstanceStateError when it is not Failed.
   */
  async rewind(instanceId: string, reason?: string): Promise<void> {
    checkLookupId(instanceId, "rewind()");
    const record = await this.#orchestration(instanceId);
    if (record === undefined) throw new InstanceNotFoundError(instanceId);
    if (record.status !== "Failed") throw new InvalidInstanceStateError(instanceId, record.status, "rewind", "a Failed instance");
    const plan = planRewind(await this.getHistory(instanceId));
    const now = this.#now();
    const self = { instanceId, executionId: record.executionId };
    const messages: NewMessage[] = [
      ...plan.timers.map((t) => ({ ...self, visibleAt: t.fireAt, event: newEvent("TimerFired", now, { timerId: t.eventId, fireAt: t.fireAt }) })),
      { ...self, event: newEvent("ExecutionRewound", now, { reason: serialize(reason, "the reason") }) },
    ];
    const failedChildren: string[] = [];
    const goneChildren: CreateInstanceRequest[] = [];
    for (const child of plan.children) {
      const childRecord = await this.#store.getInstance(child.instanceId);
      if (childRecord?.status === "Failed") failedChildren.push(child.instanceId);
      else if (childRecord === undefined) goneChildren.push(childStartAgain(record, child, now, this.#ids.executionId()));
    }
    await this.#store.rewind({
      ...self,
      history: plan.history,
      tasks: plan.tasks.map((t) => ({ ...self, taskId: t.eventId, name: t.name, input: t.input })),
      messages,
      children: goneChildren,
    });
    for (const childId of failedChildren) await this.rewind(childId, reason);
  }

  /**
   * Starts the orchestration of an instance again, with the same name and the input it was
   * started with (its last input, after continue-as-new), and returns the new instance's id.
   * `newInstanceId`: `true` (default) for a random new id, a string for that id, `false` for the
   * same id — allowed only when the old instance has finished, and replaces it.
   * @throws InstanceNotFoundError; InstanceExistsError when the target id is taken by a running instance.
   */
  async restart(instanceId: string, options: { newInstanceId?: boolean | string | undefined } = {}): Promise<string> {
    checkLookupId(instanceId, "restart()");
    const wanted = checkOptions("restart() options", options, ["newInstanceId"]).newInstanceId ?? true;
    if (typeof wanted !== "boolean") validateInstanceId(wanted);
    const record = await this.#orchestration(instanceId);
    if (record === undefined) throw new InstanceNotFoundError(instanceId);
    const sameId = wanted === false;
    // The same version: a restart runs the code the instance ran, not whatever is newest now.
    return this.startNew(record.name, {
      input: deserialize(record.input, `the input of instance '${instanceId}'`),
      instanceId: typeof wanted === "string" ? wanted : sameId ? instanceId : undefined,
      reuseFinishedId: sameId,
      version: record.version,
    });
  }

  /** Deletes a finished instance and its history. Returns 1, or 0 when there was none. */
  async purge(instanceId: string): Promise<number> {
    checkLookupId(instanceId, "purge()");
    // An entity is not purged through the orchestration routes (listEntities and cleanEntityStorage manage them).
    if ((await this.#orchestration(instanceId)) === undefined) return 0;
    return this.#store.purgeInstance(instanceId);
  }

  /**
   * Deletes every finished instance matching the filter; returns how many. The filter needs at
   * least one condition; `{ all: true }` purges every finished instance.
   * @throws InvalidArgumentError for an empty filter, an unknown key, a status of an unfinished instance or a malformed time.
   *
   * @example
   * await client.purgeBy({ statuses: ["Completed"], createdTo: new Date(Date.now() - 30 * 86_400_000) });
   */
  async purgeBy(filter: PurgeFilter, onProgress?: (deleted: number) => void): Promise<number> {
    const given = checkOptions("purgeBy() filter", filter, PURGE_KEYS);
    if (filter === undefined) throw new InvalidArgumentError("purgeBy() needs a filter; pass { all: true } to purge every finished instance.");
    if (onProgress !== undefined && typeof onProgress !== "function") {
      throw new InvalidArgumentError(`purgeBy() onProgress must be a function; received ${quote(onProgress)}.`);
    }
    const conditions = toStoreFilter("purgeBy()", given, { finishedOnly: true });
    const all = given.all;
    if (all !== undefined && all !== true) throw new InvalidArgumentError(`purgeBy() option 'all' must be true when given; received ${quote(all)}.`);
    if (all === true && hasCondition(conditions)) {
      throw new InvalidArgumentError("purgeBy() takes either conditions or { all: true }, not both.");
    }
    if (all !== true && !hasCondition(conditions)) {
      throw new InvalidArgumentError(
        "purgeBy() needs at least one condition (statuses, createdFrom, createdTo, instanceIdPrefix, name, version, parentInstanceId); pass { all: true } to purge every finished instance.",
      );
    }
    let total = 0;
    for (;;) {
      const deleted = await this.#store.purgeInstances(conditions, 500);
      total += deleted;
      onProgress?.(total);
      if (deleted < 500) return total;
    }
  }

  /** How many orchestration instances match the filter, by runtime status (statuses none has are absent). */
  async countInstances(filter: OrchestrationFilter = {}): Promise<StatusCounts> {
    return this.#store.countInstances(toStoreFilter("countInstances()", checkOptions("countInstances() filter", filter, FILTER_KEYS)));
  }

  /** Instances matching the filter, newest first (or oldest first with `order: "asc"`), by pages. */
  async list(options: ListOptions = {}): Promise<{ instances: OrchestrationStatus[]; continuationToken?: string | undefined }> {
    const given = checkOptions("list() options", options, LIST_KEYS);
    const page = await this.#store.queryInstances({
      ...toStoreFilter("list()", given),
      pageSize: checkPageSize(given.pageSize, "list() option 'pageSize'"),
      order: checkOrder(given.order),
      continuationToken: checkText(given.continuationToken, "list() option 'continuationToken'"),
    });
    const showInput = checkBoolean(given.showInput, "list() option 'showInput'") ?? false;
    return {
      instances: page.instances.map((r) => toStatus(r, showInput, undefined)),
      continuationToken: page.continuationToken,
    };
  }

  /**
   * Sends a one-way operation to an entity (which comes into being on its first operation);
   * with `{ at }`, it is delivered no earlier than then.
   * @throws UnknownEntityError (when the client has the app), InvalidArgumentError, SerializationError, PayloadTooLargeError.
   *
   * @example
   * await client.signalEntity(entityId(counter, "visits"), "add", 1);
   */
  async signalEntity<TOps, K extends OperationName<TOps>>(
    id: EntityId<TOps>,
    operation: K,
    ...args: [...OperationArgs<OperationInput<TOps[K]>>, options?: SignalEntityOptions]
  ): Promise<void> {
    const [input, options] = args as unknown as [unknown, SignalEntityOptions | undefined];
    return this.#entities.signal(id, operation, input, options);
  }

  /** An entity's last saved state; `exists` is false for an entity that has none (never set, or deleted). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async readEntityState<T = unknown>(id: EntityId<any>): Promise<EntityStateResponse<T>> {
    return this.#entities.readState<T>(id);
  }

  /** Entities, optionally of one name, newest first, by pages. */
  async listEntities(options: ListEntitiesOptions = {}): Promise<EntityPage> {
    return this.#entities.list(options);
  }

  /**
   * Releases locks held by orchestrations that no longer run, and deletes empty entities (no
   * state, no lock, nothing queued). An entity whose lock is released here becomes empty once it
   * has processed the release; a later call deletes it.
   */
  async cleanEntityStorage(options: CleanEntityStorageOptions): Promise<CleanEntityStorageResult> {
    return this.#entities.clean(options);
  }

  /**
   * A page of the current execution's history: the events after position `after` (default 0),
   * at most `pageSize` of them (default all); `next` is the position to read on from, when more follow.
   */
  async getHistoryPage(instanceId: string, options: { after?: number; pageSize?: number } = {}): Promise<HistoryPage> {
    checkLookupId(instanceId, "getHistoryPage()");
    return this.#store.getHistory(instanceId, options);
  }

  /**
   * An entity as stored: its state, the critical section that holds it, and the operations put
   * aside until that lock is released; undefined when the store has no such entity.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async describeEntity(id: EntityId<any>): Promise<EntityDescription | undefined> {
    return this.#entities.describe(id);
  }

  /** The current execution's history, in order. */
  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    checkLookupId(instanceId, "getHistory()");
    const events: HistoryEvent[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await this.#store.getHistory(instanceId, { after, pageSize: 1000 });
      events.push(...page.events);
      if (page.next === undefined) return events;
      after = page.next;
    }
  }

  async *#children(instanceId: string): AsyncGenerator<InstanceRecord> {
    let continuationToken: string | undefined;
    do {
      const page = await this.#store.queryInstances({ parentInstanceId: instanceId, pageSize: 500, continuationToken });
      yield* page.instances;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }

  /** The orchestration instance's row; undefined when there is none (an entity's id included). */
  async #orchestration(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = await this.#store.getInstance(instanceId);
    return record?.kind === "orchestration" ? record : undefined;
  }

  async #requireRunning(instanceId: string, operation: string): Promise<InstanceRecord> {
    const record = await this.#orchestration(instanceId);
    if (record === undefined) throw new InstanceNotFoundError(instanceId);
    if (isTerminal(record.status)) {
      throw new InvalidInstanceStateError(instanceId, record.status, operation, "a Pending, Running or Suspended instance");
    }
    return record;
  }

  #send(message: NewMessage): Promise<void> {
    return this.#store.sendMessages([message]);
  }

  #now(): string {
    return new Date(this.#store.now()).toISOString();
  }
}

/**
 * Creates a client on a store. Pass the app to have `startNew` refuse unknown orchestration names.
 *
 * @example
 * const client = createClient(store, { app });
 * const id = await client.startNew(pipeline, { input: "2026-11-28" });
 * const status = await client.waitForCompletion(id, { timeoutMs: 30_000 });
 */
export function createClient(store: Store, options?: ClientOptions): Client {
  return new Client(store, options);
}

/** The start of a sub-orchestration again, as its parent created it, under a new execution (a rewind of a parent whose child was purged). */
function childStartAgain(
  parentRecord: InstanceRecord,
  created: EventOf<"SubOrchestrationInstanceCreated">,
  now: string,
  executionId: string,
): CreateInstanceRequest {
  const parent = { name: parentRecord.name, instanceId: parentRecord.instanceId, executionId: parentRecord.executionId, taskScheduledId: created.eventId };
  const { name, instanceId, version, input } = created;
  return {
    instanceId,
    name,
    version,
    executionId,
    input,
    parent,
    reuse: "ifTerminal",
    startEvent: newEvent("ExecutionStarted", now, { name, version, input, instanceId, executionId, parent }),
  };
}

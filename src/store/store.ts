/**
 * The Store port: everything the runtime needs from durable storage, as one interface. Each
 * adapter (sqlite/, postgres/, …) implements it and passes the conformance suite; the runtime
 * is handed a Store and never imports an adapter.
 *
 * The model: an instance row per orchestration instance or durable entity (`kind`); an inbox of
 * messages per instance (each a history event, visible from a given time — timers are messages
 * visible at their fire time); the history of the instance's current execution; and a queue of
 * activity tasks.
 *
 * Entities (kind "entity", ids `@<name>@<key>`) share that model: their inbox holds operation
 * messages, a stepper processes them in batches through `stepOrchestration`/`commitOrchestration`
 * like episodes, and the batch's result is saved as the instance's `entityState`, an opaque payload.
 * An entity comes into being on its first message (`NewMessage.ensureInstance`); it has no
 * history and no executions (its `executionId` is ""), and its status stays Running. Queries and
 * purges see one kind at a time (`InstanceFilter.kind`, orchestrations by default).
 *
 * Invariants every adapter keeps (numbers refer to DESIGN.md):
 * 1. (inv. 1) A commit is atomic: history, consumed messages, outbox, tasks, children and the
 *    instance row move together or not at all.
 * 2. (inv. 2) Commits are fenced: a work item's commit or abandon whose lock token no longer
 *    holds (expired and taken by another worker, or the instance was purged) changes nothing
 *    and throws LeaseLostError.
 * 3. (inv. 3) An activity task is deleted by the same transaction that delivers its result,
 *    fenced by the task's lock token, so a result is applied at most once.
 * 4. (inv. 5) A message is never handed out before its `visibleAt`; the visible messages of an
 *    instance are handed out in the order they were written.
 * 5. (inv. 6) Leases expire: a crashed holder's instance and tasks are handed out again after
 *    `leaseMs`.
 * 6. A message with `ensureInstance` creates its addressee when missing, once, in the same
 *    transaction as the message, and never replaces an existing instance.
 * 7. One instance that cannot be processed never stops the others. When the stepper throws on an
 *    instance, or its stored data cannot be read (an event that is not JSON, an id that does not
 *    read back as written), the adapter sets it aside in the same call: Failed with an
 *    UnprocessableInstanceError, its history and inbox kept, its parent sent
 *    SubOrchestrationInstanceFailed, and held by a lease that never expires (a rewind or a purge
 *    ends it). The call reports it in `CommitResult.parked` and goes on with the next instance.
 *    A database error still fails the whole call. Ids that cannot be stored as given (not
 *    well-formed Unicode) are refused with InvalidArgumentError.
 *
 * Time: every adapter reads "now" from one clock (its `clock` option, real time by default),
 * and passes it to steppers, so that tests can drive timers with a controllable clock.
 *
 * @module
 */
import type { FailureDetails } from "../core/errors.js";
import type { ExecutionStartedEvent, HistoryEvent, ParentInstance } from "../core/history.js";
import type { Payload } from "../core/serde.js";
import type { UnprocessableInstanceError } from "./errors.js";

/** Runtime statuses, as in Durable Functions. One spelling per value, in code and in SQL. */
export const RuntimeStatus = Object.freeze({
  Pending: "Pending",
  Running: "Running",
  Suspended: "Suspended",
  Completed: "Completed",
  Failed: "Failed",
  Terminated: "Terminated",
  ContinuedAsNew: "ContinuedAsNew",
  Canceled: "Canceled",
} as const);
export type RuntimeStatus = (typeof RuntimeStatus)[keyof typeof RuntimeStatus];

/** Statuses in which an instance will not run again unless rewound or restarted. */
export const TERMINAL_STATUSES: readonly RuntimeStatus[] = Object.freeze(["Completed", "Failed", "Terminated", "Canceled"]);

/** True for Completed, Failed, Terminated and Canceled. */
export function isTerminal(status: RuntimeStatus): boolean {
  return status === "Completed" || status === "Failed" || status === "Terminated" || status === "Canceled";
}

/** The kinds of instance a store holds: orchestrations, and durable entities (which share the inbox model). */
export type InstanceKind = "orchestration" | "entity";

/** An instance's row: what status queries read. Timestamps are ISO-8601 UTC strings. */
export interface InstanceRecord {
  readonly instanceId: string;
  readonly kind: InstanceKind;
  readonly name: string;
  readonly version?: string | undefined;
  /** The current execution (a new one per continue-as-new). */
  readonly executionId: string;
  readonly status: RuntimeStatus;
  readonly input?: Payload;
  readonly output?: Payload;
  readonly customStatus?: Payload;
  readonly failureDetails?: FailureDetails | undefined;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly completedAt?: string | undefined;
  readonly scheduledStartAt?: string | undefined;
  readonly parent?: ParentInstance | undefined;
  /** Entities only: what the last batch saved (opaque to the store); absent for an empty entity. */
  readonly entityState?: Payload;
}

/** How many instances have each runtime status; statuses no instance has are absent. */
export type StatusCounts = Readonly<Partial<Record<RuntimeStatus, number>>>;

/** A message in an instance's inbox. */
export interface InboxMessage {
  /** Opaque, unique, increasing in write order. `INLINE_MESSAGE_ID` for a message that was never stored. */
  readonly id: string;
  readonly instanceId: string;
  /** The execution the message is for; undefined when it is for whichever execution is current. */
  readonly executionId?: string | undefined;
  readonly event: HistoryEvent;
  readonly visibleAt: string;
}

/** The id of a message handed to a stepper without being stored (an activity result on the fast path). */
export const INLINE_MESSAGE_ID = "inline";

/** A message to write to an instance's inbox. */
export interface NewMessage {
  readonly instanceId: string;
  readonly executionId?: string | undefined;
  readonly event: HistoryEvent;
  /** Not handed out before this time (ISO-8601); default now. */
  readonly visibleAt?: string | undefined;
  /**
   * Creates the addressee when it does not exist — an entity comes into being on its first
   * operation: a row of this kind and name, status Running, executionId "", no entity state.
   * An existing instance is left as it is.
   */
  readonly ensureInstance?: { readonly name: string; readonly kind: "entity" } | undefined;
}

/** What to do when `createInstance` finds the id taken. */
export type IdReusePolicy =
  /** Refuse with InstanceExistsError whatever the existing instance's status. */
  | "never"
  /** Replace an instance in a terminal status (its history and messages are deleted); refuse otherwise. */
  | "ifTerminal";

/** A new instance: its row, and the ExecutionStarted message that will run it. */
export interface CreateInstanceRequest {
  readonly instanceId: string;
  readonly name: string;
  readonly version?: string | undefined;
  readonly executionId: string;
  readonly input?: Payload;
  readonly parent?: ParentInstance | undefined;
  /** When set, the instance stays Pending and its start message is invisible until then. */
  readonly scheduledStartAt?: string | undefined;
  readonly startEvent: ExecutionStartedEvent;
  readonly reuse: IdReusePolicy;
}

/** A leased orchestration instance and its visible messages. */
export interface OrchestrationWorkItem {
  readonly instance: InstanceRecord;
  readonly messages: readonly InboxMessage[];
  readonly lockToken: string;
  readonly lockedUntil: string;
}

/** An activity task to enqueue. With `lease`, it is enqueued already leased to that worker. */
export interface NewActivityTask {
  readonly instanceId: string;
  readonly executionId: string;
  /** The sequence number of the ScheduleTask action. */
  readonly taskId: number;
  readonly name: string;
  readonly input?: Payload;
  readonly lease?: { readonly workerId: string; readonly leaseMs: number } | undefined;
}

/** A leased activity task. */
export interface ActivityWorkItem {
  readonly id: string;
  readonly instanceId: string;
  readonly executionId: string;
  readonly taskId: number;
  readonly name: string;
  readonly input?: Payload;
  readonly lockToken: string;
  readonly lockedUntil: string;
  /** How many times the task was handed out, this time included. */
  readonly dequeueCount: number;
}

/** The outcome of an activity: a result (possibly absent) or a failure. */
export type ActivityOutcome =
  | { readonly ok: true; readonly result?: Payload }
  | { readonly ok: false; readonly failureDetails: FailureDetails };

/** Everything one orchestration episode changes, applied in one transaction. */
export interface OrchestrationCommit {
  /** The execution whose history `history` extends. */
  readonly executionId: string;
  /** Events appended to that execution's history, in order. */
  readonly history: readonly HistoryEvent[];
  /** Inbox messages consumed by this episode (ids of the work item's messages). */
  readonly consumedMessageIds: readonly string[];
  /** New values of the instance row. `undefined` for a field means "unchanged", except as noted. */
  readonly status: RuntimeStatus;
  readonly output?: Payload;
  readonly failureDetails?: FailureDetails | undefined;
  /** The custom status after the episode (absent clears it). */
  readonly customStatus?: Payload;
  readonly tasks: readonly NewActivityTask[];
  /** Messages to this or other instances: timers (with visibleAt), events, results for a parent. */
  readonly messages: readonly NewMessage[];
  /** Sub-orchestrations to create. A child id that is taken by a running instance is not replaced. */
  readonly children: readonly CreateInstanceRequest[];
  /** Timers of this execution canceled by the episode: their pending messages are deleted. */
  readonly canceledTimerIds: readonly number[];
  /**
   * Entities only: the state the batch saves, replacing the stored one (absent leaves the entity
   * empty). Orchestration commits leave it absent.
   */
  readonly entityState?: Payload;
  /**
   * Continue-as-new: the execution's history is deleted, the instance gets `executionId`, stays
   * Running, and `startMessages` (ExecutionStarted, then carried-over events) go to its inbox
   * ahead of the messages already waiting there (events that arrived during the episode), which
   * follow them in their order: the new execution starts before it is told anything, and the
   * events it carries over were raised before those.
   */
  readonly continueAsNew?:
    | { readonly executionId: string; readonly input?: Payload; readonly startMessages: readonly HistoryEvent[] }
    | undefined;
}

/** What a commit returns: the tasks it enqueued already leased to the committing worker. */
export interface CommitResult {
  readonly leasedTasks: readonly ActivityWorkItem[];
  /**
   * Instances set aside by this call instead of stepped (their stored data cannot be read, or the
   * stepper threw on them): each is Failed with an UnprocessableInstanceError, and held for good.
   */
  readonly parked?: readonly UnprocessableInstanceError[] | undefined;
}

/** Work handed to a stepper, inside the store's transaction. */
export interface StepInput {
  readonly instance: InstanceRecord;
  /** Visible messages in write order; may include one with id INLINE_MESSAGE_ID. */
  readonly messages: readonly InboxMessage[];
  /** The current execution's history, or undefined when the stepper said it runs warm. */
  readonly history: readonly HistoryEvent[] | undefined;
  /** The store's "now" (ISO-8601): the timestamp of the episode's OrchestratorStarted. */
  readonly now: string;
}

/**
 * Runs one orchestration episode inside a store transaction. Synchronous on purpose: it runs
 * while the adapter holds the instance, and must not wait on I/O.
 */
export interface OrchestrationStepper {
  /**
   * True when the caller holds a warm executor for this execution, so no history need be read.
   * `historyLength`, when the adapter passes it, is the number of events in the execution's stored
   * history: a warm copy that has seen another number is stale (another worker moved the instance
   * on meanwhile), and the stepper must answer false and replay. Adapters that many processes
   * share must pass it.
   */
  isWarm(instanceId: string, executionId: string, historyLength?: number): boolean;
  /**
   * True when `isWarm` holds for this history length and the orchestration waits for nothing but
   * the completion of task `taskId`. A store may then run the episode that completion starts
   * before it has read the instance (see the PostgreSQL store's completeActivity); a stepper that
   * does not implement it is never run ahead.
   */
  awaitsOnly?(instanceId: string, executionId: string, historyLength: number, taskId: number): boolean;
  /** Returns the commit, or undefined to leave the instance and its messages as they are. */
  step(work: StepInput): OrchestrationCommit | undefined;
  /**
   * Called synchronously when the store rolls back what this stepper's episodes produced (before
   * any other work runs), so that in-memory state derived from them can be dropped at once.
   */
  discard?(): void;
}

/**
 * The orchestrations and entities a stepper runs, by name in lower case (names compare without
 * case; an entity's name is the one in its instance id, `@name@key`).
 */
export interface InstanceNames {
  readonly orchestrations: readonly string[];
  readonly entities: readonly string[];
}

/**
 * Orchestration instances by version, for `stepOrchestration`. Names are in lower case; a version
 * is written as it is stored, and "" stands for no version. Entities are never restricted by it.
 *
 * By default an orchestration instance matches when its name is not listed, or when it is on one
 * of the versions listed for its name: a worker lists every name it registers with the versions
 * it has, and so passes over the instances of its names that run a version it lacks. With
 * `complement`, the match is the opposite: only instances of a listed name on a version that is
 * not listed (and no entity).
 */
export interface VersionFilter {
  readonly allowed: Readonly<Record<string, readonly string[]>>;
  readonly complement?: boolean | undefined;
}

/** A running worker, as it registers itself: what it runs, until its registration expires. */
export interface WorkerRegistration {
  readonly workerId: string;
  /** The orchestrations it runs: names in lower case, versions as stored ("" for none). */
  readonly orchestrations: ReadonlyArray<{ readonly name: string; readonly version: string }>;
  /** How long the registration holds without a renewal. */
  readonly ttlMs: number;
}

/** A registered worker whose registration has not expired. */
export interface WorkerRecord {
  readonly workerId: string;
  readonly orchestrations: ReadonlyArray<{ readonly name: string; readonly version: string }>;
  /** When it first registered and when its registration was last renewed (ISO-8601). */
  readonly startedAt: string;
  readonly renewedAt: string;
  readonly expiresAt: string;
}

/** Options of the lease calls. */
export interface LeaseOptions {
  readonly workerId: string;
  readonly leaseMs: number;
}

/** Filter of queries and bulk purges. All conditions must hold. */
export interface InstanceFilter {
  /** Which kind of instance to match (default "orchestration"): orchestrations and entities are never mixed. */
  readonly kind?: InstanceKind | undefined;
  readonly statuses?: readonly RuntimeStatus[] | undefined;
  /** Created at or after (ISO-8601). */
  readonly createdFrom?: string | undefined;
  /** Created at or before (ISO-8601). */
  readonly createdTo?: string | undefined;
  readonly instanceIdPrefix?: string | undefined;
  readonly name?: string | undefined;
  /** The version, exactly as stored; "" matches instances without a version. */
  readonly version?: string | undefined;
  readonly parentInstanceId?: string | undefined;
}

/** The order of query pages, by creation time: newest first ("desc", the default) or oldest first ("asc"). */
export type QueryOrder = "desc" | "asc";

export interface QueryOptions extends InstanceFilter {
  /** Rows per page (1–1000, default 100). */
  readonly pageSize?: number | undefined;
  /** By creation time, ties broken by instance id the same way: "desc" (default, newest first) or "asc". */
  readonly order?: QueryOrder | undefined;
  /** The token a previous page returned. */
  readonly continuationToken?: string | undefined;
}

export interface InstancePage {
  readonly instances: readonly InstanceRecord[];
  /** Present when more rows follow. */
  readonly continuationToken?: string | undefined;
}

export interface HistoryPageOptions {
  /**
   * Events after this sequence number (exclusive); default from the start. Sequence numbers are
   * positions in the current execution's history, from 1: `after: n` skips the first n events.
   */
  readonly after?: number | undefined;
  /** Events per page (default: all). */
  readonly pageSize?: number | undefined;
}

export interface HistoryPage {
  readonly events: readonly HistoryEvent[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: number | undefined;
}

/** Rewinding a failed instance: its new history and the work to run again. */
export interface RewindRequest {
  readonly instanceId: string;
  /** The execution being rewound; the call fails with InvalidInstanceStateError if it is not the current one. */
  readonly executionId: string;
  readonly history: readonly HistoryEvent[];
  readonly tasks: readonly NewActivityTask[];
  readonly messages: readonly NewMessage[];
  /**
   * Sub-orchestrations to start again because their instance is gone (purged): created as a
   * commit's children are, in the same transaction (an id taken by a running instance is not
   * replaced; the parent gets SubOrchestrationInstanceFailed instead). Default none.
   */
  readonly children?: readonly CreateInstanceRequest[] | undefined;
}

/** Options of `listFinishedInstances`. */
export interface FinishedQuery {
  /** Terminal statuses to match (default: all of them); other statuses match nothing. */
  readonly statuses?: readonly RuntimeStatus[] | undefined;
  /** Completed at or after (ISO-8601). */
  readonly completedFrom?: string | undefined;
  /** Completed before (ISO-8601, exclusive). */
  readonly completedTo?: string | undefined;
  /** Only instances after this one in the order (the last one of the previous page). */
  readonly after?: FinishedInstance | undefined;
  /** Rows per page (1–1000, default 100). */
  readonly pageSize?: number | undefined;
}

/** A finished orchestration instance, by when it finished. */
export interface FinishedInstance {
  readonly instanceId: string;
  /** ISO-8601, as the instance row keeps it. */
  readonly completedAt: string;
}

export interface FinishedPage {
  readonly instances: readonly FinishedInstance[];
  /** True when more instances follow the last one of this page. */
  readonly more: boolean;
}

/** Which activity tasks a lease call may take, by name (names compare without case). */
export type TaskNames =
  /** Only tasks of these activities. */
  | { readonly only: readonly string[] }
  /** Every task but those of these activities. */
  | { readonly except: readonly string[] };

/**
 * The queues work can become ready in: instances with visible messages (orchestrations and
 * entities, for `stepOrchestration`/`leaseOrchestration`) and activity tasks (`leaseActivities`).
 */
export type WorkQueue = "instances" | "tasks";

/** Notifications a store emits when something happens (in-process; across processes where the adapter can). */
export type StoreEvent =
  /** Work became ready in `queue`; without a queue, look in both. */
  | { readonly kind: "work"; readonly queue?: WorkQueue }
  /**
   * The instance's status changed. `record` is the instance as the commit left it, when the store
   * has it at hand without a read (in-process events of a finished orchestration, for one); a
   * client waiting for the result may take it from there.
   */
  | { readonly kind: "instance"; readonly instanceId: string; readonly status: RuntimeStatus; readonly record?: InstanceRecord }
  /**
   * Something the write left becomes ready at `at` (ms since the epoch, later than the write): a
   * message (a timer, a scheduled start, a delayed signal) or work handed back for later. A loop
   * sleeping until the store's next wake-up asks again, so that it wakes in time (in-process).
   */
  | { readonly kind: "wakeup"; readonly at: number };

/** Durable storage for Perdure. Every method is atomic. */
export interface Store {
  /** A short name for logs and benchmarks ("sqlite", "postgres"). */
  readonly name: string;
  /** The durability setting in force, stated beside benchmark figures (e.g. "WAL+FULL"). */
  readonly durability: string;
  /** The store's clock: milliseconds since the epoch. */
  now(): number;

  /**
   * Creates an instance row and puts its ExecutionStarted message in its inbox.
   *
   * With a stepper, when the start is due now, the store may run the first episode in the same
   * transaction (the instance is new, so no lease is needed): the start message is consumed, the
   * episode's history, tasks and messages are written, and its result is returned (tasks enqueued
   * leased, as in `completeActivity`). A store otherwise idle runs it; a busy one may leave it to
   * `stepOrchestration`, which batches (the PostgreSQL store does). A stepper that declines leaves
   * the instance Pending with its start message in the inbox, as without one. Undefined when no
   * episode ran.
   * @throws InstanceExistsError when the id is taken and `reuse` does not allow replacing it.
   */
  createInstance(request: CreateInstanceRequest, stepper?: OrchestrationStepper): Promise<CommitResult | undefined>;

  /**
   * Writes messages to instances' inboxes, in order. A message with `ensureInstance` creates its
   * addressee if missing (once, however many messages address it).
   * @throws InstanceNotFoundError when an addressed instance does not exist and the message does
   *   not ask to create it (nothing is written).
   */
  sendMessages(messages: readonly NewMessage[]): Promise<void>;

  /**
   * Leases the next instance that has visible messages and no live lease, with those messages.
   * With `except`, instances of those names are passed over, as if they had no messages (they are
   * another worker's). Returns undefined when there is none.
   */
  leaseOrchestration(options: LeaseOptions & { readonly except?: InstanceNames | undefined }): Promise<OrchestrationWorkItem | undefined>;

  /**
   * Applies an episode and releases the lease.
   * @throws LeaseLostError when the item's lock token no longer holds; nothing is changed.
   */
  commitOrchestration(item: OrchestrationWorkItem, commit: OrchestrationCommit): Promise<CommitResult>;

  /**
   * Releases the lease without consuming messages; they are handed out again after `delayMs`.
   * @throws LeaseLostError when the lock token no longer holds.
   */
  abandonOrchestration(item: OrchestrationWorkItem, delayMs?: number): Promise<void>;

  /**
   * Extends an orchestration lease.
   * @throws LeaseLostError when the lock token no longer holds.
   */
  renewOrchestrationLease(item: OrchestrationWorkItem, leaseMs: number): Promise<OrchestrationWorkItem>;

  /**
   * Takes the next instance with visible messages and no live lease, runs `stepper` on it and
   * applies its commit, in one transaction — the lease is the transaction itself. With
   * `maxInstances`, goes on with the next ready instances, up to that many, in the same
   * transaction. With `only`, looks at instances of those names alone, and with `versions`, at
   * orchestrations of the versions it allows alone, so that instances the stepper would leave to
   * other workers never stand before the ones it runs. Returns undefined when no instance was
   * ready (or the stepper returned undefined).
   */
  stepOrchestration(
    stepper: OrchestrationStepper,
    options: LeaseOptions & {
      readonly maxInstances?: number | undefined;
      readonly only?: InstanceNames | undefined;
      readonly versions?: VersionFilter | undefined;
    },
  ): Promise<CommitResult | undefined>;

  /**
   * Leases up to `max` visible activity tasks that have no live lease; with `names`, only tasks of
   * the activities they allow, so that tasks other workers run never stand before this one's.
   */
  leaseActivities(options: LeaseOptions & { readonly max: number; readonly names?: TaskNames | undefined }): Promise<ActivityWorkItem[]>;

  /**
   * Deletes a leased task and delivers its outcome. With a stepper, when the orchestration has no
   * live lease, the outcome is applied by running the stepper on the instance in the same
   * transaction (one commit per step); otherwise it goes to the instance's inbox.
   * @throws LeaseLostError when the task's lock token no longer holds; nothing is changed.
   */
  completeActivity(
    item: ActivityWorkItem,
    outcome: ActivityOutcome,
    stepper?: OrchestrationStepper,
  ): Promise<CommitResult | undefined>;

  /**
   * Releases a task's lease; it is handed out again after `delayMs`.
   * @throws LeaseLostError when the lock token no longer holds.
   */
  abandonActivity(item: ActivityWorkItem, delayMs?: number): Promise<void>;

  /**
   * Extends a task's lease (for long activities).
   * @throws LeaseLostError when the lock token no longer holds.
   */
  renewActivityLease(item: ActivityWorkItem, leaseMs: number): Promise<ActivityWorkItem>;

  /** The instance row, or undefined. */
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;

  /** The current execution's history, in order, by pages. Empty for an unknown instance. */
  getHistory(instanceId: string, options?: HistoryPageOptions): Promise<HistoryPage>;

  /**
   * Instances of one kind (`kind`, default orchestrations) matching the filter, by pages, in
   * creation order (`order`: newest first by default). A continuation token holds for the order
   * it was issued in.
   * @throws InvalidArgumentError for a bad page size, or a token this store did not issue for that order.
   */
  queryInstances(options: QueryOptions): Promise<InstancePage>;

  /**
   * Finished orchestrations (a terminal status and a completion time) in the order they finished
   * (completion time, then instance id), by pages keyed on the last one: an instance that
   * finishes later comes after every key already handed out, so paging resumes where it left off.
   */
  listFinishedInstances(query: FinishedQuery): Promise<FinishedPage>;

  /**
   * How many instances of one kind (`kind`, default orchestrations) match the filter, by runtime
   * status. Meant to stay fast on large stores: adapters answer it from an index.
   */
  countInstances(filter: InstanceFilter): Promise<StatusCounts>;

  /**
   * Deletes a terminal instance with its history, messages and tasks. Returns 1, or 0 when absent.
   * An entity may be deleted only when it is empty: no entity state, no inbox messages, no live lease.
   * @throws InvalidInstanceStateError when the instance is not in a terminal status (an entity: not empty).
   */
  purgeInstance(instanceId: string): Promise<number>;

  /**
   * Deletes up to `limit` instances of the filter's kind that match it and are finished —
   * orchestrations in a terminal status, entities that are empty (as for `purgeInstance`) —
   * and returns how many. Call again while it returns `limit`.
   */
  purgeInstances(filter: InstanceFilter, limit?: number): Promise<number>;

  /**
   * Replaces a failed instance's history, sets it Running, enqueues the work to run again and
   * starts again the sub-orchestrations whose instance is gone.
   * @throws InstanceNotFoundError, InvalidInstanceStateError (not Failed, or another execution).
   */
  rewind(request: RewindRequest): Promise<void>;

  /**
   * Registers a running worker, or renews its registration: it holds until `ttlMs` from now.
   * Registrations are how workers learn which orchestration versions some running worker has.
   */
  registerWorker(registration: WorkerRegistration): Promise<void>;

  /** Removes a worker's registration (a worker that stops). Unknown ids change nothing. */
  unregisterWorker(workerId: string): Promise<void>;

  /** The registered workers whose registration has not expired, by id. */
  listWorkers(): Promise<WorkerRecord[]>;

  /**
   * Deletes every instance and entity of the store, with their histories, messages and tasks,
   * whatever their status, and returns how many instances and entities were deleted. Leases held
   * on them are lost. What the store is for (a task hub recreated or deleted) is the caller's to
   * decide; nothing in the runtime calls it.
   */
  deleteAllInstances(): Promise<number>;

  /** The earliest time at which a message or task becomes visible or a lease expires, if any is in the future. */
  nextWakeUp(): Promise<number | undefined>;

  /** Listens to store events; returns the function that stops listening. */
  subscribe(listener: (event: StoreEvent) => void): () => void;

  /** Releases connections and files. The store is unusable afterwards. */
  close(): Promise<void>;
}

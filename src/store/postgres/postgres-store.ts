/**
 * The Store port on PostgreSQL (pg): many worker processes on many machines share one schema.
 *
 * Lease and commit protocol (docs/lease-commit-protocol.md tells the whole story):
 * 1. A lease is a random token, a holder and an expiry on the instance (or task) row, live while
 *    `locked_until > now`. Ready rows are found with `FOR UPDATE SKIP LOCKED`: concurrent workers
 *    never wait on each other and never take the same row.
 * 2. Fencing is by token alone, in the statement itself: a commit, abandon or renewal whose token is
 *    no longer on the row changes nothing and throws LeaseLostError.
 * 3. `stepOrchestration` and the stepped path of `completeActivity` run the stepper inside a
 *    transaction that holds the instance's row lock (`FOR NO KEY UPDATE SKIP LOCKED`): the lock is
 *    the lease, so two workers never step one instance at once and no lock column is written.
 * 4. Writes are group-committed (group-commit.ts). Store events are emitted in-process after
 *    commit, never for a rollback; other stores hear of them through LISTEN/NOTIFY (listener.ts),
 *    as hints only: the database is the truth, and idle workers still poll.
 * 5. Time is the store's clock, passed to every statement; the server's clock is never read.
 *
 * @module
 */
import type pg from "pg";
import { InvalidArgumentError, normalizeError } from "../../core/errors.js";
import { newEvent, type HistoryEvent } from "../../core/history.js";
import {
  InstanceExistsError,
  InstanceNotFoundError,
  InvalidInstanceStateError,
  LeaseLostError,
  StoreClosedError,
  UnreadableDataError,
} from "../errors.js";
import {
  INLINE_MESSAGE_ID,
  RuntimeStatus,
  TERMINAL_STATUSES,
  type ActivityOutcome,
  type ActivityWorkItem,
  type CommitResult,
  type CreateInstanceRequest,
  type FinishedPage,
  type FinishedQuery,
  type HistoryPage,
  type HistoryPageOptions,
  type InboxMessage,
  type InstanceFilter,
  type InstancePage,
  type InstanceNames,
  type InstanceRecord,
  type LeaseOptions,
  type NewMessage,
  type OrchestrationCommit,
  type OrchestrationStepper,
  type OrchestrationWorkItem,
  type QueryOptions,
  type RewindRequest,
  type StatusCounts,
  type Store,
  type StoreEvent,
  type VersionFilter,
  type WorkerRecord,
  type WorkerRegistration,
  type TaskNames,
} from "../store.js";
import { GroupCommit, PgTx, READY_INSTANCES, Tail, run, type Combined, type Lane, type Steps } from "./group-commit.js";
import { LastCommits, committedRecord, createdRecord } from "./last-commits.js";
import type { Listener } from "./listener.js";
import { commitParams, instanceParam, messageParam, taskParam } from "./params.js";
import {
  iso,
  lockedInstance,
  parseTime,
  rowId,
  toActivityWorkItem,
  toInboxMessages,
  toInstanceRecord,
  type InstanceRow,
  type LockedRow,
  type TaskRow,
} from "./rows.js";
import {
  PARKED_LEASE,
  checkFinishedQuery,
  checkStorableId,
  checkedRegistration,
  decodeEvent,
  decodeEvents,
  decodePageKey,
  encodePageKey,
  finishedPage,
  foldedNames,
  foldedVersions,
  foldedTaskNames,
  parkingOf,
  queryOrder,
  validateChildren,
  validateDuration,
} from "../adapter-kit.js";
import * as sql from "./sql.js";

export interface PostgresStoreSettings {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly durability: string;
  readonly clock: () => number;
  readonly migrationsApplied: readonly number[];
  readonly origin: string;
  readonly maxBatch: number;
  readonly maxInFlight: number;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PURGE_LIMIT = 1000;
/** Instances read in one statement at most (see getInstance). */
const READ_BATCH = 1000;
/** Instances whose last stepped commit is remembered, to run their next episode ahead (last-commits.ts). */
const LAST_COMMITS = 4096;

interface ApplyRow {
  readonly o_result: string;
  readonly o_leased: Array<[string, string]> | null;
  readonly o_work: boolean;
  readonly o_changed: boolean;
}

/** A Store on a PostgreSQL schema. Create it with `await postgres(url)`. */
export class PostgresStore implements Store {
  readonly name = "postgres";
  readonly durability: string;
  readonly schema: string;
  readonly migrationsApplied: readonly number[];
  private readonly pool: pg.Pool;
  private readonly clock: () => number;
  private readonly origin: string;
  private readonly s: string;
  private readonly writes: GroupCommit;
  private readonly lastCommits = new LastCommits(LAST_COMMITS);
  private readonly texts = new Map<(schema: string) => string, string>();
  /** Reads of instances sent and not answered yet. */
  private readonly reading = new Set<Promise<void>>();
  /** Reads of instances asked for in this turn of the event loop, by id (see getInstance). */
  private pendingReads: Map<string, Array<{ resolve: (row: InstanceRow | undefined) => void; reject: (error: unknown) => void }>> | undefined;
  /** Completions that step nothing, shared by the writes of a batch: one statement for them all. */
  private readonly completions: Combined<{ t: string; k: string; v: string; a: number }, string>;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private listener: Listener | undefined;
  private closed = false;

  constructor(settings: PostgresStoreSettings) {
    this.pool = settings.pool;
    this.schema = settings.schema;
    this.s = sql.quoteIdent(settings.schema);
    this.durability = settings.durability;
    this.clock = settings.clock;
    this.origin = settings.origin;
    this.migrationsApplied = settings.migrationsApplied;
    this.writes = new GroupCommit(this.pool, {
      clock: this.clock,
      maxBatch: settings.maxBatch,
      maxInFlight: settings.maxInFlight,
      committed: (tx) => this.emitCommitted(tx),
    });
    this.completions = {
      text: this.text(sql.completeTasks),
      params: (items) => [JSON.stringify(items), this.origin],
      split: (rows) => (rows[0] as { results: string[] }).results,
    };
  }

  /** Called once by the factory, with the started LISTEN connection. */
  attachListener(listener: Listener): void {
    this.listener = listener;
  }

  /** Delivers an event heard from another store. */
  deliver(event: StoreEvent): void {
    if (!this.closed) this.emit([event]);
  }

  now(): number {
    return this.clock();
  }

  async createInstance(request: CreateInstanceRequest, stepper?: OrchestrationStepper): Promise<CommitResult | undefined> {
    checkStorableId(request.instanceId, "createInstance()");
    return this.write<CommitResult | undefined>((tx) => {
      const doc = instanceParam(request, tx.now);
      // Only while the store is otherwise idle: under load the orchestration loop steps new
      // instances in batches, which costs less per start than an episode in each start's transaction.
      const ahead = stepper !== undefined && tx.quiet && (doc.visible as number) <= tx.now ? this.startAhead(tx, request, doc, stepper) : undefined;
      if (ahead !== undefined) return ahead;
      return tx.tail(this.text(sql.createInstance), [JSON.stringify(doc), request.reuse, tx.now, this.origin], (rows: Array<{ taken: string | null }>) => {
        const taken = rows[0]?.taken ?? null;
        if (taken !== null) throw new InstanceExistsError(request.instanceId, taken as RuntimeStatus);
        tx.statuses.set(request.instanceId, RuntimeStatus.Pending);
        if ((doc.visible as number) <= tx.now) tx.work.add("instances");
        else tx.readyAt(doc.visible as number);
        return undefined;
      });
    });
  }

  async sendMessages(messages: readonly NewMessage[]): Promise<void> {
    for (const message of messages) checkStorableId(message.instanceId, "sendMessages()");
    return this.write((tx) => {
      const params = messages.map((m) => messageParam(m, tx.now));
      if (params.length === 0) return undefined;
      return tx.tail(this.text(sql.sendMessages), [JSON.stringify(params), tx.now, this.origin], (rows: Array<{ missing: string | null }>) => {
        const missing = rows[0]?.missing ?? null;
        if (missing !== null) throw new InstanceNotFoundError(missing);
        if (params.some((m) => m.a <= tx.now)) tx.work.add("instances");
        for (const m of params) tx.readyAt(m.a);
      });
    });
  }

  async leaseOrchestration(options: LeaseOptions & { readonly except?: InstanceNames | undefined }): Promise<OrchestrationWorkItem | undefined> {
    validateDuration(options.leaseMs, "leaseMs", 1);
    const except = foldedNames(options.except, "except");
    return this.write((tx) => {
      const lockedUntil = tx.now + options.leaseMs;
      const [text, params] =
        except === undefined
          ? [this.text(sql.leaseInstance), [tx.now, options.workerId, lockedUntil]]
          : [this.text(sql.leaseInstanceExcept), [tx.now, options.workerId, lockedUntil, except.orchestrations, except.entities]];
      return tx.tail(text, params, (rows: LockedRow[]) => {
        const row = lockedInstance(rows[0]);
        if (row === undefined) return undefined;
        let messages: InboxMessage[];
        try {
          messages = toInboxMessages(row.instance_id, rows[0]!.o_msgs);
        } catch (error) {
          if (!(error instanceof UnreadableDataError)) throw error;
          // Set aside in a write of its own (the lease just taken keeps others off it meanwhile).
          void this.write((parkTx) => new Tail(this.park(parkTx, row, error, undefined))).catch(() => undefined);
          return undefined;
        }
        return { instance: toInstanceRecord(row), messages, lockToken: row.lock_token!, lockedUntil: iso(lockedUntil) };
      });
    });
  }

  async commitOrchestration(item: OrchestrationWorkItem, commit: OrchestrationCommit): Promise<CommitResult> {
    return this.write((tx) => {
      const instanceId = item.instance.instanceId;
      const params = [instanceId, item.lockToken, tx.now, this.origin, ...commitParams(instanceId, commit, tx.now)];
      return tx.tail(this.text(sql.applyCommit), params, (rows: ApplyRow[]) => {
        const result = rows[0]!;
        if (result.o_result === "lost") throw lostInstance(item);
        return this.applied(tx, instanceId, commit, result);
      });
    });
  }

  async abandonOrchestration(item: OrchestrationWorkItem, delayMs = 0): Promise<void> {
    validateDuration(delayMs, "delayMs", 0);
    return this.write((tx) => {
      const params = [item.instance.instanceId, item.lockToken, tx.now, tx.now + delayMs, this.origin];
      return tx.tail(this.text(sql.abandonInstance), params, (rows: Array<{ result: string }>) => {
        const result = rows[0]?.result;
        if (result === "lost") throw lostInstance(item);
        if (result === "work") tx.work.add("instances");
        if (delayMs > 0) tx.readyAt(tx.now + delayMs);
      });
    });
  }

  async renewOrchestrationLease(item: OrchestrationWorkItem, leaseMs: number): Promise<OrchestrationWorkItem> {
    validateDuration(leaseMs, "leaseMs", 1);
    return this.write((tx) => {
      const lockedUntil = tx.now + leaseMs;
      return tx.tail(this.text(sql.renewInstance), [item.instance.instanceId, item.lockToken, lockedUntil], (rows) => {
        if (rows.length === 0) throw lostInstance(item);
        return { ...item, lockedUntil: iso(lockedUntil) };
      });
    });
  }

  async stepOrchestration(
    stepper: OrchestrationStepper,
    options: LeaseOptions & {
      readonly maxInstances?: number | undefined;
      readonly only?: InstanceNames | undefined;
      readonly versions?: VersionFilter | undefined;
    },
  ): Promise<CommitResult | undefined> {
    const max = options.maxInstances ?? 1;
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(`maxInstances must be an integer of at least 1; received ${String(options.maxInstances)}.`);
    }
    const only = foldedNames(options.only);
    const versions = foldedVersions(options.versions);
    const names = [
      ...(only === undefined ? [null, null] : [only.orchestrations, only.entities]),
      ...(versions === undefined ? [null, null, false] : [versions.names, versions.keys, versions.complement]),
    ];
    return this.write(async (tx) => {
      const applies: Array<Promise<CommitResult>> = [];
      // Every ready instance at once: the commits then go with COMMIT, in one round trip.
      const rows = await tx.query<LockedRow>(this.text(sql.nextInstances), [tx.now, max, ...names]);
      for (const locked of rows) {
        const row = lockedInstance(locked);
        if (row === undefined) continue;
        const applied = await this.step(tx, row, locked.o_msgs, stepper, undefined);
        // An instance the stepper declined is released with its messages, untouched.
        if (applied !== undefined) applies.push(applied.result);
      }
      if (applies.length === 0) return undefined;
      return new Tail(Promise.all(applies).then(mergeResults));
    }, "step", READY_INSTANCES);
  }

  async leaseActivities(options: LeaseOptions & { readonly max: number; readonly names?: TaskNames | undefined }): Promise<ActivityWorkItem[]> {
    validateDuration(options.leaseMs, "leaseMs", 1);
    if (!Number.isInteger(options.max) || options.max < 0) {
      throw new InvalidArgumentError(`max must be an integer of at least 0; received ${String(options.max)}.`);
    }
    const names = foldedTaskNames(options.names);
    const text = this.text(names === undefined ? sql.leaseTasks : names.except ? sql.leaseTasksExcept : sql.leaseTasksOf);
    return this.write((tx) => {
      const params = [tx.now, options.workerId, tx.now + options.leaseMs, options.max, ...(names === undefined ? [] : [names.names])];
      return tx.tail(text, params, (rows: Array<TaskRow & { ready_at: string }>) =>
        rows
          .sort((a, b) => Number(a.ready_at) - Number(b.ready_at) || Number(a.id) - Number(b.id))
          .map(toActivityWorkItem),
      );
    });
  }

  async completeActivity(
    item: ActivityWorkItem,
    outcome: ActivityOutcome,
    stepper?: OrchestrationStepper,
  ): Promise<CommitResult | undefined> {
    return this.write(async (tx) => {
      const event = outcomeEvent(item, outcome, iso(tx.now));
      const taskId = rowId(item.id) ?? "0";
      type Begin = LockedRow & { o_result: string };
      const delivered = (result: string | undefined): undefined => {
        if (result === "lost") throw lostTask(item);
        if (result === "inboxed") tx.work.add("instances");
        return undefined;
      };
      if (stepper === undefined || tx.stepLater) {
        const completion = { t: taskId, k: item.lockToken, v: JSON.stringify(event), a: tx.now };
        return tx.combine(this.completions, completion, delivered);
      }
      const ahead = this.completeAhead(tx, item, event, stepper);
      if (ahead !== undefined) return ahead;
      const params = [taskId, item.lockToken, tx.now, JSON.stringify(event), true, this.origin];
      const rows = await tx.query<Begin>(this.text(sql.beginComplete), params);
      if (rows[0]?.o_result !== "step") return delivered(rows[0]?.o_result);
      const { instanceId, executionId } = item;
      const inline: InboxMessage = { id: INLINE_MESSAGE_ID, instanceId, executionId, event, visibleAt: iso(tx.now) };
      const applied = await this.step(tx, lockedInstance(rows[0])!, rows[0].o_msgs, stepper, inline);
      if (applied !== undefined) return new Tail(applied.result);
      // The stepper declined: the outcome goes to the inbox like any other message.
      const message = JSON.stringify([messageParam({ instanceId, executionId, event }, tx.now)]);
      return tx.tail(this.text(sql.insertMessages), [message, tx.now], () => {
        tx.work.add("instances");
        return undefined;
      });
    }, stepper === undefined ? "write" : "step", stepper === undefined ? undefined : item.instanceId);
  }

  async abandonActivity(item: ActivityWorkItem, delayMs = 0): Promise<void> {
    validateDuration(delayMs, "delayMs", 0);
    return this.write((tx) => {
      const params = [rowId(item.id) ?? "0", item.lockToken, tx.now, tx.now + delayMs, this.origin];
      return tx.tail(this.text(sql.abandonTask), params, (rows: Array<{ found: boolean }>) => {
        if (rows[0]?.found !== true) throw lostTask(item);
        if (delayMs === 0) tx.work.add("tasks");
        else tx.readyAt(tx.now + delayMs);
      });
    });
  }

  async renewActivityLease(item: ActivityWorkItem, leaseMs: number): Promise<ActivityWorkItem> {
    validateDuration(leaseMs, "leaseMs", 1);
    return this.write((tx) => {
      const lockedUntil = tx.now + leaseMs;
      return tx.tail(this.text(sql.renewTask), [rowId(item.id) ?? "0", item.lockToken, lockedUntil], (rows) => {
        if (rows.length === 0) throw lostTask(item);
        return { ...item, lockedUntil: iso(lockedUntil) };
      });
    });
  }

  /**
   * Reads asked for in one turn of the event loop share one statement (many clients waiting for
   * many instances otherwise cost a round trip each); each is still sent after it was asked for.
   */
  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    this.assertOpen();
    return new Promise<InstanceRow | undefined>((resolve, reject) => {
      if (this.pendingReads === undefined) {
        this.pendingReads = new Map();
        setImmediate(() => this.readInstances());
      }
      let waiting = this.pendingReads.get(instanceId);
      if (waiting === undefined) this.pendingReads.set(instanceId, (waiting = []));
      waiting.push({ resolve, reject });
    }).then((row) => (row === undefined ? undefined : toInstanceRecord(row)));
  }

  /** Sends the reads asked for since the last turn: one statement per READ_BATCH ids. */
  private readInstances(): void {
    const pending = this.pendingReads;
    // Sent already, by close.
    if (pending === undefined) return;
    this.pendingReads = undefined;
    const ids = [...pending.keys()];
    for (let at = 0; at < ids.length; at += READ_BATCH) {
      const batch = ids.slice(at, at + READ_BATCH);
      // Asked for while the store was open: sent even if it is closing now (close waits for it).
      const rows = (
        batch.length === 1
          ? run<InstanceRow>(this.pool, this.text(sql.selectInstance), batch)
          : run<InstanceRow>(this.pool, this.text(sql.selectInstances), [batch])
      ).then((result) => result.rows);
      const settled = rows.then(
        () => undefined,
        () => undefined,
      );
      this.reading.add(settled);
      void settled.then(() => this.reading.delete(settled));
      rows.then(
        (found) => {
          const byId = new Map(found.map((row) => [row.instance_id, row]));
          for (const id of batch) for (const waiter of pending.get(id)!) waiter.resolve(byId.get(id));
        },
        (error: unknown) => {
          for (const id of batch) for (const waiter of pending.get(id)!) waiter.reject(error);
        },
      );
    }
  }

  async getHistory(instanceId: string, options: HistoryPageOptions = {}): Promise<HistoryPage> {
    const after = options.after ?? 0;
    if (!Number.isInteger(after) || after < 0) {
      throw new InvalidArgumentError(`after must be an integer of at least 0; received ${String(options.after)}.`);
    }
    const pageSize = options.pageSize;
    if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) {
      throw new InvalidArgumentError(`pageSize must be an integer of at least 1; received ${String(pageSize)}.`);
    }
    const limit = pageSize === undefined ? null : pageSize + 1;
    const rows = await this.read<{ seq: number; event: string }>(this.text(sql.selectHistoryPage), [instanceId, after, limit]);
    const page = pageSize === undefined ? rows : rows.slice(0, pageSize);
    const events = page.map((row) => decodeEvent(row.event, `history event ${row.seq} of instance '${instanceId}'`));
    return rows.length > page.length ? { events, next: page[page.length - 1]!.seq } : { events };
  }

  async queryInstances(options: QueryOptions): Promise<InstancePage> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(
        `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}; received ${String(options.pageSize)}.`,
      );
    }
    const order = queryOrder(options.order);
    const key = options.continuationToken === undefined ? undefined : decodePageKey(options.continuationToken, "number", order);
    const { shape, params } = filterOf(options);
    const values = [...params, pageSize + 1, ...(key === undefined ? [] : [key.createdAt, key.instanceId])];
    const rows = await this.read<InstanceRow>(sql.queryInstances(this.s, shape, key !== undefined, order), values);
    const instances = rows.slice(0, pageSize).map(toInstanceRecord);
    if (rows.length <= pageSize) return { instances };
    const last = rows[pageSize - 1]!;
    return { instances, continuationToken: encodePageKey({ createdAt: Number(last.created_at), instanceId: last.instance_id, order }) };
  }

  async countInstances(filter: InstanceFilter): Promise<StatusCounts> {
    const { shape, params } = filterOf(filter);
    const rows = await this.read<{ status: RuntimeStatus; count: number }>(sql.countInstances(this.s, shape), params);
    const counts: Partial<Record<RuntimeStatus, number>> = {};
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  async listFinishedInstances(query: FinishedQuery): Promise<FinishedPage> {
    const q = checkFinishedQuery(query);
    const shape = { completedFrom: q.completedFrom !== undefined, completedTo: q.completedTo !== undefined, after: q.after !== undefined };
    const params: unknown[] = [q.statuses, q.pageSize + 1];
    if (q.completedFrom !== undefined) params.push(q.completedFrom);
    if (q.completedTo !== undefined) params.push(q.completedTo);
    if (q.after !== undefined) params.push(q.after.completedAt, q.after.instanceId);
    const rows = await this.read<{ instance_id: string; completed_at: string }>(sql.selectFinished(this.s, shape), params);
    return finishedPage(rows.map((row) => ({ instanceId: row.instance_id, completedAt: iso(Number(row.completed_at)) })), q.pageSize);
  }

  async deleteAllInstances(): Promise<number> {
    return this.write((tx) =>
      tx.tail(this.text(sql.deleteEverything), [], (rows: Array<{ deleted: number }>) => {
        tx.work.add("instances");
        return rows[0]?.deleted ?? 0;
      }),
    );
  }

  async purgeInstance(instanceId: string): Promise<number> {
    return this.write((tx) =>
      tx.tail(this.text(sql.purgeInstance), [instanceId, tx.now], (rows: Array<{ result: string }>) => {
        const result = rows[0]!.result;
        if (result === "absent") return 0;
        if (result === "deleted") return 1;
        const [reason, status] = result.split(":") as [string, RuntimeStatus];
        const expected =
          reason === "entity"
            ? "an empty entity (no state, no queued operations)"
            : "a terminal status (Completed, Failed, Terminated or Canceled)";
        throw new InvalidInstanceStateError(instanceId, status, "purge", expected);
      }),
    );
  }

  async purgeInstances(filter: InstanceFilter, limit = DEFAULT_PURGE_LIMIT): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidArgumentError(`limit must be an integer of at least 1; received ${String(limit)}.`);
    }
    const { shape, params, kind } = filterOf(filter);
    const text = sql.purgeInstances(this.s, shape, kind);
    return this.write((tx) =>
      tx.tail(text, [...params, limit, kind === "entity" ? tx.now : TERMINAL_STATUSES], (rows: Array<{ purged: number }>) => rows[0]?.purged ?? 0),
    );
  }

  async rewind(request: RewindRequest): Promise<void> {
    validateChildren(request.instanceId, request.children ?? []);
    return this.write((tx) => {
      const { instanceId, executionId } = request;
      const messages = request.messages.map((m) => messageParam(m, tx.now));
      const tasks = request.tasks.map((t) => taskParam(t, tx.now));
      const children = (request.children ?? []).map((c) => instanceParam(c, tx.now, { parentExecutionId: executionId }));
      const params = [
        instanceId,
        executionId,
        request.history.map((e) => JSON.stringify(e)),
        tasks.length === 0 ? null : JSON.stringify(tasks),
        messages.length === 0 ? null : JSON.stringify(messages),
        children.length === 0 ? null : JSON.stringify(children),
        tx.now,
        this.origin,
      ];
      return tx.tail(this.text(sql.rewind), params, (rows: Array<{ result: string }>) => {
        const result = rows[0]!.result;
        if (result === "absent") throw new InstanceNotFoundError(instanceId);
        if (result.startsWith("status:")) {
          throw new InvalidInstanceStateError(instanceId, result.slice(7) as RuntimeStatus, "rewind", "status Failed");
        }
        if (result.startsWith("execution:")) {
          const expected = `execution '${executionId}' to be current, but the current one is '${result.slice(10)}'`;
          throw new InvalidInstanceStateError(instanceId, RuntimeStatus.Failed, "rewind", expected);
        }
        tx.statuses.set(instanceId, RuntimeStatus.Running);
        if (tasks.some((t) => t.w === null)) tx.work.add("tasks");
        if (messages.some((m) => m.a <= tx.now)) tx.work.add("instances");
        for (const m of messages) tx.readyAt(m.a);
      });
    });
  }

  async registerWorker(registration: WorkerRegistration): Promise<void> {
    const { workerId, orchestrations, ttlMs } = checkedRegistration(registration);
    await this.write((tx) =>
      tx.tail(this.text(sql.upsertWorker), [workerId, JSON.stringify(orchestrations), tx.now, tx.now + ttlMs, tx.now - EXPIRED_WORKERS_KEPT_MS], () => undefined),
    );
  }

  async unregisterWorker(workerId: string): Promise<void> {
    await this.write((tx) => tx.tail(this.text(sql.deleteWorker), [workerId], () => undefined));
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = await this.read<{ worker_id: string; orchestrations: string; started_at: string; renewed_at: string; expires_at: string }>(
      this.text(sql.selectLiveWorkers),
      [this.clock()],
    );
    return rows.map((row) => ({
      workerId: row.worker_id,
      orchestrations: JSON.parse(row.orchestrations) as WorkerRecord["orchestrations"],
      startedAt: iso(Number(row.started_at)),
      renewedAt: iso(Number(row.renewed_at)),
      expiresAt: iso(Number(row.expires_at)),
    }));
  }

  async nextWakeUp(): Promise<number | undefined> {
    const rows = await this.read<{ at: string | null }>(this.text(sql.selectNextWakeUp), [this.clock(), PARKED_LEASE.token]);
    const at = rows[0]?.at ?? null;
    return at === null ? undefined : Number(at);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.assertOpen();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Commits the writes already asked for, then closes every connection. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writes.close();
      if (this.pendingReads !== undefined) this.readInstances();
      await Promise.all(this.reading);
    } finally {
      this.listeners.clear();
      await this.listener?.close();
      await this.pool.end();
    }
  }

  /** Runs the stepper on the locked `row` (messages, then `inline`) and sends its commit; undefined when it declined. */
  private async step(
    tx: PgTx,
    row: InstanceRow,
    aggregated: string | null,
    stepper: OrchestrationStepper,
    inline: InboxMessage | undefined,
  ): Promise<{ readonly result: Promise<CommitResult> } | undefined> {
    const instanceId = row.instance_id;
    const executionId = row.execution_id;
    // With the history's length, a stepper can tell a warm copy that another worker has moved past.
    // Nothing to replay for an empty history: no round trip.
    const cold = row.last_seq === 0 ? !stepper.isWarm(instanceId, executionId, 0) : !stepper.isWarm(instanceId, executionId, row.last_seq);
    const stored =
      cold && row.last_seq > 0
        ? (await tx.query<{ events: string }>(this.text(sql.selectExecutionHistory), [instanceId, executionId]))[0]!.events
        : undefined;
    let commit: OrchestrationCommit | undefined;
    try {
      const messages = toInboxMessages(instanceId, aggregated);
      if (inline !== undefined) messages.push(inline);
      const history = !cold ? undefined : stored === undefined ? [] : decodeEvents(stored, `history of instance '${instanceId}'`);
      tx.steppers.add(stepper);
      commit = stepper.step({ instance: toInstanceRecord(row), messages, history, now: iso(tx.now) });
    } catch (error) {
      // Unreadable stored data, or a stepper that threw: this instance's own, set aside.
      return { result: this.park(tx, row, error, inline) };
    }
    if (commit === undefined) return undefined;
    if (commit.executionId !== executionId) {
      throw new InvalidArgumentError(
        `The commit is for execution '${commit.executionId}' of instance '${instanceId}', but its current execution is '${executionId}'.`,
      );
    }
    // An inline message the episode did not consume stays in the inbox, like any other.
    const before =
      inline !== undefined && !commit.consumedMessageIds.includes(INLINE_MESSAGE_ID)
        ? [messageParam({ instanceId, executionId: inline.executionId, event: inline.event }, tx.now)]
        : [];
    const params = [instanceId, null, tx.now, this.origin, ...commitParams(instanceId, commit, tx.now, before)];
    const record = toInstanceRecord(row);
    const result = tx.queue<ApplyRow>(this.text(sql.applyCommit), params).then((rows) => {
      const applied = this.applied(tx, instanceId, commit, rows[0]!);
      this.lastCommits.remember(record, row.last_seq, commit, tx.now);
      this.announceFinished(tx, record, commit);
      return applied;
    });
    // Awaited by the write's tail; a failure is reported through the statement that failed first.
    result.catch(() => undefined);
    return { result };
  }

  /**
   * The stepped path of a completion in one round trip: when this store remembers the instance as
   * it last committed it and the stepper is warm for that, runs the next episode ahead and sends
   * the completion with it (`complete_step`). The database applies the episode only if the
   * instance is still so; otherwise the outcome goes to the inbox and the episode is discarded.
   * Undefined when it cannot run ahead (the caller takes the two-round-trip path).
   */
  private completeAhead(tx: PgTx, item: ActivityWorkItem, event: HistoryEvent, stepper: OrchestrationStepper): Tail<CommitResult | undefined> | undefined {
    const { instanceId, executionId } = item;
    const last = this.lastCommits.get(instanceId);
    if (last === undefined || last.record.executionId !== executionId) return undefined;
    // Only for an instance that waits for this result alone: another result or event on its way
    // would void the episode, and a void episode costs its warm executor (a replay).
    if (stepper.awaitsOnly?.(instanceId, executionId, last.historyLength, item.taskId) !== true) return undefined;
    const inline: InboxMessage = { id: INLINE_MESSAGE_ID, instanceId, executionId, event, visibleAt: iso(tx.now) };
    tx.steppers.add(stepper);
    let commit: OrchestrationCommit | undefined;
    try {
      commit = stepper.step({ instance: last.record, messages: [inline], history: undefined, now: iso(tx.now) });
    } catch {
      // Not ahead: the usual path runs the episode again on the instance as stored, and sets it aside there.
      commit = undefined;
    }
    if (commit === undefined) {
      tx.steppers.delete(stepper);
      return undefined;
    }
    if (commit.executionId !== executionId) {
      throw new InvalidArgumentError(
        `The commit is for execution '${commit.executionId}' of instance '${instanceId}', but its current execution is '${executionId}'.`,
      );
    }
    const before = commit.consumedMessageIds.includes(INLINE_MESSAGE_ID) ? [] : [messageParam({ instanceId, executionId, event }, tx.now)];
    const params = [
      rowId(item.id) ?? "0",
      item.lockToken,
      tx.now,
      JSON.stringify(event),
      this.origin,
      last.historyLength,
      last.updatedAt,
      ...commitParams(instanceId, commit, tx.now, before),
    ];
    return tx.tail(this.text(sql.completeStep), params, (rows: ApplyRow[]) => {
      const result = rows[0]!;
      if (result.o_result === "lost") throw lostTask(item);
      if (result.o_result === "inboxed" || result.o_result === "dropped") {
        // The instance had moved on: the episode run ahead is void, and the outcome waits in its inbox.
        this.lastCommits.forget(instanceId);
        stepper.discard?.();
        tx.steppers.delete(stepper);
        if (result.o_result === "inboxed") tx.work.add("instances");
        return undefined;
      }
      const applied = this.applied(tx, instanceId, commit, result);
      this.lastCommits.remember(last.record, last.historyLength, commit, tx.now);
      this.announceFinished(tx, last.record, commit);
      return applied;
    });
  }

  /**
   * A start and its first episode in one statement: runs the episode ahead on the instance as
   * `request` creates it, and sends both (`create_step`); the database applies the episode only if
   * it created the instance. Undefined when the stepper declined (a plain start follows).
   */
  private startAhead(tx: PgTx, request: CreateInstanceRequest, doc: Record<string, unknown>, stepper: OrchestrationStepper): Tail<CommitResult> | undefined {
    const { instanceId, executionId } = request;
    const record = createdRecord(request, tx.now);
    const start: InboxMessage = { id: INLINE_MESSAGE_ID, instanceId, executionId, event: request.startEvent, visibleAt: iso(tx.now) };
    tx.steppers.add(stepper);
    const history = stepper.isWarm(instanceId, executionId, 0) ? undefined : [];
    let commit: OrchestrationCommit | undefined;
    try {
      commit = stepper.step({ instance: record, messages: [start], history, now: iso(tx.now) });
    } catch {
      // A plain start: the orchestration loop runs the episode again, and sets the instance aside there.
      commit = undefined;
    }
    if (commit === undefined) {
      tx.steppers.delete(stepper);
      return undefined;
    }
    if (commit.executionId !== executionId) {
      throw new InvalidArgumentError(`The commit is for execution '${commit.executionId}' of instance '${instanceId}', but its start is of execution '${executionId}'.`);
    }
    const started = commit.consumedMessageIds.includes(INLINE_MESSAGE_ID);
    // A start message the episode consumes is no work for anyone: create_row announces none.
    const created = started ? { ...doc, taken: true } : doc;
    const params = [JSON.stringify(created), request.reuse, tx.now, this.origin, started, ...commitParams(instanceId, commit, tx.now)];
    return tx.tail(this.text(sql.createStep), params, (rows: Array<ApplyRow & { o_taken: string | null }>) => {
      const result = rows[0]!;
      // Refused: nothing was written, and the write's steppers are told.
      if (result.o_taken !== null) throw new InstanceExistsError(instanceId, result.o_taken as RuntimeStatus);
      tx.statuses.set(instanceId, RuntimeStatus.Pending);
      if (!started) tx.work.add("instances");
      const applied = this.applied(tx, instanceId, commit, result);
      this.lastCommits.remember(record, 0, commit, tx.now);
      this.announceFinished(tx, record, commit);
      return applied;
    });
  }

  /**
   * Sets an instance aside: Failed with an UnprocessableInstanceError, held by a lease that never
   * expires, its history and inbox kept (an inline outcome too), and its parent told. The result
   * reports it, for the worker to log once.
   */
  private park(tx: PgTx, row: InstanceRow, cause: unknown, inline: InboxMessage | undefined): Promise<CommitResult> {
    const instanceId = row.instance_id;
    const parking = parkingOf(instanceId, toInstanceRecord(row).parent, cause, iso(tx.now));
    const messages = [
      ...(inline === undefined ? [] : [{ instanceId, executionId: inline.executionId, event: inline.event }]),
      ...(parking.parentNotice === undefined ? [] : [parking.parentNotice]),
    ].map((m) => messageParam(m, tx.now));
    this.lastCommits.forget(instanceId);
    const params = [
      instanceId,
      JSON.stringify(parking.failureDetails),
      tx.now,
      PARKED_LEASE.token,
      PARKED_LEASE.workerId,
      PARKED_LEASE.untilMs,
      JSON.stringify(messages),
    ];
    const result = tx.queue<{ work: boolean }>(this.text(sql.parkInstance), params).then((rows) => {
      if (rows[0]?.work === true) tx.work.add("instances");
      tx.statuses.set(instanceId, RuntimeStatus.Failed);
      return { leasedTasks: [], parked: [parking.error] };
    });
    result.catch(() => undefined);
    return result;
  }

  /** A commit that finished an orchestration: its status is announced with the record it left. */
  private announceFinished(tx: PgTx, before: InstanceRecord, commit: OrchestrationCommit): void {
    if (before.kind !== "orchestration" || commit.continueAsNew !== undefined || !TERMINAL_STATUSES.includes(commit.status)) return;
    tx.finished.set(before.instanceId, committedRecord(before, commit, tx.now));
  }

  /** The result of an applied commit; records what to announce. */
  private applied(tx: PgTx, instanceId: string, commit: OrchestrationCommit, result: ApplyRow): CommitResult {
    if (result.o_result.startsWith("execution:")) {
      throw new InvalidArgumentError(
        `The commit is for execution '${commit.executionId}' of instance '${instanceId}', ` +
          `but its current execution is '${result.o_result.slice(10)}'.`,
      );
    }
    if (result.o_work) {
      // The statement tells only that something is ready. Without tasks enqueued unleased it is
      // messages; with them, messages may be ready too, and both queues are announced.
      if (commit.tasks.some((task) => task.lease === undefined)) tx.work.add("tasks");
      tx.work.add("instances");
    }
    if (result.o_changed) tx.statuses.set(instanceId, commit.continueAsNew === undefined ? commit.status : RuntimeStatus.Running);
    for (const message of commit.messages) if (message.visibleAt !== undefined) tx.readyAt(parseTime(message.visibleAt, "visibleAt", "up"));
    const leased = result.o_leased ?? [];
    const leasedTasks = commit.tasks
      .filter((task) => task.lease !== undefined)
      .map((task, i): ActivityWorkItem => {
        const [id, lockToken] = leased[i]!;
        const item: ActivityWorkItem = {
          id,
          instanceId: task.instanceId,
          executionId: task.executionId,
          taskId: task.taskId,
          name: task.name,
          lockToken,
          lockedUntil: iso(tx.now + task.lease!.leaseMs),
          dequeueCount: 1,
        };
        return task.input === undefined ? item : { ...item, input: task.input };
      });
    return { leasedTasks };
  }

  /**
   * The text of a statement of this store's schema, built once: the same string each time, so
   * that the prepared statement's name is looked up by a hash computed once.
   */
  private text(statement: (schema: string) => string): string {
    let text = this.texts.get(statement);
    if (text === undefined) {
      text = statement(this.s);
      this.texts.set(statement, text);
    }
    return text;
  }

  private write<T>(body: (tx: PgTx) => Promise<T | Tail<T>> | T | Tail<T>, lane: Lane = "write", steps?: Steps): Promise<T> {
    this.assertOpen();
    return this.writes.write(async (tx) => body(tx), lane, steps);
  }

  private async read<R>(text: string, values: readonly unknown[]): Promise<R[]> {
    this.assertOpen();
    return (await run<R>(this.pool, text, values)).rows;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private emitCommitted(tx: PgTx): void {
    const events: StoreEvent[] = [];
    for (const [instanceId, status] of tx.statuses) {
      const record = tx.finished.get(instanceId);
      events.push(record?.status === status ? { kind: "instance", instanceId, status, record } : { kind: "instance", instanceId, status });
    }
    for (const queue of tx.work) events.push({ kind: "work", queue });
    if (tx.wakeAt !== undefined) events.push({ kind: "wakeup", at: tx.wakeAt });
    this.emit(events);
  }

  /** A listener that throws must not turn a committed write into a failed call. */
  private emit(events: readonly StoreEvent[]): void {
    if (this.listeners.size === 0) return;
    for (const event of events) {
      for (const listener of [...this.listeners]) {
        try {
          listener(event);
        } catch (thrown) {
          process.emitWarning(normalizeError(thrown));
        }
      }
    }
  }
}

function outcomeEvent(item: ActivityWorkItem, outcome: ActivityOutcome, now: string): HistoryEvent {
  return outcome.ok
    ? newEvent("TaskCompleted", now, { taskScheduledId: item.taskId, result: outcome.result })
    : newEvent("TaskFailed", now, { taskScheduledId: item.taskId, failureDetails: outcome.failureDetails });
}

function lostInstance(item: OrchestrationWorkItem): LeaseLostError {
  return new LeaseLostError(`orchestration instance '${item.instance.instanceId}'`);
}

function lostTask(item: ActivityWorkItem): LeaseLostError {
  return new LeaseLostError(`activity task ${item.id} ('${item.name}' #${item.taskId} of instance '${item.instanceId}')`);
}

/** The statement shape and parameters of an instance filter. An empty `statuses` list filters nothing. */
function filterOf(filter: InstanceFilter): { shape: sql.FilterShape; params: unknown[]; kind: "orchestration" | "entity" } {
  const statuses = filter.statuses !== undefined && filter.statuses.length > 0 ? filter.statuses : undefined;
  const kind = filter.kind ?? "orchestration";
  if (kind !== "orchestration" && kind !== "entity") {
    throw new InvalidArgumentError(`kind must be "orchestration" or "entity"; received ${JSON.stringify(kind)}.`);
  }
  const values: Record<(typeof sql.FILTER_PARAMS)[number], unknown> = {
    kind,
    statuses,
    createdFrom: filter.createdFrom === undefined ? undefined : parseTime(filter.createdFrom, "createdFrom", "up"),
    createdTo: filter.createdTo === undefined ? undefined : parseTime(filter.createdTo, "createdTo", "down"),
    instanceIdPrefix: filter.instanceIdPrefix === "" ? undefined : filter.instanceIdPrefix,
    name: filter.name,
    version: filter.version,
    parentInstanceId: filter.parentInstanceId,
  };
  const shape = Object.fromEntries(sql.FILTER_PARAMS.map((k) => [k, values[k] !== undefined])) as unknown as sql.FilterShape;
  const params = sql.FILTER_PARAMS.filter((k) => values[k] !== undefined).map((k) => values[k]);
  return { shape, params, kind };
}

/** How long an expired worker registration is kept before a registration sweeps it away. */
const EXPIRED_WORKERS_KEPT_MS = 24 * 60 * 60_000;

/** The results of a batch's commits, as one. */
function mergeResults(results: readonly CommitResult[]): CommitResult {
  const parked = results.flatMap((r) => r.parked ?? []);
  const leasedTasks = results.flatMap((r) => r.leasedTasks);
  return parked.length === 0 ? { leasedTasks } : { leasedTasks, parked };
}

/**
 * The Store port on SQLite (better-sqlite3). better-sqlite3 is synchronous, so every method body
 * is one transaction (IMMEDIATE for writes, so the write lock is taken before anything is read),
 * and the method returns a settled promise; nothing is awaited inside a transaction.
 *
 * Lease and commit protocol:
 * 1. A lease is a random token, a holder and an expiry on the instance (or task) row. It is live
 *    while `locked_until > now`.
 * 2. Fencing is by token alone: a commit, abandon or renewal whose token is still on the row is
 *    accepted even after the expiry, because nobody else has taken the lease (taking it replaces
 *    the token, and every commit clears it). Once another worker took it, the stale holder's call
 *    changes nothing and throws LeaseLostError.
 * 3. `stepOrchestration` and the stepped path of `completeActivity` run the stepper inside the
 *    transaction; that transaction is the lease, so no lock column is written.
 * 4. An instance whose stored data cannot be read, or on which the stepper throws, is set aside
 *    (`park`) in the same transaction, and the others go on; a database error rolls everything back.
 * 5. Store events are emitted after the transaction commits, never for one that rolled back.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { InvalidArgumentError, normalizeError } from "../../core/errors.js";
import type { HistoryEvent } from "../../core/history.js";
import {
  InstanceExistsError,
  InstanceNotFoundError,
  InvalidInstanceStateError,
  StoreClosedError,
  UnreadableDataError,
  type UnprocessableInstanceError,
} from "../errors.js";
import {
  INLINE_MESSAGE_ID,
  RuntimeStatus,
  TERMINAL_STATUSES,
  isTerminal,
  type ActivityOutcome,
  type ActivityWorkItem,
  type CommitResult,
  type CreateInstanceRequest,
  type FinishedInstance,
  type FinishedPage,
  type FinishedQuery,
  type HistoryPage,
  type HistoryPageOptions,
  type InboxMessage,
  type InstanceNames,
  type InstanceFilter,
  type InstancePage,
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
import {
  iso,
  parseTime,
  rowId,
  toActivityWorkItem,
  toInboxMessage,
  toInstanceRecord,
  type InstanceRow,
  type MessageRow,
  type TaskRow,
} from "./rows.js";
import {
  PARKED_LEASE,
  checkFinishedQuery,
  checkStorableId,
  decodeEvent,
  decodePageKey,
  checkedRegistration,
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
import { registerConnection } from "./internal.js";
import * as sql from "./sql.js";
import { Statements, Tx } from "./statements.js";
import { Writes } from "./writes.js";
import { filterOf, finishedStatement, isLeaseLive, lostInstance, lostTask, outcomeEvent, readySearch, type ReadySearch } from "./params.js";

export interface SqliteStoreSettings {
  /** Where the database is, for messages (a path or ":memory:"). */
  readonly where: string;
  readonly durability: string;
  readonly clock: () => number;
  /** The schema versions applied when this store opened the database (empty when it was current). */
  readonly migrationsApplied: readonly number[];
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PURGE_LIMIT = 1000;

/** A Store on one better-sqlite3 connection. Create it with `sqlite(path)`. */
export class SqliteStore implements Store {
  readonly name = "sqlite";
  readonly durability: string;
  readonly where: string;
  readonly migrationsApplied: readonly number[];
  private readonly clock: () => number;
  private readonly sql: Statements;
  private readonly writes: Writes;
  private readonly transaction: Database.Transaction<<T>(body: (tx: Tx) => T, tx: Tx) => T>;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly savepoint: Database.Transaction<<T>(body: (tx: Tx) => T, tx: Tx) => T>;
  private readonly pending: Array<{ body: (tx: Tx) => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    settings: SqliteStoreSettings,
  ) {
    this.where = settings.where;
    this.durability = settings.durability;
    this.clock = settings.clock;
    this.migrationsApplied = settings.migrationsApplied;
    this.sql = new Statements(db);
    this.writes = new Writes(this.sql);
    this.transaction = db.transaction(<T>(body: (tx: Tx) => T, tx: Tx): T => body(tx));
    // Called inside `transaction`, better-sqlite3 runs this as a savepoint.
    this.savepoint = db.transaction(<T>(body: (tx: Tx) => T, tx: Tx): T => body(tx));
    registerConnection(this, db);
    // Names compare as the app compares them (SQLite's lower() folds ASCII only).
    db.function("perdure_fold", { deterministic: true }, (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value));
  }

  now(): number {
    return this.clock();
  }

  async createInstance(request: CreateInstanceRequest, stepper?: OrchestrationStepper): Promise<CommitResult | undefined> {
    checkStorableId(request.instanceId, "createInstance()");
    return this.write((tx) => {
      const hadWork = tx.work.has("instances");
      const takenBy = this.writes.createInstance(tx, request);
      if (takenBy !== undefined) throw new InstanceExistsError(request.instanceId, takenBy);
      const due = request.scheduledStartAt === undefined || parseTime(request.scheduledStartAt, "scheduledStartAt", "up") <= tx.now;
      if (stepper === undefined || !due) return undefined;
      // The first episode, here: its start message is announced only if it stays in the inbox.
      if (!hadWork) tx.work.delete("instances");
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId: request.instanceId })!;
      const result = this.step(tx, row, stepper, undefined);
      if (result === undefined) tx.work.add("instances");
      return result;
    });
  }

  async sendMessages(messages: readonly NewMessage[]): Promise<void> {
    for (const message of messages) checkStorableId(message.instanceId, "sendMessages()");
    return this.write((tx) => {
      // In order: a message may address an entity that an earlier one of the same call creates.
      // A refusal rolls back the messages already written.
      for (const message of messages) {
        if (!this.writes.insertMessage(tx, message)) throw new InstanceNotFoundError(message.instanceId);
      }
    });
  }

  async leaseOrchestration(options: LeaseOptions & { readonly except?: InstanceNames | undefined }): Promise<OrchestrationWorkItem | undefined> {
    validateDuration(options.leaseMs, "leaseMs", 1);
    const search = readySearch({ except: options.except });
    return this.write((tx) => {
      for (;;) {
        const row = this.nextReadyInstance(tx, search, []);
        if (row === undefined) return undefined;
        const lockToken = randomUUID();
        const lockedUntil = tx.later(options.leaseMs);
        const instanceId = row.instance_id;
        let messages: InboxMessage[];
        try {
          messages = this.visibleMessages(tx, instanceId);
        } catch (error) {
          if (!(error instanceof UnreadableDataError)) throw error;
          // Set aside, as a stepper's store would; the lease goes to the next ready instance.
          this.park(tx, row, error, undefined);
          continue;
        }
        this.sql.run(sql.LOCK_INSTANCE, { instanceId, lockToken, workerId: options.workerId, lockedUntil });
        return { instance: toInstanceRecord(row), messages, lockToken, lockedUntil };
      }
    });
  }

  async commitOrchestration(item: OrchestrationWorkItem, commit: OrchestrationCommit): Promise<CommitResult> {
    return this.write((tx) => {
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId: item.instance.instanceId });
      if (row === undefined || row.lock_token !== item.lockToken) throw lostInstance(item);
      return this.writes.applyCommit(tx, row, commit);
    });
  }

  async abandonOrchestration(item: OrchestrationWorkItem, delayMs = 0): Promise<void> {
    validateDuration(delayMs, "delayMs", 0);
    return this.write((tx) => {
      const instanceId = item.instance.instanceId;
      if (this.sql.run(sql.RELEASE_INSTANCE_LOCK, { instanceId, lockToken: item.lockToken }) === 0) {
        throw lostInstance(item);
      }
      if (delayMs > 0) {
        this.sql.run(sql.DELAY_VISIBLE_MESSAGES, { instanceId, visibleAt: tx.later(delayMs), now: tx.nowIso });
        tx.readyAt(tx.now + delayMs);
      } else {
        if (this.sql.one(sql.SELECT_HAS_VISIBLE_MESSAGE, { instanceId, now: tx.nowIso }) !== undefined) tx.work.add("instances");
      }
    });
  }

  async renewOrchestrationLease(item: OrchestrationWorkItem, leaseMs: number): Promise<OrchestrationWorkItem> {
    validateDuration(leaseMs, "leaseMs", 1);
    return this.write((tx) => {
      const lockedUntil = tx.later(leaseMs);
      const params = { instanceId: item.instance.instanceId, lockToken: item.lockToken, lockedUntil };
      if (this.sql.run(sql.RENEW_INSTANCE_LOCK, params) === 0) throw lostInstance(item);
      return { ...item, lockedUntil };
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
    const search = readySearch({ only: options.only }, options.versions);
    return this.write((tx) => {
      let leasedTasks: ActivityWorkItem[] | undefined;
      const parked: UnprocessableInstanceError[] = [];
      for (let i = 0; i < max; i++) {
        const row = this.nextReadyInstance(tx, search, parked);
        if (row === undefined) break;
        const result = this.step(tx, row, stepper, undefined);
        if (result === undefined) break;
        if (result.parked !== undefined) parked.push(...result.parked);
        leasedTasks = leasedTasks === undefined ? [...result.leasedTasks] : leasedTasks.concat(result.leasedTasks);
      }
      if (parked.length > 0) return { leasedTasks: leasedTasks ?? [], parked };
      return leasedTasks === undefined ? undefined : { leasedTasks };
    });
  }

  async leaseActivities(options: LeaseOptions & { readonly max: number; readonly names?: TaskNames | undefined }): Promise<ActivityWorkItem[]> {
    validateDuration(options.leaseMs, "leaseMs", 1);
    if (!Number.isInteger(options.max) || options.max < 0) {
      throw new InvalidArgumentError(`max must be an integer of at least 0; received ${String(options.max)}.`);
    }
    const names = foldedTaskNames(options.names);
    const text = names === undefined ? sql.SELECT_READY_TASK_IDS : sql.selectReadyTaskIdsSql(names.except);
    const namesParam = names === undefined ? {} : { names: JSON.stringify(names.names) };
    return this.write((tx) => {
      const ready = this.sql.all<{ id: number }>(text, { now: tx.nowIso, max: options.max, ...namesParam });
      const lockedUntil = tx.later(options.leaseMs);
      return ready.map(({ id }) => {
        const params = { id, lockToken: randomUUID(), workerId: options.workerId, lockedUntil };
        return toActivityWorkItem(this.sql.one<TaskRow>(sql.LOCK_TASK, params)!);
      });
    });
  }

  async completeActivity(
    item: ActivityWorkItem,
    outcome: ActivityOutcome,
    stepper?: OrchestrationStepper,
  ): Promise<CommitResult | undefined> {
    return this.write((tx) => {
      const params = { id: rowId(item.id) ?? -1, lockToken: item.lockToken };
      if (this.sql.one(sql.DELETE_LEASED_TASK, params) === undefined) throw lostTask(item);
      const event = outcomeEvent(item, outcome, tx.nowIso);
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId: item.instanceId });
      if (row === undefined) return undefined;
      if (stepper !== undefined && !isLeaseLive(row, tx)) {
        const { instanceId, executionId } = item;
        const inline = { id: INLINE_MESSAGE_ID, instanceId, executionId, event, visibleAt: tx.nowIso };
        const result = this.step(tx, row, stepper, inline);
        if (result !== undefined) return result;
      }
      this.writes.insertMessage(tx, { instanceId: item.instanceId, executionId: item.executionId, event });
      return undefined;
    });
  }

  async abandonActivity(item: ActivityWorkItem, delayMs = 0): Promise<void> {
    validateDuration(delayMs, "delayMs", 0);
    return this.write((tx) => {
      const params = { id: rowId(item.id) ?? -1, lockToken: item.lockToken, visibleAt: tx.later(delayMs) };
      if (this.sql.run(sql.RELEASE_TASK_LOCK, params) === 0) throw lostTask(item);
      if (delayMs === 0) tx.work.add("tasks");
      else tx.readyAt(tx.now + delayMs);
    });
  }

  async renewActivityLease(item: ActivityWorkItem, leaseMs: number): Promise<ActivityWorkItem> {
    validateDuration(leaseMs, "leaseMs", 1);
    return this.write((tx) => {
      const lockedUntil = tx.later(leaseMs);
      const params = { id: rowId(item.id) ?? -1, lockToken: item.lockToken, lockedUntil };
      if (this.sql.run(sql.RENEW_TASK_LOCK, params) === 0) throw lostTask(item);
      return { ...item, lockedUntil };
    });
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.read(() => {
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId });
      return row === undefined ? undefined : toInstanceRecord(row);
    });
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
    return this.read(() => {
      const limit = pageSize === undefined ? -1 : pageSize + 1;
      const params = { instanceId, after, limit };
      const rows = this.sql.all<{ seq: number; event: string }>(sql.SELECT_HISTORY_PAGE, params);
      const page = pageSize === undefined ? rows : rows.slice(0, pageSize);
      const events = page.map((row) => decodeEvent(row.event, `history event ${row.seq} of instance '${instanceId}'`));
      return rows.length > page.length ? { events, next: page[page.length - 1]!.seq } : { events };
    });
  }

  async queryInstances(options: QueryOptions): Promise<InstancePage> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(
        `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}; received ${String(options.pageSize)}.`,
      );
    }
    const order = queryOrder(options.order);
    const key = options.continuationToken === undefined ? undefined : decodePageKey(options.continuationToken, "string", order);
    const { shape, params } = filterOf(options);
    const text = sql.queryInstancesSql(shape, key !== undefined, order);
    return this.read(() => {
      const rows = this.sql.all<InstanceRow>(text, {
        ...params,
        afterCreatedAt: key?.createdAt,
        afterInstanceId: key?.instanceId,
        limit: pageSize + 1,
      });
      const instances = rows.slice(0, pageSize).map(toInstanceRecord);
      if (rows.length <= pageSize) return { instances };
      const last = instances[instances.length - 1]!;
      return { instances, continuationToken: encodePageKey({ createdAt: last.createdAt, instanceId: last.instanceId, order }) };
    });
  }

  async countInstances(filter: InstanceFilter): Promise<StatusCounts> {
    const { shape, params } = filterOf(filter);
    const text = sql.countInstancesSql(shape);
    return this.read(() => {
      const counts: Partial<Record<RuntimeStatus, number>> = {};
      for (const row of this.sql.all<{ status: RuntimeStatus; count: number }>(text, params)) counts[row.status] = row.count;
      return counts;
    });
  }

  async listFinishedInstances(query: FinishedQuery): Promise<FinishedPage> {
    const checked = checkFinishedQuery(query);
    const statement = finishedStatement(checked);
    return this.read(() => finishedPage(this.sql.all<FinishedInstance>(statement.text, statement.params), checked.pageSize));
  }

  async purgeInstance(instanceId: string): Promise<number> {
    return this.write((tx) => {
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId });
      if (row === undefined) return 0;
      const status = row.status as RuntimeStatus;
      if (row.kind === "entity") {
        if (this.sql.one(sql.SELECT_EMPTY_ENTITY, { instanceId, now: tx.nowIso }) === undefined) {
          throw new InvalidInstanceStateError(instanceId, status, "purge", "an empty entity (no state, no queued operations)");
        }
      } else if (!isTerminal(status)) {
        const expected = "a terminal status (Completed, Failed, Terminated or Canceled)";
        throw new InvalidInstanceStateError(instanceId, status, "purge", expected);
      }
      return this.sql.run(sql.DELETE_INSTANCE, { instanceId });
    });
  }

  async purgeInstances(filter: InstanceFilter, limit = DEFAULT_PURGE_LIMIT): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new InvalidArgumentError(`limit must be an integer of at least 1; received ${String(limit)}.`);
    }
    const { shape, params } = filterOf(filter);
    const text = sql.selectPurgeableSql(shape, filter.kind ?? "orchestration");
    return this.write((tx) => {
      const terminal = JSON.stringify(TERMINAL_STATUSES);
      const rows = this.sql.all<{ instanceId: string }>(text, { ...params, terminal, limit, now: tx.nowIso });
      for (const { instanceId } of rows) this.sql.run(sql.DELETE_INSTANCE, { instanceId });
      return rows.length;
    });
  }

  async rewind(request: RewindRequest): Promise<void> {
    const children = request.children ?? [];
    validateChildren(request.instanceId, children);
    return this.write((tx) => {
      const { instanceId, executionId } = request;
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId });
      if (row === undefined) throw new InstanceNotFoundError(instanceId);
      const status = row.status as RuntimeStatus;
      if (status !== RuntimeStatus.Failed) {
        throw new InvalidInstanceStateError(instanceId, status, "rewind", "status Failed");
      }
      if (row.execution_id !== executionId) {
        const expected = `execution '${executionId}' to be current, but the current one is '${row.execution_id}'`;
        throw new InvalidInstanceStateError(instanceId, status, "rewind", expected);
      }
      this.writes.replaceHistory(instanceId, executionId, request.history);
      // Also takes any lease away, so a holder from before the rewind cannot commit over it.
      this.sql.run(sql.RESTART_INSTANCE, {
        instanceId,
        executionId,
        input: null,
        keepInput: 1,
        status: RuntimeStatus.Running,
        now: tx.nowIso,
      });
      tx.statuses.set(instanceId, RuntimeStatus.Running);
      for (const task of request.tasks) this.writes.insertTask(tx, task);
      for (const message of request.messages) this.writes.insertMessage(tx, message);
      for (const child of children) this.writes.createChild(tx, executionId, child);
    });
  }

  async deleteAllInstances(): Promise<number> {
    return this.write((tx) => {
      const [messages, history, tasks, instances] = sql.DELETE_EVERYTHING;
      if (this.sql.run(messages, {}) > 0) tx.work.add("instances");
      this.sql.run(history, {});
      this.sql.run(tasks, {});
      return this.sql.run(instances, {});
    });
  }

  async registerWorker(registration: WorkerRegistration): Promise<void> {
    const { workerId, orchestrations, ttlMs } = checkedRegistration(registration);
    return this.write((tx) => {
      this.sql.run(sql.UPSERT_WORKER, { workerId, orchestrations: JSON.stringify(orchestrations), now: tx.nowIso, expiresAt: tx.later(ttlMs) });
      this.sql.run(sql.DELETE_EXPIRED_WORKERS, { before: tx.later(-EXPIRED_WORKERS_KEPT_MS) });
    });
  }

  async unregisterWorker(workerId: string): Promise<void> {
    return this.write(() => {
      this.sql.run(sql.DELETE_WORKER, { workerId });
    });
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return this.read((tx) =>
      this.sql
        .all<{ worker_id: string; orchestrations: string; started_at: string; renewed_at: string; expires_at: string }>(sql.SELECT_LIVE_WORKERS, {
          now: tx.nowIso,
        })
        .map((row) => ({
          workerId: row.worker_id,
          orchestrations: JSON.parse(row.orchestrations) as WorkerRecord["orchestrations"],
          startedAt: row.started_at,
          renewedAt: row.renewed_at,
          expiresAt: row.expires_at,
        })),
    );
  }

  async nextWakeUp(): Promise<number | undefined> {
    return this.read((tx) => {
      const at = this.sql.one<{ at: string | null }>(sql.SELECT_NEXT_WAKE_UP, { now: tx.nowIso, parkedToken: PARKED_LEASE.token })?.at;
      return at === null || at === undefined ? undefined : Date.parse(at);
    });
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.assertOpen();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Closes the database. Calling it again does nothing; any other method then throws StoreClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Writes already asked for are committed (and their callers answered) before the file closes.
    this.flush();
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  /** Runs the stepper on `row` with its visible messages (and `inline`, last) and applies its commit. */
  private step(
    tx: Tx,
    row: InstanceRow,
    stepper: OrchestrationStepper,
    inline: InboxMessage | undefined,
  ): CommitResult | undefined {
    const instanceId = row.instance_id;
    const executionId = row.execution_id;
    let commit: OrchestrationCommit | undefined;
    try {
      const messages = this.visibleMessages(tx, instanceId);
      if (inline !== undefined) messages.push(inline);
      // The stored length lets a stepper see that its warm copy is behind (another worker, or
      // another store object on the same file, moved the instance on). The history holds only the
      // current execution and its numbers run from 1, so the last number is the length: an index
      // lookup, where counting would grow with the history.
      const length = this.sql.one<{ seq: number }>(sql.SELECT_LAST_HISTORY_SEQ, { instanceId })!.seq;
      const history = stepper.isWarm(instanceId, executionId, length) ? undefined : this.executionHistory(instanceId, executionId);
      tx.steppers.add(stepper);
      commit = stepper.step({ instance: toInstanceRecord(row), messages, history, now: tx.nowIso });
    } catch (error) {
      // A database failure fails the write (and is retried); anything else is this instance's own.
      if (error instanceof Database.SqliteError) throw error;
      return { leasedTasks: [], parked: [this.park(tx, row, error, inline)] };
    }
    if (commit === undefined) return undefined;
    // An inline message the episode did not consume stays in the inbox, like any other.
    if (inline !== undefined && !commit.consumedMessageIds.includes(INLINE_MESSAGE_ID)) {
      this.writes.insertMessage(tx, { instanceId, executionId: inline.executionId, event: inline.event });
    }
    return this.writes.applyCommit(tx, row, commit);
  }

  private executionHistory(instanceId: string, executionId: string): HistoryEvent[] {
    const rows = this.sql.all<{ seq: number; event: string }>(sql.SELECT_EXECUTION_HISTORY, { instanceId, executionId });
    return rows.map((row) => decodeEvent(row.event, `history event ${row.seq} of instance '${instanceId}'`));
  }

  /**
   * The next ready instance: of any name, of the names `only` gives, or of every name but those
   * `except` gives. One whose id does not read back as it was written (stored around the
   * checks: it cannot be addressed by any id) is set aside into `parked`, and the search goes on.
   */
  private nextReadyInstance(tx: Tx, search: ReadySearch, parked: UnprocessableInstanceError[]): InstanceRow | undefined {
    for (;;) {
      const next = this.sql.one<{ instanceId: string; rowid: number }>(search.text, { now: tx.nowIso, ...search.params });
      if (next === undefined) return undefined;
      const row = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE, { instanceId: next.instanceId });
      if (row !== undefined) return row;
      const stored = this.sql.one<InstanceRow>(sql.SELECT_INSTANCE_ROW, { rowid: next.rowid })!;
      const cause = new UnreadableDataError(`id of instance ${JSON.stringify(next.instanceId)}`, "it does not read back as the text it was written with");
      parked.push(this.park(tx, stored, cause, undefined, next.rowid));
    }
  }

  /**
   * Sets an instance aside: Failed with an UnprocessableInstanceError, held by a lease that never
   * expires, its history and inbox kept (an inline message too), and its parent told. Returns the error,
   * for the caller to report once.
   */
  private park(tx: Tx, row: InstanceRow, cause: unknown, inline: InboxMessage | undefined, rowid?: number): UnprocessableInstanceError {
    const parking = parkingOf(row.instance_id, toInstanceRecord(row).parent, cause, tx.nowIso);
    const target = rowid ?? this.sql.one<{ rowid: number }>(sql.SELECT_INSTANCE_ROWID, { instanceId: row.instance_id })!.rowid;
    this.sql.run(sql.PARK_INSTANCE, {
      rowid: target,
      failure: JSON.stringify(parking.failureDetails),
      now: tx.nowIso,
      lockToken: PARKED_LEASE.token,
      workerId: PARKED_LEASE.workerId,
      lockedUntil: iso(PARKED_LEASE.untilMs),
    });
    if (inline !== undefined) this.writes.insertMessage(tx, { instanceId: row.instance_id, executionId: inline.executionId, event: inline.event });
    if (parking.parentNotice !== undefined) this.writes.insertMessage(tx, parking.parentNotice);
    tx.statuses.set(row.instance_id, RuntimeStatus.Failed);
    return parking.error;
  }

  private visibleMessages(tx: Tx, instanceId: string): InboxMessage[] {
    return this.sql.all<MessageRow>(sql.SELECT_VISIBLE_MESSAGES, { instanceId, now: tx.nowIso }).map(toInboxMessage);
  }

  /**
   * Group commit: writes asked for in the same turn of the event loop run in one transaction, each
   * in its own savepoint, and share one sync to disk. A write that throws rolls back alone (and
   * its steppers are told at once); if the transaction itself fails, every write in it fails.
   * Each write's promise settles only after the transaction committed.
   */
  private write<T>(body: (tx: Tx) => T): Promise<T> {
    this.assertOpen();
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ body, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    if (this.closed) {
      for (const op of batch) op.reject(new StoreClosedError());
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown; tx: Tx } | { ok: false; error: unknown }> = [];
    try {
      this.transaction.immediate(() => {
        for (const op of batch) {
          const tx = new Tx(this.clock());
          try {
            outcomes.push({ ok: true, value: this.savepoint(op.body, tx), tx });
          } catch (error) {
            for (const stepper of tx.steppers) stepper.discard?.();
            outcomes.push({ ok: false, error });
          }
        }
      }, new Tx(this.clock()));
    } catch (error) {
      for (const outcome of outcomes) if (outcome.ok) for (const stepper of outcome.tx.steppers) stepper.discard?.();
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        this.emit(outcome.tx);
        op.resolve(outcome.value);
      } else {
        op.reject(outcome.error);
      }
    });
  }

  private read<T>(body: (tx: Tx) => T): T {
    this.assertOpen();
    return this.transaction.deferred(body, new Tx(this.clock())) as T;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** After commit. A listener that throws must not turn a committed write into a failed call. */
  private emit(tx: Tx): void {
    if (this.listeners.size === 0) return;
    const events: StoreEvent[] = [];
    for (const [instanceId, status] of tx.statuses) events.push({ kind: "instance", instanceId, status });
    for (const queue of tx.work) events.push({ kind: "work", queue });
    if (tx.wakeAt !== undefined) events.push({ kind: "wakeup", at: tx.wakeAt });
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

/** How long an expired worker registration is kept before a registration sweeps it away. */
const EXPIRED_WORKERS_KEPT_MS = 24 * 60 * 60_000;

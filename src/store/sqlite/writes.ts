/**
 * The write operations several Store methods share: creating instances, enqueueing messages and
 * tasks, appending history, and applying an episode's commit. Every function runs inside a
 * transaction the caller opened; none opens one.
 *
 * Invariants kept here:
 * 1. A message addressed to an instance that does not exist is dropped (sendEvent to a missing
 *    instance is not an error inside an episode).
 * 2. A child whose id is taken by an instance that is not terminal is never replaced: the parent
 *    receives SubOrchestrationInstanceFailed (errorType "InstanceExistsError") instead.
 * 3. Applying a commit releases the instance's lease; the caller has checked the fence.
 * 4. Continue-as-new leaves no history and no message addressed to the ended execution.
 * 5. A message that asks for it creates its (entity) addressee first, so it is never dropped.
 * 6. Continue-as-new puts the new execution's start messages ahead of the messages that were
 *    waiting for the instance, which keep their order behind them.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../../core/errors.js";
import { newEvent, type HistoryEvent } from "../../core/history.js";
import { validateChildren } from "../adapter-kit.js";
import { InstanceExistsError } from "../errors.js";
import {
  INLINE_MESSAGE_ID,
  RuntimeStatus,
  isTerminal,
  type ActivityWorkItem,
  type CommitResult,
  type CreateInstanceRequest,
  type NewActivityTask,
  type NewMessage,
  type OrchestrationCommit,
} from "../store.js";
import { iso, parseTime, rowId, toActivityWorkItem, type InstanceRow, type TaskRow } from "./rows.js";
import * as sql from "./sql.js";
import type { Statements, Tx } from "./statements.js";

/** Writes shared by the Store methods of one connection. */
export class Writes {
  constructor(private readonly sql: Statements) {}

  /** Enqueues a message; returns false when its instance does not exist (the message is dropped). */
  insertMessage(tx: Tx, message: NewMessage): boolean {
    const visibleMs = message.visibleAt === undefined ? tx.now : parseTime(message.visibleAt, "visibleAt", "up");
    const event = message.event;
    if (message.ensureInstance !== undefined) {
      this.sql.run(sql.INSERT_ENTITY_IF_MISSING, { instanceId: message.instanceId, name: message.ensureInstance.name, now: tx.nowIso });
    }
    const inserted = this.sql.run(sql.INSERT_MESSAGE, {
      instanceId: message.instanceId,
      executionId: message.executionId,
      event: JSON.stringify(event),
      visibleAt: iso(visibleMs),
      timerId: event.type === "TimerFired" ? event.timerId : null,
    });
    if (inserted > 0) {
      if (visibleMs <= tx.now) tx.work.add("instances");
      else tx.readyAt(visibleMs);
    }
    return inserted > 0;
  }

  /** Enqueues a task; with `lease`, already leased, and returned as a work item. */
  insertTask(tx: Tx, task: NewActivityTask): ActivityWorkItem | undefined {
    const lockedUntil = task.lease === undefined ? null : tx.later(task.lease.leaseMs);
    const row = this.sql.one<TaskRow>(sql.INSERT_TASK, {
      instanceId: task.instanceId,
      executionId: task.executionId,
      taskId: task.taskId,
      name: task.name,
      input: task.input,
      visibleAt: lockedUntil ?? tx.nowIso,
      lockToken: task.lease === undefined ? null : randomUUID(),
      workerId: task.lease?.workerId,
      lockedUntil,
      dequeueCount: task.lease === undefined ? 0 : 1,
    });
    if (task.lease === undefined) {
      tx.work.add("tasks");
      return undefined;
    }
    return toActivityWorkItem(row!);
  }

  /**
   * Creates an instance and its start message, replacing a terminal instance when `reuse` allows.
   * Returns undefined when created, or the status of the existing instance that was kept.
   */
  createInstance(tx: Tx, request: CreateInstanceRequest): RuntimeStatus | undefined {
    const existing = this.sql.one<{ status: RuntimeStatus }>(sql.SELECT_INSTANCE, { instanceId: request.instanceId });
    if (existing !== undefined) {
      if (request.reuse !== "ifTerminal" || !isTerminal(existing.status)) return existing.status;
      this.sql.run(sql.DELETE_INSTANCE, { instanceId: request.instanceId });
    }
    this.sql.run(sql.INSERT_INSTANCE, {
      instanceId: request.instanceId,
      kind: "orchestration",
      name: request.name,
      version: request.version,
      executionId: request.executionId,
      status: RuntimeStatus.Pending,
      input: request.input,
      now: tx.nowIso,
      scheduledStartAt: request.scheduledStartAt,
      parentInstanceId: request.parent?.instanceId,
      parentExecutionId: request.parent?.executionId,
      parentName: request.parent?.name,
      parentTaskId: request.parent?.taskScheduledId,
    });
    this.insertMessage(tx, {
      instanceId: request.instanceId,
      executionId: request.executionId,
      event: request.startEvent,
      visibleAt: request.scheduledStartAt,
    });
    tx.statuses.set(request.instanceId, RuntimeStatus.Pending);
    return undefined;
  }

  /** Appends events after the instance's last sequence number (numbers start at 1). */
  appendHistory(instanceId: string, executionId: string, events: readonly HistoryEvent[]): void {
    if (events.length === 0) return;
    let seq = this.sql.one<{ seq: number }>(sql.SELECT_LAST_HISTORY_SEQ, { instanceId })!.seq;
    for (const event of events) {
      seq += 1;
      this.sql.run(sql.INSERT_HISTORY_EVENT, { instanceId, seq, executionId, event: JSON.stringify(event) });
    }
  }

  /** Applies an episode to the instance `row` and releases its lease. */
  applyCommit(tx: Tx, row: InstanceRow, commit: OrchestrationCommit): CommitResult {
    const instanceId = row.instance_id;
    if (commit.executionId !== row.execution_id) {
      throw new InvalidArgumentError(
        `The commit is for execution '${commit.executionId}' of instance '${instanceId}', ` +
          `but its current execution is '${row.execution_id}'.`,
      );
    }
    validateChildren(instanceId, commit.children);
    if (commit.continueAsNew === undefined) this.appendHistory(instanceId, commit.executionId, commit.history);
    else this.sql.run(sql.DELETE_HISTORY, { instanceId });
    this.deleteMessages(instanceId, commit.consumedMessageIds);
    if (commit.canceledTimerIds.length > 0) {
      this.sql.run(sql.DELETE_TIMER_MESSAGES, {
        instanceId,
        executionId: commit.executionId,
        timerIds: JSON.stringify(commit.canceledTimerIds),
      });
    }
    for (const child of commit.children) this.createChild(tx, commit.executionId, child);
    const leasedTasks: ActivityWorkItem[] = [];
    for (const task of commit.tasks) {
      const leased = this.insertTask(tx, task);
      if (leased !== undefined) leasedTasks.push(leased);
    }
    for (const message of commit.messages) this.insertMessage(tx, message);
    this.updateInstance(tx, row, commit);
    // Released with messages left (unconsumed, or written during the episode): someone can take it.
    if (this.sql.one(sql.SELECT_HAS_VISIBLE_MESSAGE, { instanceId, now: tx.nowIso }) !== undefined) tx.work.add("instances");
    return { leasedTasks };
  }

  /** Deletes messages of an instance by id; ids this store never issued (the inline one) are skipped. */
  deleteMessages(instanceId: string, ids: readonly string[]): void {
    const rowIds = ids.filter((id) => id !== INLINE_MESSAGE_ID).map(rowId).filter((id) => id !== undefined);
    if (rowIds.length === 0) return;
    this.sql.run(sql.DELETE_MESSAGES_BY_ID, { instanceId, ids: JSON.stringify(rowIds) });
  }

  /** Replaces an instance's history (rewind). */
  replaceHistory(instanceId: string, executionId: string, events: readonly HistoryEvent[]): void {
    this.sql.run(sql.DELETE_HISTORY, { instanceId });
    this.appendHistory(instanceId, executionId, events);
  }

  /** Creates a child instance; an id taken by a running instance gets its parent SubOrchestrationInstanceFailed. */
  createChild(tx: Tx, parentExecutionId: string, child: CreateInstanceRequest): void {
    const parent = child.parent!;
    const takenBy = this.createInstance(tx, { ...child, reuse: "ifTerminal" });
    if (takenBy === undefined) return;
    this.insertMessage(tx, {
      instanceId: parent.instanceId,
      executionId: parent.executionId ?? parentExecutionId,
      event: newEvent("SubOrchestrationInstanceFailed", tx.nowIso, {
        taskScheduledId: parent.taskScheduledId,
        failureDetails: {
          errorType: "InstanceExistsError",
          errorMessage: new InstanceExistsError(child.instanceId, takenBy).message,
        },
      }),
    });
  }

  private updateInstance(tx: Tx, row: InstanceRow, commit: OrchestrationCommit): void {
    const instanceId = row.instance_id;
    const next = commit.continueAsNew;
    const status = next === undefined ? commit.status : RuntimeStatus.Running;
    this.sql.run(sql.UPDATE_INSTANCE_AFTER_EPISODE, {
      instanceId,
      status,
      output: commit.output,
      failureDetails: commit.failureDetails === undefined ? null : JSON.stringify(commit.failureDetails),
      customStatus: commit.customStatus,
      entityState: commit.entityState,
      isTerminal: isTerminal(status) ? 1 : 0,
      now: tx.nowIso,
    });
    if (next !== undefined) {
      this.sql.run(sql.DELETE_EXECUTION_MESSAGES, { instanceId, executionId: row.execution_id });
      this.sql.run(sql.RESTART_INSTANCE, {
        instanceId,
        executionId: next.executionId,
        input: next.input,
        keepInput: 0,
        status,
        now: tx.nowIso,
      });
      // What was waiting (events that arrived during the episode) goes behind the new start (invariant 6).
      const upTo = this.sql.one<{ id: number }>(sql.SELECT_LAST_MESSAGE_ID, { instanceId })!.id;
      for (const event of next.startMessages) {
        this.insertMessage(tx, { instanceId, executionId: next.executionId, event });
      }
      if (upTo > 0) {
        this.sql.run(sql.COPY_MESSAGES_UP_TO, { instanceId, upTo });
        this.sql.run(sql.DELETE_MESSAGES_UP_TO, { instanceId, upTo });
      }
    }
    if (status !== row.status) tx.statuses.set(instanceId, status);
  }
}

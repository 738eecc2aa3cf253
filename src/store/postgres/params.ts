/**
 * The parameters of the PostgreSQL functions, built from the Store port's requests. Everything a
 * caller gave is checked here, before anything is sent, so that bad input fails alone and changes
 * nothing (a failed statement would abort the shared transaction).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { InvalidArgumentError } from "../../core/errors.js";
import { newEvent, type HistoryEvent } from "../../core/history.js";
import { InstanceExistsError } from "../errors.js";
import {
  INLINE_MESSAGE_ID,
  type CreateInstanceRequest,
  type NewActivityTask,
  type NewMessage,
  type OrchestrationCommit,
} from "../store.js";
import { parseTime, rowId } from "./rows.js";

/** A message as `insert_messages` takes it. */
export interface MessageParam {
  readonly i: string;
  readonly e: string | null;
  readonly v: string;
  readonly a: number;
  readonly t: number | null;
  /** The entity to create when the addressee is missing. */
  readonly en: string | null;
}

/** A task as `insert_tasks` takes it. */
export interface TaskParam {
  readonly i: string;
  readonly e: string;
  readonly t: number;
  readonly n: string;
  readonly x: string | null;
  readonly w: string | null;
  readonly u: number | null;
}

/** @throws InvalidArgumentError for a visibleAt that is not a time. */
export function messageParam(message: NewMessage, now: number): MessageParam {
  const visibleMs = message.visibleAt === undefined ? now : parseTime(message.visibleAt, "visibleAt", "up");
  const event = message.event;
  return {
    i: message.instanceId,
    e: message.executionId ?? null,
    v: JSON.stringify(event),
    a: visibleMs,
    t: event.type === "TimerFired" ? event.timerId : null,
    en: message.ensureInstance?.name ?? null,
  };
}

export function taskParam(task: NewActivityTask, now: number): TaskParam {
  return {
    i: task.instanceId,
    e: task.executionId,
    t: task.taskId,
    n: task.name,
    x: task.input ?? null,
    w: task.lease?.workerId ?? null,
    u: task.lease === undefined ? null : now + task.lease.leaseMs,
  };
}

/** The `create_row` document of a request; `refusal` adds what a parent receives when the id is taken. */
export function instanceParam(request: CreateInstanceRequest, now: number, refusal?: { parentExecutionId: string }) {
  const visible = request.scheduledStartAt === undefined ? now : parseTime(request.scheduledStartAt, "scheduledStartAt", "up");
  const parent = request.parent;
  const doc: Record<string, unknown> = {
    id: request.instanceId,
    name: request.name,
    version: request.version ?? null,
    exec: request.executionId,
    input: request.input ?? null,
    sched: request.scheduledStartAt ?? null,
    visible,
    pi: parent?.instanceId ?? null,
    pe: parent?.executionId ?? null,
    pn: parent?.name ?? null,
    pt: parent?.taskScheduledId ?? null,
    event: JSON.stringify(request.startEvent),
  };
  if (refusal !== undefined && parent !== undefined) {
    // The status that kept the id is only known in the database: it replaces the marker there.
    const marker = `<<status-${randomUUID()}>>`;
    doc.pe = parent.executionId ?? refusal.parentExecutionId;
    doc.marker = marker;
    doc.refusal = JSON.stringify(
      newEvent("SubOrchestrationInstanceFailed", new Date(now).toISOString(), {
        taskScheduledId: parent.taskScheduledId,
        failureDetails: {
          errorType: "InstanceExistsError",
          errorMessage: new InstanceExistsError(request.instanceId, marker as never).message,
        },
      }),
    );
  }
  return doc;
}

/** The inbox message ids of a commit that this store issued (the inline one is not stored). */
export function consumedIds(ids: readonly string[]): string[] {
  return ids.filter((id) => id !== INLINE_MESSAGE_ID).map(rowId).filter((id) => id !== undefined);
}

/** Parameters `$5…$17` of `apply_commit` (after id, token, now, origin), checked. */
export function commitParams(instanceId: string, commit: OrchestrationCommit, now: number, before: readonly MessageParam[] = []): unknown[] {
  for (const child of commit.children) {
    if (child.parent === undefined) {
      throw new InvalidArgumentError(
        `Child instance '${child.instanceId}' of '${instanceId}' has no parent; ` +
          `a CreateInstanceRequest in a commit's children must set parent.`,
      );
    }
  }
  const messages = [...before, ...commit.messages.map((m) => messageParam(m, now))];
  const children = commit.children.map((c) => instanceParam(c, now, { parentExecutionId: commit.executionId }));
  const next = commit.continueAsNew;
  return [
    commit.executionId,
    commit.history.map((e) => JSON.stringify(e)),
    consumedIds(commit.consumedMessageIds),
    commit.canceledTimerIds,
    commit.status,
    commit.output ?? null,
    commit.failureDetails === undefined ? null : JSON.stringify(commit.failureDetails),
    commit.customStatus ?? null,
    commit.tasks.length === 0 ? null : JSON.stringify(commit.tasks.map((t) => taskParam(t, now))),
    messages.length === 0 ? null : JSON.stringify(messages),
    children.length === 0 ? null : JSON.stringify(children),
    next === undefined
      ? null
      : JSON.stringify({ e: next.executionId, i: next.input ?? null, m: next.startMessages.map((e: HistoryEvent) => JSON.stringify(e)) }),
    commit.entityState ?? null,
  ];
}

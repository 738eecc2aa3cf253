/**
 * Rows of the SQLite schema and their mapping to the Store port's records, plus the time and
 * paging helpers the statements need.
 *
 * Invariants kept here:
 * 1. A NULL column becomes an absent field, so that an absent payload stays distinct from `"null"`.
 * 2. Events are stored as the JSON text of the event object and read back with JSON.parse: what
 *    goes in comes out, timestamps with nanoseconds included.
 * 3. Times compared in SQL are normalised to `toISOString()` form; a time with sub-millisecond
 *    digits is rounded towards "later" for visibility, so a timer is never handed out early.
 *
 * @module
 */
import type { ParentInstance } from "../../core/history.js";
import type { ActivityWorkItem, InboxMessage, InstanceRecord, RuntimeStatus } from "../store.js";
import { decodeEvent, decodeFailureDetails, iso, parseTime } from "../adapter-kit.js";

export interface InstanceRow {
  readonly instance_id: string;
  readonly kind: string;
  readonly name: string;
  readonly version: string | null;
  readonly execution_id: string;
  readonly status: string;
  readonly input: string | null;
  readonly output: string | null;
  readonly custom_status: string | null;
  readonly failure_details: string | null;
  readonly created_at: string;
  readonly last_updated_at: string;
  readonly completed_at: string | null;
  readonly scheduled_start_at: string | null;
  readonly parent_instance_id: string | null;
  readonly parent_execution_id: string | null;
  readonly parent_name: string | null;
  readonly parent_task_id: number | null;
  readonly lock_token: string | null;
  readonly locked_by: string | null;
  readonly locked_until: string | null;
  readonly entity_state: string | null;
}

export interface MessageRow {
  readonly id: number;
  readonly instance_id: string;
  readonly execution_id: string | null;
  readonly event: string;
  readonly visible_at: string;
}

export interface TaskRow {
  readonly id: number;
  readonly instance_id: string;
  readonly execution_id: string;
  readonly task_id: number;
  readonly name: string;
  readonly input: string | null;
  readonly lock_token: string | null;
  readonly locked_until: string | null;
  readonly dequeue_count: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function toInstanceRecord(row: InstanceRow): InstanceRecord {
  const record: Mutable<InstanceRecord> = {
    instanceId: row.instance_id,
    kind: row.kind as InstanceRecord["kind"],
    name: row.name,
    executionId: row.execution_id,
    status: row.status as RuntimeStatus,
    createdAt: row.created_at,
    lastUpdatedAt: row.last_updated_at,
  };
  if (row.version !== null) record.version = row.version;
  if (row.input !== null) record.input = row.input;
  if (row.output !== null) record.output = row.output;
  if (row.custom_status !== null) record.customStatus = row.custom_status;
  if (row.failure_details !== null) record.failureDetails = decodeFailureDetails(row.failure_details);
  if (row.completed_at !== null) record.completedAt = row.completed_at;
  if (row.scheduled_start_at !== null) record.scheduledStartAt = row.scheduled_start_at;
  if (row.parent_instance_id !== null) record.parent = toParent(row, row.parent_instance_id);
  if (row.entity_state !== null) record.entityState = row.entity_state;
  return record;
}

function toParent(row: InstanceRow, instanceId: string): ParentInstance {
  const parent: Mutable<ParentInstance> = {
    name: row.parent_name ?? "",
    instanceId,
    taskScheduledId: row.parent_task_id ?? -1,
  };
  if (row.parent_execution_id !== null) parent.executionId = row.parent_execution_id;
  return parent;
}

export function toInboxMessage(row: MessageRow): InboxMessage {
  const message: Mutable<InboxMessage> = {
    id: String(row.id),
    instanceId: row.instance_id,
    event: decodeEvent(row.event, `message ${row.id} of instance '${row.instance_id}'`),
    visibleAt: row.visible_at,
  };
  if (row.execution_id !== null) message.executionId = row.execution_id;
  return message;
}

export function toActivityWorkItem(row: TaskRow): ActivityWorkItem {
  const item: Mutable<ActivityWorkItem> = {
    id: String(row.id),
    instanceId: row.instance_id,
    executionId: row.execution_id,
    taskId: row.task_id,
    name: row.name,
    lockToken: row.lock_token ?? "",
    lockedUntil: row.locked_until ?? "",
    dequeueCount: row.dequeue_count,
  };
  if (row.input !== null) item.input = row.input;
  return item;
}

/** The row id behind a message or task id, or undefined for an id this store never issued. */
export function rowId(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const value = Number(id);
  return Number.isSafeInteger(value) ? value : undefined;
}

export { iso, parseTime };

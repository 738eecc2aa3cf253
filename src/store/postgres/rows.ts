/**
 * Rows of the PostgreSQL schema and their mapping to the Store port's records, plus the time and
 * paging helpers the store needs.
 *
 * Invariants kept here:
 * 1. A NULL column becomes an absent field, so that an absent payload stays distinct from `"null"`.
 * 2. Events are stored as the JSON text of the event object and read back with JSON.parse: what
 *    goes in comes out, timestamps with nanoseconds included.
 * 3. Times are stored as milliseconds and shown as `toISOString()`; a caller's time with
 *    sub-millisecond digits is rounded towards "later" for visibility, so a timer is never early.
 *
 * @module
 */
import type { HistoryEvent, ParentInstance } from "../../core/history.js";
import type { ActivityWorkItem, InboxMessage, InstanceRecord, RuntimeStatus } from "../store.js";
import { decodeFailureDetails, iso, parseTime } from "../adapter-kit.js";
import { UnreadableDataError } from "../errors.js";

/** bigint columns arrive as strings (pg's default for int8). */
type Int8 = string;

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
  readonly created_at: Int8;
  readonly last_updated_at: Int8;
  readonly completed_at: Int8 | null;
  readonly scheduled_start_at: string | null;
  readonly parent_instance_id: string | null;
  readonly parent_execution_id: string | null;
  readonly parent_name: string | null;
  readonly parent_task_id: number | null;
  readonly lock_token: string | null;
  readonly locked_until: Int8 | null;
  /** The number of events in the current execution's history. */
  readonly last_seq: number;
  readonly entity_state: string | null;
}

/** What the locking functions return: the instance's columns prefixed `o_`, and its visible messages. */
export type LockedRow = { readonly [K in keyof InstanceRow as `o_${K}`]: InstanceRow[K] | null } & {
  readonly o_msgs: string | null;
};

export interface TaskRow {
  readonly id: Int8;
  readonly instance_id: string;
  readonly execution_id: string;
  readonly task_id: number;
  readonly name: string;
  readonly input: string | null;
  readonly lock_token: string | null;
  readonly locked_until: Int8 | null;
  readonly dequeue_count: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The instance row inside a locking function's result, or undefined when nothing was locked. */
export function lockedInstance(row: LockedRow | undefined): InstanceRow | undefined {
  if (row === undefined || row.o_instance_id === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key !== "o_msgs" && key !== "o_result") out[key.slice(2)] = value;
  return out as unknown as InstanceRow;
}

export function toInstanceRecord(row: InstanceRow): InstanceRecord {
  const record: Mutable<InstanceRecord> = {
    instanceId: row.instance_id,
    kind: row.kind as InstanceRecord["kind"],
    name: row.name,
    executionId: row.execution_id,
    status: row.status as RuntimeStatus,
    createdAt: iso(Number(row.created_at)),
    lastUpdatedAt: iso(Number(row.last_updated_at)),
  };
  if (row.version !== null) record.version = row.version;
  if (row.input !== null) record.input = row.input;
  if (row.output !== null) record.output = row.output;
  if (row.custom_status !== null) record.customStatus = row.custom_status;
  if (row.failure_details !== null) record.failureDetails = decodeFailureDetails(row.failure_details);
  if (row.completed_at !== null) record.completedAt = iso(Number(row.completed_at));
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

/** Messages as aggregated by the locking functions: elements `["id", executionId, visibleAt, event]`. */
/** @throws UnreadableDataError when a stored message is not the JSON of an event. */
export function toInboxMessages(instanceId: string, aggregated: string | null): InboxMessage[] {
  if (aggregated === null) return [];
  let entries: Array<[string, string | null, number, HistoryEvent]>;
  try {
    entries = JSON.parse(`[${aggregated}]`) as typeof entries;
  } catch (error) {
    throw new UnreadableDataError(`messages of instance '${instanceId}'`, `they are not JSON (${(error as Error).message})`);
  }
  if (entries.some((entry) => entry[3] === null || typeof entry[3] !== "object" || typeof entry[3].type !== "string")) {
    throw new UnreadableDataError(`messages of instance '${instanceId}'`, "one is not an event object with a type");
  }
  return entries.map(([id, executionId, visibleAt, event]) => {
    const message: Mutable<InboxMessage> = { id, instanceId, event, visibleAt: iso(visibleAt) };
    if (executionId !== null) message.executionId = executionId;
    return message;
  });
}

export function toActivityWorkItem(row: TaskRow): ActivityWorkItem {
  const item: Mutable<ActivityWorkItem> = {
    id: String(row.id),
    instanceId: row.instance_id,
    executionId: row.execution_id,
    taskId: row.task_id,
    name: row.name,
    lockToken: row.lock_token ?? "",
    lockedUntil: row.locked_until === null ? "" : iso(Number(row.locked_until)),
    dequeueCount: row.dequeue_count,
  };
  if (row.input !== null) item.input = row.input;
  return item;
}

/** The row id behind a message or task id, or undefined for an id this store never issued. */
export function rowId(id: string): string | undefined {
  // Negative ids are those of a continue-as-new's start messages (functions.ts, version 6).
  return /^-?[1-9][0-9]{0,17}$/.test(id) ? id : undefined;
}

export { iso, parseTime };

/**
 * What a store keeps of an entity, as one opaque payload: the user's state (JSON text), the lock
 * of the critical section that holds it, and the operations put aside while it is locked.
 *
 * Invariants kept here:
 * 1. The user's state is kept as the exact JSON text the operation produced; absent means the
 *    entity has no state (never set, or deleted), which is distinct from a state of `null`.
 * 2. An entity with no state, no lock and nothing put aside is empty: its record is absent, so a
 *    store can tell empty entities apart without parsing the record.
 *
 * @module
 */
import { SerializationError } from "../errors.js";
import type { HistoryEvent } from "../history.js";
import type { Payload } from "../serde.js";

/** The critical section that holds an entity. */
export interface EntityLockRecord {
  /** The orchestration instance that holds the lock. */
  readonly owner: string;
  readonly ownerExecutionId?: string | undefined;
  readonly criticalSectionId: string;
}

/** An entity as stored, parsed. */
export interface EntityRecord {
  /** The user's state, as JSON text; absent when the entity has none. */
  readonly state?: Payload;
  readonly lock?: EntityLockRecord | undefined;
  /** Messages put aside while the entity was locked by another orchestration, in arrival order. */
  readonly queue: readonly HistoryEvent[];
}

/** Reads a stored entity record; an absent payload is an empty entity. */
export function parseEntityRecord(payload: Payload, instanceId = "an entity"): EntityRecord {
  if (payload === undefined) return { queue: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (cause) {
    throw new SerializationError(`Cannot read the stored record of ${instanceId}: it is not valid JSON.`, { cause });
  }
  const raw = (parsed ?? {}) as { state?: unknown; lock?: unknown; queue?: unknown };
  const record: { state?: Payload; lock?: EntityLockRecord; queue: HistoryEvent[] } = {
    queue: Array.isArray(raw.queue) ? (raw.queue as HistoryEvent[]) : [],
  };
  if (typeof raw.state === "string") record.state = raw.state;
  if (raw.lock !== null && typeof raw.lock === "object") record.lock = raw.lock as EntityLockRecord;
  return record;
}

/** The payload to store for a record, or undefined for an empty entity. */
export function serializeEntityRecord(record: EntityRecord): Payload {
  if (record.state === undefined && record.lock === undefined && record.queue.length === 0) return undefined;
  const out: { state?: string; lock?: EntityLockRecord; queue?: readonly HistoryEvent[] } = {};
  if (record.state !== undefined) out.state = record.state;
  if (record.lock !== undefined) out.lock = record.lock;
  if (record.queue.length > 0) out.queue = record.queue;
  return JSON.stringify(out);
}

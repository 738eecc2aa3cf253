/**
 * Every SQL statement of the SQLite adapter, as named constants or pure functions of their
 * parameters. Statements bind named parameters (`:name`); the adapter prepares each text once.
 *
 * Conventions the statements rely on:
 * 1. Timestamps are ISO-8601 UTC strings in one format (`Date.prototype.toISOString`), so that
 *    comparing them as text compares them as times.
 * 2. A lease is live while `locked_until > :now`; at `locked_until <= :now` it has expired.
 * 3. Fenced writes carry the lock token in their `WHERE`; zero rows changed means the lease is lost.
 * 4. A leased task's `visible_at` is its lease expiry, so "ready" is one range of the
 *    `tasks_by_visible` index and in-flight tasks are not scanned by `leaseActivities`.
 *
 * @module
 */

// ---------------------------------------------------------------------------------------------
// Instances

/** Columns of an instance row, as read by every statement that returns one. */
const INSTANCE_COLUMNS = `instance_id, kind, name, version, execution_id, status, input, output, custom_status,
  failure_details, created_at, last_updated_at, completed_at, scheduled_start_at, parent_instance_id,
  parent_execution_id, parent_name, parent_task_id, lock_token, locked_by, locked_until, entity_state`;

export const SELECT_INSTANCE = `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE instance_id = :instanceId`;

export const INSERT_INSTANCE = `INSERT INTO instances (instance_id, kind, name, version, execution_id, status, input,
  created_at, last_updated_at, scheduled_start_at, parent_instance_id, parent_execution_id, parent_name, parent_task_id)
VALUES (:instanceId, :kind, :name, :version, :executionId, :status, :input,
  :now, :now, :scheduledStartAt, :parentInstanceId, :parentExecutionId, :parentName, :parentTaskId)`;

/** An entity's row, written by its first message; an existing row (of any kind) is kept. */
export const INSERT_ENTITY_IF_MISSING = `INSERT INTO instances (instance_id, kind, name, execution_id, status, created_at, last_updated_at)
VALUES (:instanceId, 'entity', :name, '', 'Running', :now, :now)
ON CONFLICT (instance_id) DO NOTHING`;

/** Deleting the row deletes its messages, history and tasks (ON DELETE CASCADE). */
export const DELETE_INSTANCE = `DELETE FROM instances WHERE instance_id = :instanceId`;

/** Which conditions the search for the next ready instance has; the statement text depends only on this. */
export interface ReadyShape {
  /** Among instances of the names in :orchestrations and :entities (see NAMED), or of every other name. */
  readonly names: "any" | "only" | "except";
  /** Orchestrations by version (see VERSIONED): passing over other versions, or only those. */
  readonly versions: "any" | "allowed" | "complement";
}

/**
 * An instance `i` of the names in :orchestrations and :entities (JSON arrays of lower-case names):
 * an entity by the name in its id (`@name@key`). perdure_fold is JavaScript's toLowerCase (see SqliteStore).
 */
const NAMED = `CASE WHEN i.kind = 'entity'
    THEN perdure_fold(CASE WHEN substr(i.instance_id, 1, 1) = '@' AND instr(substr(i.instance_id, 2), '@') > 1
        THEN substr(i.instance_id, 2, instr(substr(i.instance_id, 2), '@') - 1) ELSE i.name END)
      IN (SELECT value FROM json_each(:entities))
    ELSE perdure_fold(i.name) IN (SELECT value FROM json_each(:orchestrations)) END`;

/**
 * An orchestration on a version :versionKeys allows: its name is not among :versionNames, or its
 * `name<US>version` key (char(31); "" for no version) is among :versionKeys. Entities always are.
 */
const VERSIONED = `(i.kind = 'entity' OR perdure_fold(i.name) NOT IN (SELECT value FROM json_each(:versionNames))
    OR perdure_fold(i.name) || char(31) || COALESCE(i.version, '') IN (SELECT value FROM json_each(:versionKeys)))`;

/**
 * The instance whose oldest visible message is the oldest of all, among instances without a live
 * lease (and of the names and versions the shape asks for). Walks `messages_by_visible` from the
 * oldest entry and stops at the first free instance that qualifies.
 */
export function nextReadyInstanceSql(shape: ReadyShape): string {
  const conditions = ["m.visible_at <= :now", "(i.locked_until IS NULL OR i.locked_until <= :now)"];
  if (shape.names === "only") conditions.push(NAMED);
  if (shape.names === "except") conditions.push(`NOT (${NAMED})`);
  if (shape.versions === "allowed") conditions.push(VERSIONED);
  if (shape.versions === "complement") conditions.push(`i.kind = 'orchestration' AND NOT ${VERSIONED}`);
  return `SELECT m.instance_id AS instanceId, i.rowid AS rowid
FROM messages m JOIN instances i ON i.instance_id = m.instance_id
WHERE ${conditions.join("\n  AND ")}
ORDER BY m.visible_at, m.id
LIMIT 1`;
}

/** An instance row by its rowid: for a row whose id does not read back as it was written. */
export const SELECT_INSTANCE_ROW = `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE rowid = :rowid`;

/**
 * Sets an instance aside (see SqliteStore.park): Failed with :failure, held by a lease that never
 * expires. By rowid, which reaches a row whose id does not read back as written.
 */
export const PARK_INSTANCE = `UPDATE instances SET status = 'Failed', failure_details = :failure, last_updated_at = :now,
  completed_at = COALESCE(completed_at, :now), lock_token = :lockToken, locked_by = :workerId, locked_until = :lockedUntil
WHERE rowid = :rowid`;

/** The rowid of an instance. */
export const SELECT_INSTANCE_ROWID = `SELECT rowid FROM instances WHERE instance_id = :instanceId`;

export const LOCK_INSTANCE = `UPDATE instances SET lock_token = :lockToken, locked_by = :workerId, locked_until = :lockedUntil
WHERE instance_id = :instanceId`;

/** Fenced: changes no row when the token no longer holds. */
export const RELEASE_INSTANCE_LOCK = `UPDATE instances SET lock_token = NULL, locked_by = NULL, locked_until = NULL
WHERE instance_id = :instanceId AND lock_token = :lockToken`;

/** Fenced: changes no row when the token no longer holds. */
export const RENEW_INSTANCE_LOCK = `UPDATE instances SET locked_until = :lockedUntil
WHERE instance_id = :instanceId AND lock_token = :lockToken`;

/**
 * The row after an episode. A null `:output` / `:failureDetails` leaves the column unchanged; the
 * custom status is always replaced; `completed_at` is set when the instance first becomes terminal.
 * The lease is released.
 */
export const UPDATE_INSTANCE_AFTER_EPISODE = `UPDATE instances SET
  status = :status,
  output = COALESCE(:output, output),
  failure_details = COALESCE(:failureDetails, failure_details),
  custom_status = :customStatus,
  entity_state = :entityState,
  last_updated_at = :now,
  completed_at = CASE WHEN :isTerminal THEN COALESCE(completed_at, :now) ELSE NULL END,
  lock_token = NULL, locked_by = NULL, locked_until = NULL
WHERE instance_id = :instanceId`;

/** Continue-as-new and rewind: a fresh run of the instance, output and failure cleared. */
export const RESTART_INSTANCE = `UPDATE instances SET
  execution_id = :executionId,
  input = CASE WHEN :keepInput THEN input ELSE :input END,
  status = :status,
  output = NULL, failure_details = NULL, completed_at = NULL,
  last_updated_at = :now,
  lock_token = NULL, locked_by = NULL, locked_until = NULL
WHERE instance_id = :instanceId`;

/**
 * An entity that may be deleted: it saved no state and has no messages and no live lease, so that
 * no operation on its way is lost with it.
 */
export const EMPTY_ENTITY_CONDITION = `entity_state IS NULL
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.instance_id = instances.instance_id)
  AND (locked_until IS NULL OR locked_until <= :now)`;

export const SELECT_EMPTY_ENTITY = `SELECT 1 AS found FROM instances WHERE instance_id = :instanceId AND ${EMPTY_ENTITY_CONDITION}`;

// ---------------------------------------------------------------------------------------------
// Messages

/** Inserts only when the addressed instance exists; a message to a missing instance is dropped. */
export const INSERT_MESSAGE = `INSERT INTO messages (instance_id, execution_id, event, visible_at, timer_id)
SELECT :instanceId, :executionId, :event, :visibleAt, :timerId
WHERE EXISTS (SELECT 1 FROM instances WHERE instance_id = :instanceId)`;

/** An instance's visible messages in write order. */
export const SELECT_VISIBLE_MESSAGES = `SELECT id, instance_id, execution_id, event, visible_at FROM messages
WHERE instance_id = :instanceId AND visible_at <= :now
ORDER BY id`;

export const SELECT_HAS_VISIBLE_MESSAGE = `SELECT 1 AS found FROM messages
WHERE instance_id = :instanceId AND visible_at <= :now LIMIT 1`;

/** `:ids` is a JSON array of message ids. */
export const DELETE_MESSAGES_BY_ID = `DELETE FROM messages
WHERE instance_id = :instanceId AND id IN (SELECT value FROM json_each(:ids))`;

/** `:timerIds` is a JSON array. Timers written without an execution id belong to whichever execution is current. */
export const DELETE_TIMER_MESSAGES = `DELETE FROM messages
WHERE instance_id = :instanceId AND timer_id IN (SELECT value FROM json_each(:timerIds))
  AND (execution_id = :executionId OR execution_id IS NULL)`;

/** The newest message of an instance (0 when it has none). */
export const SELECT_LAST_MESSAGE_ID = `SELECT COALESCE(MAX(id), 0) AS id FROM messages WHERE instance_id = :instanceId`;

/**
 * Continue-as-new: the messages that were waiting for the instance (ids up to :upTo) are written
 * again, in their order, behind the new execution's start messages; DELETE_MESSAGES_UP_TO then
 * removes the old rows.
 */
export const COPY_MESSAGES_UP_TO = `INSERT INTO messages (instance_id, execution_id, event, visible_at, timer_id)
SELECT instance_id, execution_id, event, visible_at, timer_id FROM messages
WHERE instance_id = :instanceId AND id <= :upTo
ORDER BY id`;

export const DELETE_MESSAGES_UP_TO = `DELETE FROM messages WHERE instance_id = :instanceId AND id <= :upTo`;

/** Messages addressed to an execution that has ended can never be applied. */
export const DELETE_EXECUTION_MESSAGES = `DELETE FROM messages WHERE instance_id = :instanceId AND execution_id = :executionId`;

export const DELAY_VISIBLE_MESSAGES = `UPDATE messages SET visible_at = :visibleAt
WHERE instance_id = :instanceId AND visible_at <= :now`;

// ---------------------------------------------------------------------------------------------
// History

export const SELECT_LAST_HISTORY_SEQ = `SELECT COALESCE(MAX(seq), 0) AS seq FROM history WHERE instance_id = :instanceId`;

export const INSERT_HISTORY_EVENT = `INSERT INTO history (instance_id, seq, execution_id, event)
VALUES (:instanceId, :seq, :executionId, :event)`;

export const DELETE_HISTORY = `DELETE FROM history WHERE instance_id = :instanceId`;

/** The whole history of the execution, for a stepper that runs cold. */
export const SELECT_EXECUTION_HISTORY = `SELECT seq, event FROM history
WHERE instance_id = :instanceId AND execution_id = :executionId ORDER BY seq`;

/** A page of the current execution's history; `:limit` -1 means no limit. */
export const SELECT_HISTORY_PAGE = `SELECT h.seq, h.event FROM history h JOIN instances i
  ON i.instance_id = h.instance_id AND i.execution_id = h.execution_id
WHERE h.instance_id = :instanceId AND h.seq > :after
ORDER BY h.seq
LIMIT :limit`;

// ---------------------------------------------------------------------------------------------
// Activity tasks

const TASK_COLUMNS = `id, instance_id, execution_id, task_id, name, input, lock_token, locked_until, dequeue_count`;

export const INSERT_TASK = `INSERT INTO tasks (instance_id, execution_id, task_id, name, input, visible_at,
  lock_token, locked_by, locked_until, dequeue_count)
VALUES (:instanceId, :executionId, :taskId, :name, :input, :visibleAt,
  :lockToken, :workerId, :lockedUntil, :dequeueCount)
RETURNING ${TASK_COLUMNS}`;

export const SELECT_READY_TASK_IDS = `SELECT id FROM tasks
WHERE visible_at <= :now AND (locked_until IS NULL OR locked_until <= :now)
ORDER BY visible_at, id
LIMIT :max`;

/** As SELECT_READY_TASK_IDS, among the tasks of the activities in :names (a JSON array of lower-case names), or all but those. */
export function selectReadyTaskIdsSql(except: boolean): string {
  return `SELECT id FROM tasks
WHERE visible_at <= :now AND (locked_until IS NULL OR locked_until <= :now)
  AND perdure_fold(name) ${except ? "NOT IN" : "IN"} (SELECT value FROM json_each(:names))
ORDER BY visible_at, id
LIMIT :max`;
}

export const LOCK_TASK = `UPDATE tasks SET lock_token = :lockToken, locked_by = :workerId, locked_until = :lockedUntil,
  visible_at = :lockedUntil, dequeue_count = dequeue_count + 1
WHERE id = :id
RETURNING ${TASK_COLUMNS}`;

/** Fenced. Returns the deleted row, or nothing when the lease no longer holds. */
export const DELETE_LEASED_TASK = `DELETE FROM tasks WHERE id = :id AND lock_token = :lockToken RETURNING id`;

/** Fenced. */
export const RELEASE_TASK_LOCK = `UPDATE tasks SET lock_token = NULL, locked_by = NULL, locked_until = NULL,
  visible_at = :visibleAt
WHERE id = :id AND lock_token = :lockToken`;

/** Fenced. */
export const RENEW_TASK_LOCK = `UPDATE tasks SET locked_until = :lockedUntil, visible_at = :lockedUntil
WHERE id = :id AND lock_token = :lockToken`;

// ---------------------------------------------------------------------------------------------
// Wake-ups

/**
 * The earliest future time at which a message or task becomes visible or an instance lease
 * expires; the lease of an instance set aside (:parkedToken) never expires, so it is no wake-up.
 */
export const SELECT_NEXT_WAKE_UP = `SELECT MIN(t) AS at FROM (
  SELECT MIN(visible_at) AS t FROM messages WHERE visible_at > :now
  UNION ALL SELECT MIN(visible_at) FROM tasks WHERE visible_at > :now
  UNION ALL SELECT MIN(locked_until) FROM instances WHERE locked_until > :now AND lock_token IS NOT :parkedToken
)`;

// ---------------------------------------------------------------------------------------------
// Queries and bulk purge

/**
 * Which conditions of an instance filter are present; the statement text depends only on this.
 * The kind (`:kind`) is always a condition.
 */
export interface FilterShape {
  readonly statuses: boolean;
  readonly createdFrom: boolean;
  readonly createdTo: boolean;
  readonly instanceIdPrefix: boolean;
  readonly name: boolean;
  readonly version: boolean;
  readonly parentInstanceId: boolean;
}

/**
 * The `WHERE` conditions of an instance filter. Parameters: `:statuses` (JSON array),
 * `:createdFrom`, `:createdTo`, `:prefix`, `:name`, `:parentInstanceId`. The prefix test is a
 * range on the primary key (indexable) plus an exact check.
 */
export function instanceFilterConditions(shape: FilterShape): string[] {
  const conditions: string[] = ["kind = :kind"];
  if (shape.statuses) conditions.push("status IN (SELECT value FROM json_each(:statuses))");
  if (shape.createdFrom) conditions.push("created_at >= :createdFrom");
  if (shape.createdTo) conditions.push("created_at <= :createdTo");
  if (shape.instanceIdPrefix) {
    conditions.push("instance_id >= :prefix AND substr(instance_id, 1, length(:prefix)) = :prefix");
  }
  if (shape.name) conditions.push("name = :name");
  if (shape.version) conditions.push("COALESCE(version, '') = :version");
  if (shape.parentInstanceId) conditions.push("parent_instance_id = :parentInstanceId");
  return conditions;
}

/**
 * A page of instances in creation order: newest first (created_at DESC, instance_id DESC) or, with
 * `order` "asc", oldest first. With `afterKey`, only rows after the key `(:afterCreatedAt,
 * :afterInstanceId)` of the previous page's last row. `:limit` is one more than the page size, to
 * learn whether another page follows.
 */
export function queryInstancesSql(shape: FilterShape, afterKey: boolean, order: "asc" | "desc" = "desc"): string {
  const conditions = instanceFilterConditions(shape);
  const [after, direction] = order === "asc" ? [">", "ASC"] : ["<", "DESC"];
  if (afterKey) {
    conditions.push(
      `(created_at ${after} :afterCreatedAt OR (created_at = :afterCreatedAt AND instance_id ${after} :afterInstanceId))`,
    );
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return `SELECT ${INSTANCE_COLUMNS} FROM instances ${where}
ORDER BY created_at ${direction}, instance_id ${direction}
LIMIT :limit`;
}

/** How many instances match the filter, by status: read from the index on (kind, status, created_at). */
export function countInstancesSql(shape: FilterShape): string {
  return `SELECT status, count(*) AS count FROM instances WHERE ${instanceFilterConditions(shape).join(" AND ")}
GROUP BY status`;
}

/**
 * Up to `:limit` ids of finished instances that match the filter: orchestrations in a terminal
 * status (`:terminal`, a JSON array), entities that are empty.
 */
export function selectPurgeableSql(shape: FilterShape, kind: "orchestration" | "entity"): string {
  const finished = kind === "entity" ? EMPTY_ENTITY_CONDITION : "status IN (SELECT value FROM json_each(:terminal))";
  const conditions = [...instanceFilterConditions(shape), finished];
  return `SELECT instance_id AS instanceId FROM instances WHERE ${conditions.join(" AND ")}
ORDER BY created_at, instance_id
LIMIT :limit`;
}

/**
 * A page of finished orchestrations in the order they finished (completed_at, instance_id), after
 * the key `(:afterCompletedAt, :afterInstanceId)` when given. `:statuses` is a JSON array of
 * terminal statuses; `:limit` is one more than the page size, to learn whether more follow.
 */
export function selectFinishedSql(shape: { completedFrom: boolean; completedTo: boolean; after: boolean }): string {
  const conditions = ["kind = 'orchestration'", "completed_at IS NOT NULL", "status IN (SELECT value FROM json_each(:statuses))"];
  if (shape.completedFrom) conditions.push("completed_at >= :completedFrom");
  if (shape.completedTo) conditions.push("completed_at < :completedTo");
  if (shape.after) {
    conditions.push("(completed_at > :afterCompletedAt OR (completed_at = :afterCompletedAt AND instance_id > :afterInstanceId))");
  }
  return `SELECT instance_id AS instanceId, completed_at AS completedAt FROM instances
WHERE ${conditions.join(" AND ")}
ORDER BY completed_at, instance_id
LIMIT :limit`;
}

/** Everything the store holds, table by table (faster than a cascade row by row); children before instances. */
export const DELETE_EVERYTHING = [`DELETE FROM messages`, `DELETE FROM history`, `DELETE FROM tasks`, `DELETE FROM instances`] as const;

// ---------------------------------------------------------------------------------------------
// Worker registrations

export const UPSERT_WORKER = `INSERT INTO workers (worker_id, orchestrations, started_at, renewed_at, expires_at)
VALUES (:workerId, :orchestrations, :now, :now, :expiresAt)
ON CONFLICT (worker_id) DO UPDATE SET orchestrations = excluded.orchestrations, renewed_at = excluded.renewed_at,
  expires_at = excluded.expires_at`;

export const DELETE_WORKER = `DELETE FROM workers WHERE worker_id = :workerId`;

/** Registrations that expired long ago are of no use to anyone. */
export const DELETE_EXPIRED_WORKERS = `DELETE FROM workers WHERE expires_at < :before`;

export const SELECT_LIVE_WORKERS = `SELECT worker_id, orchestrations, started_at, renewed_at, expires_at FROM workers
WHERE expires_at > :now ORDER BY worker_id`;

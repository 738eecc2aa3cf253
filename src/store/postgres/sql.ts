/**
 * Every SQL statement the PostgreSQL store sends, as pure functions of the quoted schema name
 * (and, for queries, of the filter's shape). Parameters are positional (`$1`, …); the store
 * sends each text as a named prepared statement, parsed once per connection.
 *
 * Conventions the statements rely on (see functions.ts for the functions they call):
 * 1. Times are milliseconds since the epoch, passed in from the store's clock.
 * 2. Fenced writes carry the lock token in their `WHERE`; zero rows means the lease is lost.
 * 3. Ready work is found with `FOR UPDATE SKIP LOCKED`, so concurrent workers never wait on
 *    each other and never get the same row.
 *
 * @module
 */
import { INSTANCE_COLUMNS } from "./functions.js";

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// ---------------------------------------------------------------------------------------------
// Instances and episodes (calls of the functions in functions.ts)

export const createInstance = (s: string) => `SELECT ${s}.create_instance($1::json, $2, $3, $4) AS taken`;

/** A start and the first episode run ahead of it, in one statement (functions.ts, create_step). */
export const createStep = (s: string) => `SELECT * FROM ${s}.create_step($1::json, $2, $3, $4, $5, $6, $7::text[],
  $8::bigint[], $9::integer[], $10, $11, $12, $13, $14::json, $15::json, $16::json, $17::json, $18)`;

export const sendMessages = (s: string) => `SELECT ${s}.send_messages($1::json, $2, $3) AS missing`;

export const leaseInstance = (s: string) => `SELECT * FROM ${s}.lease_instance($1, $2, $3)`;

/** As leaseInstance, passing over the instances of the names in `$4` (orchestrations) and `$5` (entities). */
export const leaseInstanceExcept = (s: string) => `SELECT * FROM ${s}.lease_instance($1, $2, $3, $4::text[], $5::text[])`;

/**
 * Up to `$2` ready instances (of the names in `$3`, `$4` when not NULL; of the versions `$5`, `$6`
 * allow when not NULL, or with `$7` only the others), locked, each with its visible messages.
 */
export const nextInstances = (s: string) =>
  `SELECT * FROM ${s}.next_instances($1, $2, $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean)`;

export const beginComplete = (s: string) => `SELECT * FROM ${s}.begin_complete($1, $2, $3, $4, $5, $6)`;

export const applyCommit = (s: string) => `SELECT * FROM ${s}.apply_commit($1, $2, $3, $4, $5, $6::text[],
  $7::bigint[], $8::integer[], $9, $10, $11, $12, $13::json, $14::json, $15::json, $16::json, $17)`;

/**
 * Sets an instance aside (see PostgresStore.park): Failed with $2, held by a lease that never
 * expires ($4–$6), and puts the messages $7 (the parent's notice, an inline outcome) in their inboxes.
 */
export const parkInstance = (s: string) => `WITH parked AS (
  UPDATE ${s}.instances SET status = 'Failed', failure_details = $2, last_updated_at = $3,
    completed_at = coalesce(completed_at, $3), lock_token = $4, locked_by = $5, locked_until = $6
  WHERE instance_id = $1 RETURNING 1)
SELECT ${s}.insert_messages($7::json, $3) AS work FROM parked`;

/** A completion and the episode run ahead of it, in one statement (functions.ts, complete_step). */
export const completeStep = (s: string) => `SELECT * FROM ${s}.complete_step($1, $2, $3, $4, $5, $6, $7, $8, $9::text[],
  $10::bigint[], $11::integer[], $12, $13, $14, $15, $16::json, $17::json, $18::json, $19::json, $20)`;

export const abandonInstance = (s: string) => `SELECT ${s}.abandon_instance($1, $2, $3, $4, $5) AS result`;

/** Fenced. */
export const renewInstance = (s: string) => `UPDATE ${s}.instances SET locked_until = $3
WHERE instance_id = $1 AND lock_token = $2
RETURNING 1 AS renewed`;

export const rewind = (s: string) => `SELECT ${s}.rewind($1, $2, $3::text[], $4::json, $5::json, $6::json, $7, $8) AS result`;

export const purgeInstance = (s: string) => `SELECT ${s}.purge_instance($1, $2) AS result`;

export const selectInstance = (s: string) => `SELECT ${INSTANCE_COLUMNS} FROM ${s}.instances WHERE instance_id = $1`;

/** The instances of the ids in `$1` (a text array) that exist. */
export const selectInstances = (s: string) => `SELECT ${INSTANCE_COLUMNS} FROM ${s}.instances WHERE instance_id = ANY ($1::text[])`;

// ---------------------------------------------------------------------------------------------
// History

/** The whole history of the execution, for a stepper that runs cold, as one JSON array text. */
export const selectExecutionHistory = (s: string) => `SELECT '[' || coalesce(string_agg(event, ',' ORDER BY seq), '') || ']' AS events
FROM ${s}.history WHERE instance_id = $1 AND execution_id = $2`;

/** A page of the current execution's history; `$3` NULL means no limit. */
export const selectHistoryPage = (s: string) => `SELECT h.seq, h.event FROM ${s}.history h JOIN ${s}.instances i
  ON i.instance_id = h.instance_id AND i.execution_id = h.execution_id
WHERE h.instance_id = $1 AND h.seq > $2
ORDER BY h.seq
LIMIT $3`;

// ---------------------------------------------------------------------------------------------
// Activity tasks

const TASK_COLUMNS = `id, instance_id, execution_id, task_id, name, input, lock_token, locked_until, dequeue_count`;

/** Leases up to `$4` ready tasks, oldest first; each gets its own token. */
export const leaseTasks = (s: string) => leaseTasksWhere(s, "");

/** As leaseTasks, among the tasks of the activities in `$5` (lower-case names). */
export const leaseTasksOf = (s: string) => leaseTasksWhere(s, "AND lower(name) = ANY ($5::text[])");

/** As leaseTasks, passing over the tasks of the activities in `$5` (lower-case names). */
export const leaseTasksExcept = (s: string) => leaseTasksWhere(s, "AND lower(name) <> ALL ($5::text[])");

function leaseTasksWhere(s: string, names: string): string {
  return `WITH ready AS (
  SELECT id, visible_at FROM ${s}.tasks
  WHERE visible_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)${names === "" ? "" : `\n    ${names}`}
  ORDER BY visible_at, id
  LIMIT $4
  FOR UPDATE SKIP LOCKED)
UPDATE ${s}.tasks t SET lock_token = gen_random_uuid()::text, locked_by = $2, locked_until = $3, visible_at = $3,
  dequeue_count = t.dequeue_count + 1
FROM ready WHERE t.id = ready.id
RETURNING ${TASK_COLUMNS.replace(/(\w+)/g, "t.$1")}, ready.visible_at AS ready_at`;
}

/** Fenced, per item. Completions that step nothing, many at once (functions.ts, complete_tasks). */
export const completeTasks = (s: string) => `SELECT ${s}.complete_tasks($1::json, $2) AS results`;

export const abandonTask = (s: string) => `SELECT ${s}.abandon_task($1, $2, $3, $4, $5) AS found`;

/** Fenced. */
export const renewTask = (s: string) => `UPDATE ${s}.tasks SET locked_until = $3, visible_at = $3
WHERE id = $1 AND lock_token = $2
RETURNING 1 AS renewed`;

/** Puts messages in inboxes of existing instances; whether one is visible now. */
export const insertMessages = (s: string) => `SELECT ${s}.insert_messages($1::json, $2) AS work`;

// ---------------------------------------------------------------------------------------------
// Wake-ups

/**
 * The earliest future time at which a message or task becomes visible or an instance lease
 * expires; the lease of an instance set aside (token `$2`) never expires, so it is no wake-up.
 */
export const selectNextWakeUp = (s: string) => `SELECT LEAST(
  (SELECT min(visible_at) FROM ${s}.messages WHERE visible_at > $1),
  (SELECT min(visible_at) FROM ${s}.tasks WHERE visible_at > $1),
  (SELECT min(locked_until) FROM ${s}.instances WHERE locked_until > $1 AND lock_token IS DISTINCT FROM $2)) AS at`;

// ---------------------------------------------------------------------------------------------
// Queries and bulk purge

/** Which conditions of an instance filter are present; the statement text depends only on this. */
export interface FilterShape {
  readonly kind: true;
  readonly statuses: boolean;
  readonly createdFrom: boolean;
  readonly createdTo: boolean;
  readonly instanceIdPrefix: boolean;
  readonly name: boolean;
  readonly version: boolean;
  readonly parentInstanceId: boolean;
}

/**
 * Filter parameters in the order their conditions are written; only those present in the shape
 * are sent, but the kind always is: orchestrations and entities are never mixed.
 */
export const FILTER_PARAMS = ["kind", "statuses", "createdFrom", "createdTo", "instanceIdPrefix", "name", "version", "parentInstanceId"] as const;

/**
 * The `WHERE` conditions of an instance filter, numbering the parameters of the present
 * conditions from `$1` in FILTER_PARAMS order. The prefix test is a range on the primary key
 * (indexable, "C" collation) plus an exact check. Returns the conditions and the next free number.
 */
export function instanceFilterConditions(shape: FilterShape): { conditions: string[]; next: number } {
  const conditions: string[] = ["kind = $1::text"];
  let n = 1;
  if (shape.statuses) conditions.push(`status = ANY ($${++n}::text[])`);
  if (shape.createdFrom) conditions.push(`created_at >= $${++n}::bigint`);
  if (shape.createdTo) conditions.push(`created_at <= $${++n}::bigint`);
  if (shape.instanceIdPrefix) {
    n += 1;
    conditions.push(`instance_id >= $${n}::text AND starts_with(instance_id, $${n}::text)`);
  }
  if (shape.name) conditions.push(`name = $${++n}::text`);
  if (shape.version) conditions.push(`coalesce(version, '') = $${++n}::text`);
  if (shape.parentInstanceId) conditions.push(`parent_instance_id = $${++n}::text`);
  return { conditions, next: n + 1 };
}

/**
 * A page of instances in creation order, newest first (created_at DESC, instance_id DESC) or, with
 * `order` "asc", oldest first: the filter's parameters, then the limit (one more than the page
 * size), then with `afterKey` the key (created_at, instance_id) of the previous page's last row.
 */
export function queryInstances(s: string, shape: FilterShape, afterKey: boolean, order: "asc" | "desc" = "desc"): string {
  const { conditions, next } = instanceFilterConditions(shape);
  const [after, direction] = order === "asc" ? [">", "ASC"] : ["<", "DESC"];
  if (afterKey) {
    conditions.push(`(created_at ${after} $${next + 1}::bigint OR (created_at = $${next + 1}::bigint AND instance_id ${after} $${next + 2}::text))`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "";
  return `SELECT ${INSTANCE_COLUMNS} FROM ${s}.instances ${where}
ORDER BY created_at ${direction}, instance_id ${direction}
LIMIT $${next}`;
}

/** How many instances match the filter, by status (the filter's parameters): an index-only scan of instances_by_kind_status. */
export function countInstances(s: string, shape: FilterShape): string {
  return `SELECT status, count(*)::integer AS count FROM ${s}.instances WHERE ${instanceFilterConditions(shape).conditions.join(" AND ")}
GROUP BY status`;
}

/**
 * An entity that may be deleted: it saved no state and has no messages and no live lease, so that
 * no operation on its way is lost with it. `now` is the parameter holding the time.
 */
export function emptyEntity(s: string, now: string): string {
  return `entity_state IS NULL AND (locked_until IS NULL OR locked_until <= ${now})
    AND NOT EXISTS (SELECT 1 FROM ${s}.messages m WHERE m.instance_id = instances.instance_id)`;
}

/**
 * Deletes finished instances of the filter's kind that match it — orchestrations in a terminal
 * status, empty entities: the filter's parameters, then the limit, then the terminal statuses
 * (orchestrations) or now (entities).
 */
export function purgeInstances(s: string, shape: FilterShape, kind: "orchestration" | "entity"): string {
  const { conditions, next } = instanceFilterConditions(shape);
  conditions.push(kind === "entity" ? emptyEntity(s, `$${next + 1}::bigint`) : `status = ANY ($${next + 1}::text[])`);
  return `WITH victims AS (
  SELECT instance_id FROM ${s}.instances WHERE ${conditions.join(" AND ")}
  ORDER BY created_at, instance_id
  LIMIT $${next}
  FOR UPDATE SKIP LOCKED),
m AS (DELETE FROM ${s}.messages WHERE instance_id IN (SELECT instance_id FROM victims)),
h AS (DELETE FROM ${s}.history WHERE instance_id IN (SELECT instance_id FROM victims)),
t AS (DELETE FROM ${s}.tasks WHERE instance_id IN (SELECT instance_id FROM victims)),
i AS (DELETE FROM ${s}.instances WHERE instance_id IN (SELECT instance_id FROM victims) RETURNING 1)
SELECT count(*)::integer AS purged FROM i`;
}

/**
 * A page of finished orchestrations in the order they finished (completed_at, instance_id):
 * `$1` the terminal statuses, `$2` the limit (one more than the page size), then the parameters of
 * the conditions present, in this order: completed from, completed before, the key of the last row.
 */
export function selectFinished(s: string, shape: { completedFrom: boolean; completedTo: boolean; after: boolean }): string {
  const conditions = ["kind = 'orchestration'", "completed_at IS NOT NULL", "status = ANY ($1::text[])"];
  let n = 2;
  if (shape.completedFrom) conditions.push(`completed_at >= $${++n}::bigint`);
  if (shape.completedTo) conditions.push(`completed_at < $${++n}::bigint`);
  if (shape.after) {
    conditions.push(`(completed_at, instance_id) > ($${n + 1}::bigint, $${n + 2}::text)`);
    n += 2;
  }
  return `SELECT instance_id, completed_at FROM ${s}.instances
WHERE ${conditions.join(" AND ")}
ORDER BY completed_at, instance_id
LIMIT $2`;
}

/** Every instance and entity with their messages, history and tasks, in one statement; returns how many instances went. */
export const deleteEverything = (s: string) => `WITH m AS (DELETE FROM ${s}.messages),
h AS (DELETE FROM ${s}.history),
t AS (DELETE FROM ${s}.tasks),
i AS (DELETE FROM ${s}.instances RETURNING 1)
SELECT count(*)::integer AS deleted FROM i`;

// ---------------------------------------------------------------------------------------------
// Worker registrations

/** Registers or renews a worker ($1 id, $2 orchestrations JSON, $3 now, $4 expiry), and sweeps registrations expired before $5. */
export const upsertWorker = (s: string) => `WITH up AS (
  INSERT INTO ${s}.workers (worker_id, orchestrations, started_at, renewed_at, expires_at)
  VALUES ($1, $2, $3, $3, $4)
  ON CONFLICT (worker_id) DO UPDATE SET orchestrations = excluded.orchestrations, renewed_at = excluded.renewed_at,
    expires_at = excluded.expires_at
  RETURNING 1)
DELETE FROM ${s}.workers WHERE expires_at < $5 AND worker_id <> $1`;

export const deleteWorker = (s: string) => `DELETE FROM ${s}.workers WHERE worker_id = $1`;

export const selectLiveWorkers = (s: string) => `SELECT worker_id, orchestrations, started_at, renewed_at, expires_at
FROM ${s}.workers WHERE expires_at > $1 ORDER BY worker_id`;

/**
 * The PostgreSQL schema, as ordered migrations, each a pure function of the schema name. The
 * schema version is the highest version in `<schema>.schema_migrations`.
 *
 * Invariants kept here:
 * 1. A migration, once released, never changes: a new schema is a new entry at the end.
 * 2. Pending migrations run in one transaction under `pg_advisory_xact_lock` on the schema's
 *    name, with the version re-read under the lock, so that any number of processes can open a
 *    new schema at once and it is migrated exactly once.
 * 3. A schema whose version is newer than {@link LATEST_SCHEMA_VERSION} is refused
 *    (SchemaTooNewError) and nothing is written to it.
 *
 * @module
 */
import type pg from "pg";
import { InvalidArgumentError } from "../../core/errors.js";
import { SchemaTooNewError } from "../errors.js";
import { functionsV1, functionsV2, functionsV3, functionsV4, functionsV6, functionsWorkerVersions } from "./functions.js";
import { quoteIdent } from "./sql.js";

export interface Migration {
  /** The schema version after this migration: 1, 2, 3, … without gaps. */
  readonly version: number;
  readonly description: string;
  /** The statements, given the quoted schema name and the notification channel. */
  readonly statements: (schema: string, channel: string) => readonly string[];
}

function tablesV1(s: string): string[] {
  return [
    `CREATE TABLE ${s}.instances (
      instance_id text COLLATE "C" PRIMARY KEY,
      kind text NOT NULL,
      name text NOT NULL,
      version text,
      execution_id text NOT NULL,
      status text NOT NULL,
      input text,
      output text,
      custom_status text,
      failure_details text,
      created_at bigint NOT NULL,
      last_updated_at bigint NOT NULL,
      completed_at bigint,
      scheduled_start_at text,
      parent_instance_id text COLLATE "C",
      parent_execution_id text,
      parent_name text,
      parent_task_id integer,
      lock_token text,
      locked_by text,
      locked_until bigint,
      -- The sequence number of the last history event, so appending needs no MAX(seq).
      last_seq integer NOT NULL DEFAULT 0,
      -- Entities only: what the last batch saved.
      entity_state text
    )`,
    // Queries page newest first; bulk purges filter by status.
    `CREATE INDEX instances_by_created ON ${s}.instances (created_at, instance_id)`,
    `CREATE INDEX instances_by_status ON ${s}.instances (status, created_at)`,
    `CREATE INDEX instances_by_parent ON ${s}.instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL`,
    // nextWakeUp: the earliest lease expiry.
    `CREATE INDEX instances_by_lock ON ${s}.instances (locked_until) WHERE locked_until IS NOT NULL`,
    // No foreign keys: a key check would take a KEY SHARE lock on the instance row for every
    // message, history event and task written. Writers check existence themselves, and purge
    // deletes the rows of all four tables.
    `CREATE TABLE ${s}.messages (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      instance_id text COLLATE "C" NOT NULL,
      execution_id text,
      event text NOT NULL,
      visible_at bigint NOT NULL,
      timer_id integer
    )`,
    // The next ready instance: messages by visibility, then id.
    `CREATE INDEX messages_by_visible ON ${s}.messages (visible_at, id)`,
    `CREATE INDEX messages_by_instance ON ${s}.messages (instance_id, id)`,
    `CREATE TABLE ${s}.history (
      instance_id text COLLATE "C" NOT NULL,
      seq integer NOT NULL,
      execution_id text NOT NULL,
      event text NOT NULL,
      PRIMARY KEY (instance_id, seq)
    )`,
    `CREATE TABLE ${s}.tasks (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      instance_id text COLLATE "C" NOT NULL,
      execution_id text NOT NULL,
      task_id integer NOT NULL,
      name text NOT NULL,
      input text,
      visible_at bigint NOT NULL,
      lock_token text,
      locked_by text,
      locked_until bigint,
      dequeue_count integer NOT NULL DEFAULT 0
    )`,
    // Ready tasks; a leased task's visible_at is its lease expiry, so in-flight tasks are not scanned.
    `CREATE INDEX tasks_by_visible ON ${s}.tasks (visible_at, id)`,
    `CREATE INDEX tasks_by_instance ON ${s}.tasks (instance_id)`,
  ];
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: "instances and entities, their inboxes, histories and activity tasks, and the functions that apply each operation",
    statements: (s: string, channel: string) => [...tablesV1(s), ...functionsV1(s, channel)],
  },
  {
    version: 2,
    description: "notifications only while another store listens; the stepped path finds several ready instances at once",
    statements: (s: string, channel: string) => functionsV2(s, channel),
  },
  {
    version: 3,
    description: "a start and its first episode in one statement; notification helpers planned once per session",
    statements: (s: string, channel: string) => functionsV3(s, channel),
  },
  {
    version: 4,
    description: "a completion hands its task's row to the one task its episode schedules for a worker",
    statements: (s: string) => functionsV4(s),
  },
  {
    version: 5,
    description: "counts by status, and pages of a few statuses, read from an index that starts with the kind",
    // Every query and bulk purge names the kind: an index on the status alone served none of them.
    statements: (s: string) => [
      `DROP INDEX ${s}.instances_by_status`,
      `CREATE INDEX instances_by_kind_status ON ${s}.instances (kind, status, created_at, instance_id)`,
    ],
  },
  {
    version: 6,
    description: "continue-as-new ahead of every other message; rewind restarts purged children; leases that pass over names; finished instances by completion",
    statements: (s: string) => functionsV6(s),
  },
  {
    version: 7,
    description: "running workers and the orchestration versions they run; ready instances found by version",
    statements: (s: string) => functionsWorkerVersions(s),
  },
]);

/** The newest schema version this code knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The notification channel of a schema (schema names are checked to keep it under 63 bytes). */
export function channelOf(schema: string): string {
  return `perdure_events_${schema}`;
}

/** A 64-bit advisory lock key for migrating `schema`, the same in every process. */
function lockKey(schema: string): string {
  let hash = 1469598103934665603n;
  for (const byte of Buffer.from(`perdure:migrate:${schema}`, "utf8")) {
    hash = ((hash ^ BigInt(byte)) * 1099511628211n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash).toString();
}

/** The schema's version: 0 when it has no migrations table (or does not exist). */
async function schemaVersion(client: pg.ClientBase, schema: string): Promise<number> {
  // A query of the catalog (not to_regclass, whose cache may predate the lock) sees what committed before it.
  const exists = await client.query(
    `SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = 'schema_migrations'`,
    [schema],
  );
  if (exists.rows.length === 0) return 0;
  const table = `${quoteIdent(schema)}.schema_migrations`;
  const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${table}`);
  return result.rows[0]?.version ?? 0;
}

/**
 * Checks that `schema` holds a store this code can read without migrating it; returns no
 * migrations (none are applied).
 * @throws SchemaTooNewError for a schema written by newer code; InvalidArgumentError when there is no store.
 */
export async function assertReadable(client: pg.ClientBase, schema: string, where: string): Promise<number[]> {
  const version = await schemaVersion(client, schema);
  if (version > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(where, version, LATEST_SCHEMA_VERSION);
  if (version === 0) throw new InvalidArgumentError(`${where} holds no Perdure store (the schema has no migrations).`);
  return [];
}

/**
 * Brings `schema` up to date; returns the versions applied (empty when it was current).
 * @throws SchemaTooNewError when the schema was written by newer code (nothing is changed).
 */
export async function migrate(client: pg.ClientBase, schema: string, where: string): Promise<number[]> {
  // The common case, many processes opening a current schema: no lock needed.
  const seen = await schemaVersion(client, schema);
  if (seen > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(where, seen, LATEST_SCHEMA_VERSION);
  if (seen === LATEST_SCHEMA_VERSION) return [];
  const s = quoteIdent(schema);
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey(schema)]);
    const current = await schemaVersion(client, schema);
    if (current > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(where, current, LATEST_SCHEMA_VERSION);
    const applied: number[] = [];
    if (current < LATEST_SCHEMA_VERSION) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const migration of MIGRATIONS) {
        if (migration.version <= current) continue;
        for (const statement of migration.statements(s, channelOf(schema))) await client.query(statement);
        await client.query(`INSERT INTO ${s}.schema_migrations (version, description) VALUES ($1, $2)`, [
          migration.version,
          migration.description,
        ]);
        applied.push(migration.version);
      }
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/**
 * The SQLite schema, as ordered migrations. The schema version is the database's
 * `PRAGMA user_version` (0 for a new file).
 *
 * Invariants kept here:
 * 1. A migration, once released, never changes: a new schema is a new entry at the end.
 * 2. Pending migrations run in one IMMEDIATE transaction, with the version re-read inside it, so
 *    that two processes opening a new file at once migrate it once.
 * 3. A database whose version is newer than {@link LATEST_SCHEMA_VERSION} is refused before
 *    anything is written to it (SchemaTooNewError).
 *
 * @module
 */
import type Database from "better-sqlite3";
import { SchemaTooNewError } from "../errors.js";

export interface Migration {
  /** The schema version after this migration: 1, 2, 3, … without gaps. */
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: "instances, their inboxes, histories and activity tasks",
    statements: [
      `CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT,
        execution_id TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        output TEXT,
        custom_status TEXT,
        failure_details TEXT,
        created_at TEXT NOT NULL,
        last_updated_at TEXT NOT NULL,
        completed_at TEXT,
        scheduled_start_at TEXT,
        parent_instance_id TEXT,
        parent_execution_id TEXT,
        parent_name TEXT,
        parent_task_id INTEGER,
        lock_token TEXT,
        locked_by TEXT,
        locked_until TEXT
      ) STRICT`,
      // Queries page newest first; bulk purges filter by status.
      `CREATE INDEX instances_by_created ON instances (created_at, instance_id)`,
      `CREATE INDEX instances_by_status ON instances (status, created_at)`,
      `CREATE INDEX instances_by_parent ON instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL`,
      // nextWakeUp: the earliest lease expiry.
      `CREATE INDEX instances_by_lock ON instances (locked_until) WHERE locked_until IS NOT NULL`,
      // AUTOINCREMENT: ids are never reused, so they stay increasing in write order.
      `CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
        execution_id TEXT,
        event TEXT NOT NULL,
        visible_at TEXT NOT NULL,
        timer_id INTEGER
      ) STRICT`,
      // The next ready instance: messages by visibility (then id, the implicit rowid suffix).
      `CREATE INDEX messages_by_visible ON messages (visible_at)`,
      // An instance's messages in id order.
      `CREATE INDEX messages_by_instance ON messages (instance_id)`,
      `CREATE INDEX messages_by_timer ON messages (instance_id, timer_id) WHERE timer_id IS NOT NULL`,
      `CREATE TABLE history (
        instance_id TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        execution_id TEXT NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (instance_id, seq)
      ) STRICT`,
      `CREATE TABLE tasks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL REFERENCES instances (instance_id) ON DELETE CASCADE,
        execution_id TEXT NOT NULL,
        task_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        input TEXT,
        visible_at TEXT NOT NULL,
        lock_token TEXT,
        locked_by TEXT,
        locked_until TEXT,
        dequeue_count INTEGER NOT NULL DEFAULT 0
      ) STRICT`,
      // Ready tasks; a leased task's visible_at is its lease expiry (see sql.ts).
      `CREATE INDEX tasks_by_visible ON tasks (visible_at)`,
      `CREATE INDEX tasks_by_instance ON tasks (instance_id)`,
    ],
  },
  {
    version: 2,
    description: "durable entities: the state a batch saves, and queries that keep kinds apart",
    statements: [
      `ALTER TABLE instances ADD COLUMN entity_state TEXT`,
      // Queries and purges filter by kind, then page newest first.
      `CREATE INDEX instances_by_kind ON instances (kind, created_at, instance_id)`,
    ],
  },
  {
    version: 3,
    description: "counts by status, and pages of a few statuses, read from an index that starts with the kind",
    statements: [
      // Every query and bulk purge names the kind: an index on the status alone served none of them.
      `DROP INDEX instances_by_status`,
      `CREATE INDEX instances_by_kind_status ON instances (kind, status, created_at, instance_id)`,
    ],
  },
  {
    version: 4,
    description: "finished instances listed in the order they finished",
    statements: [`CREATE INDEX instances_by_completed ON instances (completed_at, instance_id) WHERE completed_at IS NOT NULL`],
  },
  {
    version: 5,
    description: "running workers and the orchestration versions they run",
    statements: [
      `CREATE TABLE workers (
        worker_id TEXT PRIMARY KEY,
        orchestrations TEXT NOT NULL,
        started_at TEXT NOT NULL,
        renewed_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) STRICT`,
    ],
  },
]);

/** The newest schema version this code knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The database's schema version. Reading it writes nothing. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Refuses a database written by newer code. Call before anything that could write to the file
 * (even `journal_mode = WAL` rewrites its header).
 * @throws SchemaTooNewError
 */
export function assertSchemaKnown(db: Database.Database, where: string): void {
  const found = schemaVersion(db);
  if (found > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(where, found, LATEST_SCHEMA_VERSION);
}

/**
 * Applies the pending migrations in one transaction; returns the versions applied (empty when the
 * schema was current).
 * @throws SchemaTooNewError when another process upgraded the file past this code meanwhile.
 */
export function migrate(db: Database.Database, where: string): number[] {
  const run = db.transaction((): number[] => {
    assertSchemaKnown(db, where);
    const current = schemaVersion(db);
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      for (const statement of migration.statements) db.exec(statement);
      applied.push(migration.version);
    }
    // user_version is part of the database header, written by this same transaction.
    if (applied.length > 0) db.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
    return applied;
  });
  return run.immediate();
}

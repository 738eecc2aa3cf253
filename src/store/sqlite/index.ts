/**
 * The SQLite adapter: Perdure's embedded default, one file on one machine, on better-sqlite3.
 *
 * @example
 * const store = sqlite("perdure.db"); // WAL, synchronous=FULL
 * const faster = sqlite("perdure.db", { synchronous: "NORMAL" }); // may lose the last commits on power loss
 *
 * @module
 */
import Database from "better-sqlite3";
import { InvalidArgumentError } from "../../core/errors.js";
import { assertSchemaKnown, migrate, schemaVersion } from "./migrations.js";
import { SqliteStore } from "./sqlite-store.js";

export { SqliteStore } from "./sqlite-store.js";
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from "./migrations.js";
export type { Migration } from "./migrations.js";

export interface SqliteOptions {
  /**
   * SQLite's `synchronous` setting. "FULL" (the default) makes every commit durable on power loss;
   * "NORMAL" is faster, and in WAL mode may lose the last commits (never corrupt the file).
   */
  readonly synchronous?: "FULL" | "NORMAL" | undefined;
  /** The store's clock, milliseconds since the epoch (default `Date.now`). Tests pass a controllable one. */
  readonly clock?: (() => number) | undefined;
  /** How long to wait for another connection's write lock before failing with SQLITE_BUSY (default 5000). */
  readonly busyTimeoutMs?: number | undefined;
  /**
   * Opens an existing store to read it only (`perdure check` does): the file is opened read-only,
   * neither migrated nor switched to WAL, and every write fails. The file must exist.
   */
  readonly readOnly?: boolean | undefined;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating and migrating if needed) a SQLite store at `path`; ":memory:" gives a private
 * in-memory database, for tests. Durability is stated as `<journal mode>+<synchronous>`, e.g. "WAL+FULL".
 *
 * @throws SchemaTooNewError when the file was written by a newer Perdure (the file is left unchanged).
 * @throws InvalidArgumentError for a bad option.
 */
export function sqlite(path: string, options: SqliteOptions = {}): SqliteStore {
  const synchronous = options.synchronous ?? "FULL";
  if (synchronous !== "FULL" && synchronous !== "NORMAL") {
    throw new InvalidArgumentError(`sqlite option synchronous must be "FULL" or "NORMAL"; received ${JSON.stringify(synchronous)}.`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new InvalidArgumentError(`sqlite option busyTimeoutMs must be an integer of at least 0; received ${String(busyTimeoutMs)}.`);
  }
  if (options.readOnly === true) return openReadOnly(path, busyTimeoutMs, options.clock ?? Date.now);
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // Before anything that writes: even switching to WAL rewrites the file header.
    assertSchemaKnown(db, path);
    const journalMode = String(db.pragma("journal_mode = WAL", { simple: true }));
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma("foreign_keys = ON");
    const migrationsApplied = migrate(db, path);
    return new SqliteStore(db, {
      where: path,
      durability: `${journalMode.toUpperCase()}+${synchronous}`,
      clock: options.clock ?? Date.now,
      migrationsApplied,
    });
  } catch (error) {
    db.close();
    throw error;
  }
}

/** A store on an existing file, read-only: nothing is migrated or written, not even the journal mode. */
function openReadOnly(path: string, busyTimeoutMs: number, clock: () => number): SqliteStore {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new InvalidArgumentError(`Cannot open ${path} to read it: ${(error as Error).message}.`);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    assertSchemaKnown(db, path);
    if (schemaVersion(db) === 0) throw new InvalidArgumentError(`${path} holds no Perdure store (it has no schema).`);
    const journalMode = String(db.pragma("journal_mode", { simple: true }));
    return new SqliteStore(db, { where: path, durability: `${journalMode.toUpperCase()}+read-only`, clock, migrationsApplied: [] });
  } catch (error) {
    db.close();
    throw error;
  }
}

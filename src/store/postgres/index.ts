/**
 * The PostgreSQL adapter: any number of stateless worker processes, on any number of machines,
 * sharing one schema. `pg` is loaded only when a PostgreSQL store is opened, so an application
 * that uses SQLite alone never loads it.
 *
 * @example
 * const store = await postgres("postgres://user:pass@db.example.com:5432/app");
 * const isolated = await postgres(url, { schema: "orders", poolSize: 20 });
 *
 * @module
 */
import { InvalidArgumentError } from "../../core/errors.js";
import type { PostgresStore } from "./postgres-store.js";

export type { PostgresStore } from "./postgres-store.js";

export interface PostgresOptions {
  /** The schema that holds Perdure's tables (default "perdure"): lowercase letters, digits and `_`, at most 48. Created if missing. */
  readonly schema?: string | undefined;
  /** Connections in the pool (default 10), besides the one LISTEN connection. */
  readonly poolSize?: number | undefined;
  /** The store's clock, milliseconds since the epoch (default `Date.now`). Tests pass a controllable one. */
  readonly clock?: (() => number) | undefined;
  /** Told about connection failures the store recovers from by itself (default: `console.warn`). */
  readonly onWarning?: ((message: string, error: unknown) => void) | undefined;
  /** How long to wait for a new connection before failing the call (default 10000). */
  readonly connectTimeoutMs?: number | undefined;
  /** The `application_name` of the store's connections, as `pg_stat_activity` shows it (default "perdure"). */
  readonly applicationName?: string | undefined;
  /**
   * Opens an existing schema to read it only (`perdure check` does): nothing is migrated, no
   * LISTEN connection is opened, and every transaction is read-only, so any write fails.
   */
  readonly readOnly?: boolean | undefined;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Opens a PostgreSQL store: connects, creates or migrates the schema (safely when many processes
 * start at once), and starts listening for other processes' notifications. Durability is stated as
 * `synchronous_commit=<the server's setting>`, e.g. "synchronous_commit=on".
 *
 * @throws SchemaTooNewError when the schema was written by a newer Perdure (it is left unchanged).
 * @throws InvalidArgumentError for a bad option; the driver's error when the server cannot be reached.
 */
export async function postgres(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
  if (typeof url !== "string" || url === "") {
    throw new InvalidArgumentError(`postgres() needs a connection URL such as "postgres://user@host:5432/db"; received ${JSON.stringify(url)}.`);
  }
  const schema = options.schema ?? "perdure";
  if (typeof schema !== "string" || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(
      `postgres option schema must be 1-48 lowercase letters, digits or underscores, not starting with a digit; received ${JSON.stringify(schema)}.`,
    );
  }
  const poolSize = options.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new InvalidArgumentError(`postgres option poolSize must be an integer of at least 1; received ${String(options.poolSize)}.`);
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 1) {
    throw new InvalidArgumentError(`postgres option connectTimeoutMs must be a positive integer; received ${String(options.connectTimeoutMs)}.`);
  }
  const { openPostgresStore } = await import("./open.js");
  return openPostgresStore(url, {
    schema,
    poolSize,
    connectTimeoutMs,
    applicationName: options.applicationName ?? "perdure",
    readOnly: options.readOnly === true,
    clock: options.clock ?? Date.now,
    onWarning: options.onWarning ?? ((message, error) => console.warn(`perdure: ${message}`, error)),
  });
}

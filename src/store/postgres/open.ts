/**
 * Opening a PostgreSQL store: the pool, the migration, the server's durability setting and the
 * LISTEN connection. The only module of the adapter that loads `pg` at run time (index.ts imports
 * it lazily).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { Listener } from "./listener.js";
import { assertReadable, channelOf, migrate } from "./migrations.js";
import { PostgresStore } from "./postgres-store.js";
import { quoteIdent } from "./sql.js";

export interface OpenSettings {
  readonly schema: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly applicationName: string;
  readonly clock: () => number;
  readonly onWarning: (message: string, error: unknown) => void;
  readonly readOnly: boolean;
}

/**
 * Writes that share one transaction at most (see group-commit.ts). Fan-in (W2) measured best with
 * room for a full batch of activity slots: the completions of the 256 activities a worker runs at
 * once commit together, with one episode, and free their slots at once (about +12% over 64).
 */
const MAX_BATCH = 256;
/**
 * Write transactions in flight at once per lane (stepping, other writes). Two measured best (all
 * of W1–W4 against one): the next batch's statements run while the last one's commit is flushed
 * and its results are handled here. Two batches of a lane that would step the same instance do not
 * wait on each other: a lock taken with SKIP LOCKED is passed over, and the outcome goes to the
 * inbox. Reads use the rest of the pool.
 */
const MAX_IN_FLIGHT = 2;

export async function openPostgresStore(url: string, settings: OpenSettings): Promise<PostgresStore> {
  const connection: pg.ClientConfig = {
    connectionString: url,
    application_name: settings.applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // Read-only: every transaction of every connection is, so nothing can be written by mistake.
    ...(settings.readOnly ? { options: "-c default_transaction_read_only=on" } : {}),
  };
  const where = `${redact(url)} (schema ${settings.schema})`;
  const pool = new pg.Pool({ ...connection, max: settings.poolSize, pipeline: true } as pg.PoolConfig);
  // An idle connection ended by the server (a restart, pg_terminate_backend) is dropped and replaced.
  pool.on("error", (error) => settings.onWarning("A pooled connection was lost; it will be replaced.", error));
  let listener: Listener | undefined;
  try {
    const client = await pool.connect();
    let migrationsApplied: number[];
    let synchronousCommit: string;
    // A connection lost while checked out emits 'error'; the query in flight fails with it.
    let lost: Error | undefined;
    const onLost = (error: Error): void => {
      lost ??= error;
    };
    client.on("error", onLost);
    try {
      migrationsApplied = settings.readOnly ? await assertReadable(client, settings.schema, where) : await migrate(client, settings.schema, where);
      synchronousCommit = (await client.query<{ synchronous_commit: string }>("SHOW synchronous_commit")).rows[0]!.synchronous_commit;
    } finally {
      client.off("error", onLost);
      client.release(lost);
    }
    const origin = randomUUID();
    const store = new PostgresStore({
      pool,
      schema: settings.schema,
      durability: `synchronous_commit=${synchronousCommit}`,
      clock: settings.clock,
      migrationsApplied,
      origin,
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
    });
    // A reader hears nothing: it has no LISTEN connection (whose registration would be a write).
    if (settings.readOnly) return store;
    listener = new Listener({
      connection,
      channel: channelOf(settings.schema),
      schema: quoteIdent(settings.schema),
      origin,
      deliver: (event) => store.deliver(event),
      warn: settings.onWarning,
    });
    await listener.start();
    store.attachListener(listener);
    return store;
  } catch (error) {
    await listener?.close();
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the PostgreSQL server";
  }
}

/**
 * Suites that run on both stores: SQLite always, PostgreSQL when PERDURE_TEST_PG_URL is set (CI
 * sets it, and a PostgreSQL that cannot be reached fails the suite). Each opened store is fresh —
 * a temporary file, or a schema of its own — and is removed again by `close`. `raw` runs SQL
 * around the Store port, to write the rows a bug or a hand-made change could leave.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createClient, createWorker, sqlite, type App, type Client, type Store, type Worker, type WorkerOptions } from "../../src/index.js";
import { postgres } from "../../src/store/postgres/index.js";
import pg from "pg";
import { announceSkip, dropSchemas, freshSchema, pgUrl } from "./postgres.js";

export type StoreKind = "sqlite" | "postgres";

/** The stores a suite runs on. */
export const STORE_KINDS: readonly StoreKind[] = pgUrl ? ["sqlite", "postgres"] : ["sqlite"];

/** Says once, for a suite whose PostgreSQL half is skipped, how to run it. */
export function announceStores(suite: string): void {
  announceSkip(`The PostgreSQL half of ${suite}`);
}

export interface TestStore {
  readonly kind: StoreKind;
  readonly store: Store;
  /** What `--store` takes to open it: the file, or the URL (with `schema`). */
  readonly spec: string;
  /** The PostgreSQL schema, for `--schema`. */
  readonly schema?: string | undefined;
  /**
   * Runs SQL beside the store. Tables are written `{s}.name`; parameters `$1`, `$2`, … in order
   * of use. Returns the rows.
   */
  raw(text: string, params?: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Opens a fresh store of `kind`. */
export async function openTestStore(kind: StoreKind, options: { clock?: () => number } = {}): Promise<TestStore> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "perdure-test-"));
    const file = join(dir, "test.db");
    const store = sqlite(file, { clock: options.clock });
    return {
      kind,
      store,
      spec: file,
      async raw(text, params = []) {
        const db = new Database(file);
        try {
          db.pragma("busy_timeout = 10000");
          const statement = db.prepare(text.replace(/\{s\}\./g, "").replace(/\$\d+/g, "?"));
          return statement.reader ? (statement.all(...params) as Array<Record<string, unknown>>) : (statement.run(...params), []);
        } finally {
          db.close();
        }
      },
      async close() {
        await store.close().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = freshSchema("perdure_edge");
  const store = await postgres(pgUrl!, { schema, clock: options.clock, onWarning: () => undefined });
  // One connection of the test's own for every raw statement, opened on first use.
  let admin: pg.Client | undefined;
  return {
    kind,
    store,
    spec: pgUrl!,
    schema,
    async raw(text, params = []) {
      if (admin === undefined) {
        admin = new pg.Client({ connectionString: pgUrl });
        await admin.connect();
      }
      return (await admin.query(text.replace(/\{s\}\./g, `"${schema}".`), [...params])).rows;
    },
    async close() {
      await store.close().catch(() => undefined);
      await admin?.end().catch(() => undefined);
      await dropSchemas(schema);
    },
  };
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export interface StoreRuntime extends TestStore {
  readonly client: Client;
  worker: Worker;
  /** Stops the worker and starts a new one (no warm executors), with the same options. */
  restartWorker(): Promise<void>;
}

/** A fresh store of `kind` with a started worker and a client that knows the app. */
export async function startRuntimeOn(kind: StoreKind, app: App, options: WorkerOptions = {}): Promise<StoreRuntime> {
  const opened = await openTestStore(kind);
  const workerOptions = { logger: silent, maxIdleMs: 100, ...options };
  const runtime: StoreRuntime = {
    ...opened,
    client: createClient(opened.store, { app }),
    worker: createWorker(app, opened.store, workerOptions).start(),
    async restartWorker() {
      await runtime.worker.stop({ timeoutMs: 2000 });
      runtime.worker = createWorker(app, opened.store, workerOptions).start();
    },
    async close() {
      await runtime.worker.stop({ timeoutMs: 2000 });
      await opened.close();
    },
  };
  return runtime;
}

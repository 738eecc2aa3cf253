/**
 * The one seam through which tests reach the adapter's internals (not exported by the package):
 * the connection behind a store, to read its pragmas.
 *
 * @module
 */
import type Database from "better-sqlite3";
import type { SqliteStore } from "./sqlite-store.js";

const connections = new WeakMap<SqliteStore, Database.Database>();

/** Called by the store's constructor. */
export function registerConnection(store: SqliteStore, db: Database.Database): void {
  connections.set(store, db);
}

/** The better-sqlite3 connection behind `store`. */
export function connectionOf(store: SqliteStore): Database.Database {
  const db = connections.get(store);
  if (db === undefined) throw new Error("not a store made by sqlite()");
  return db;
}

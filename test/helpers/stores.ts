/**
 * Fresh stores of either kind for suites that run on both: SQLite in a temporary folder, and a
 * PostgreSQL schema of its own when PERDURE_TEST_PG_URL is set.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgres, sqlite, type Store } from "../../src/index.js";
import { dropSchemas, freshSchema, pgUrl } from "./postgres.js";

export type StoreKind = "sqlite" | "postgres";

/** The stores a suite runs on: SQLite always, PostgreSQL when PERDURE_TEST_PG_URL is set. */
export const STORE_KINDS: readonly StoreKind[] = pgUrl ? ["sqlite", "postgres"] : ["sqlite"];

/** A fresh store of that kind, and what removes it (call after closing the store). */
export async function freshStore(kind: StoreKind): Promise<{ store: Store; remove: () => Promise<void> }> {
  if (kind === "postgres") {
    const schema = freshSchema("perdure_t");
    const store = await postgres(pgUrl!, { schema, poolSize: 4, onWarning: () => undefined });
    return { store, remove: () => dropSchemas(schema) };
  }
  const dir = mkdtempSync(join(tmpdir(), "perdure-t-"));
  const store = sqlite(join(dir, "test.db"));
  return { store, remove: async () => rmSync(dir, { recursive: true, force: true }) };
}

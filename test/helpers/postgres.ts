/**
 * The PostgreSQL the suites run on: its URL comes from PERDURE_TEST_PG_URL (CI sets it); without
 * it the PostgreSQL suites are skipped, each saying so once.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const pgUrl: string | undefined = process.env.PERDURE_TEST_PG_URL;

/** Says once, for a suite that is skipped, how to run it. */
export function announceSkip(suite: string): void {
  if (!pgUrl) console.log(`${suite} skipped: set PERDURE_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run on PostgreSQL.`);
}

/** Runs `body` on a connection of its own, closed afterwards. */
export async function withAdmin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A schema name of a test's own, not yet created. */
export function freshSchema(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

/** Drops schemas, whatever state a test left them in. */
export function dropSchemas(...schemas: string[]): Promise<void> {
  return withAdmin(async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

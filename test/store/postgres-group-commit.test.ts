/**
 * Group commit on PostgreSQL, below the store: writes of one turn share a transaction, and a
 * write whose statement fails is left out while the others commit. Needs PERDURE_TEST_PG_URL
 * (skipped without it); uses its own table, dropped at the end.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupCommit, type Combined, type PgTx } from "../../src/store/postgres/group-commit.js";
import type { OrchestrationStepper } from "../../src/store/store.js";
import { announceSkip, pgUrl as url } from "../helpers/postgres.js";

announceSkip("The group commit suite");
const table = `perdure_gc_${randomBytes(4).toString("hex")}`;

describe.skipIf(!url)("postgres group commit", () => {
  let pool: pg.Pool;
  let writes: GroupCommit;
  const committed: PgTx[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 2, pipeline: true } as pg.PoolConfig);
    await pool.query(`CREATE TABLE ${table} (v integer NOT NULL)`);
    await pool.query(`CREATE TABLE ${table}_c (id serial PRIMARY KEY, v integer NOT NULL)`);
    // Fails its statement with the SQLSTATE given, as the server does to break a deadlock (40P01).
    await pool.query(`CREATE FUNCTION ${table}_fail(p_code text) RETURNS integer LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'failed as asked' USING ERRCODE = p_code; END $$`);
    writes = new GroupCommit(pool, { clock: Date.now, maxBatch: 64, maxInFlight: 1, committed: (tx) => committed.push(tx) });
  });
  afterAll(async () => {
    await pool?.query(`DROP TABLE IF EXISTS ${table}`);
    await pool?.query(`DROP TABLE IF EXISTS ${table}_c`);
    await pool?.query(`DROP FUNCTION IF EXISTS ${table}_fail(text)`);
    await pool?.end();
  });

  const insert = (v: number) => (tx: PgTx) => tx.query(`INSERT INTO ${table} (v) VALUES ($1) RETURNING v`, [v]).then((rows) => rows);
  const stepper = (log: string[], name: string): OrchestrationStepper => ({
    isWarm: () => true,
    step: () => undefined,
    discard: () => log.push(`discard ${name}`),
  });

  it("leaves out a write whose statement fails, tells every stepper of the rolled-back try, and commits the rest", async () => {
    const log: string[] = [];
    const withStepper = (name: string, body: (tx: PgTx) => Promise<unknown>) => async (tx: PgTx) => {
      tx.steppers.add(stepper(log, name));
      log.push(`run ${name}`);
      return body(tx);
    };
    committed.length = 0;
    const results = await Promise.allSettled([
      writes.write(withStepper("a", insert(1)), "write"),
      writes.write(withStepper("b", (tx) => tx.query("SELECT 1 / (v - v) FROM (VALUES (1)) AS t(v)")), "write"),
      writes.write(withStepper("c", insert(3)), "write"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain("division by zero");
    // All three started together; b's statement failed, and c's behind it (the transaction was
    // aborted). b is told, c and a too (rolled back with it); then a and c run again without b.
    expect(log.slice(0, 3)).toEqual(["run a", "run b", "run c"]);
    expect(log.slice(3, 6).sort()).toEqual(["discard a", "discard b", "discard c"]);
    expect(log.slice(6)).toEqual(["run a", "run c"]);
    const rows = await pool.query(`SELECT v FROM ${table} ORDER BY v`);
    expect(rows.rows.map((r) => r.v)).toEqual([1, 3]);
    expect(committed).toHaveLength(2);
  });

  it("runs a write again, in a new transaction, when the server failed it to break a deadlock", async () => {
    const log: string[] = [];
    let runs = 0;
    const deadlocked = async (tx: PgTx) => {
      runs++;
      tx.steppers.add(stepper(log, `run ${runs}`));
      if (runs < 3) await tx.query(`SELECT ${table}_fail('40P01')`);
      return insert(30)(tx);
    };
    const results = await Promise.all([writes.write(insert(20), "write"), writes.write(deadlocked, "write")]);
    expect(results).toEqual([[{ v: 20 }], [{ v: 30 }]]);
    expect(runs).toBe(3);
    expect(log).toEqual(["discard run 1", "discard run 2"]);
    const rows = await pool.query(`SELECT v FROM ${table} WHERE v IN (20, 30) ORDER BY v`);
    expect(rows.rows.map((r) => r.v)).toEqual([20, 30]);

    // Three runs at most; and a failure of another kind is not run again.
    const failing = (code: string) => {
      const write = {
        runs: 0,
        body: (tx: PgTx) => {
          write.runs++;
          return tx.query(`SELECT ${table}_fail('${code}')`);
        },
      };
      return write;
    };
    const deadlock = failing("40P01");
    await expect(writes.write(deadlock.body, "write")).rejects.toMatchObject({ code: "40P01" });
    expect(deadlock.runs).toBe(3);
    const unique = failing("23505");
    await expect(writes.write(unique.body, "step")).rejects.toMatchObject({ code: "23505" });
    expect(unique.runs).toBe(1);
  });

  it("puts the items of writes sent one behind the other in one statement, in the order the writes asked", async () => {
    let statements = 0;
    const times10: Combined<number, number> = {
      text: `WITH ins AS (INSERT INTO ${table}_c (v) SELECT x::integer FROM json_array_elements_text($1::json) WITH ORDINALITY AS e(x, o) ORDER BY o RETURNING v)
        SELECT array_agg(x::integer * 10 ORDER BY o) AS r, (SELECT count(*) FROM ins) AS n FROM json_array_elements_text($1::json) WITH ORDINALITY AS e(x, o)`,
      params: (items) => {
        statements++;
        return [JSON.stringify(items)];
      },
      split: (rows) => (rows[0] as { r: number[] }).r,
    };
    const results = await Promise.all([
      writes.write(async (tx) => tx.combine(times10, 1, (r) => r), "write"),
      writes.write(async (tx) => tx.combine(times10, 2, (r) => r), "write"),
      writes.write(async (tx) => tx.tail(`INSERT INTO ${table}_c (v) VALUES (3) RETURNING v`, [], () => 3), "write"),
      writes.write(async (tx) => tx.combine(times10, 4, (r) => r), "write"),
    ]);
    expect(results).toEqual([10, 20, 3, 40]);
    // 1 and 2 shared a statement; 4 came after the insert of 3, so it went in a statement of its own, after it.
    expect(statements).toBe(2);
    const rows = await pool.query(`SELECT v FROM ${table}_c ORDER BY id`);
    expect(rows.rows.map((r) => r.v)).toEqual([1, 2, 3, 4]);
  });

  it("fails a write whose tail fails after the others were sent, and commits the others", async () => {
    await pool.query(`TRUNCATE ${table}`);
    const results = await Promise.allSettled([
      writes.write(async (tx) => tx.tail(`INSERT INTO ${table} (v) VALUES ($1)`, [10], () => "ten"), "write"),
      writes.write(async (tx) => tx.tail(`INSERT INTO ${table} (v) VALUES ($1)`, [null], () => "null"), "write"),
      writes.write(async (tx) => tx.tail(`INSERT INTO ${table} (v) VALUES ($1)`, [30], () => "thirty"), "write"),
    ]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : "rejected"))).toEqual(["ten", "rejected", "thirty"]);
    const rows = await pool.query(`SELECT v FROM ${table} ORDER BY v`);
    expect(rows.rows.map((r) => r.v)).toEqual([10, 30]);
  });

  it("fails the writes of a batch whose connection dies, and goes on with a new connection", async () => {
    await pool.query(`TRUNCATE ${table}`);
    // The server ends the batch's own connection while the write holds it.
    const dying = writes.write(async (tx) => {
      await tx.query("SELECT pg_terminate_backend(pg_backend_pid())");
      return tx.tail(`INSERT INTO ${table} (v) VALUES ($1)`, [1], () => "never");
    }, "write");
    await expect(dying).rejects.toThrow();
    expect(await writes.write(async (tx) => tx.tail(`INSERT INTO ${table} (v) VALUES ($1)`, [2], () => "two"), "write")).toBe("two");
    const rows = await pool.query(`SELECT v FROM ${table} ORDER BY v`);
    expect(rows.rows.map((r) => r.v)).toEqual([2]);
  });

  it("keeps a lane's connection for a write asked for as the last one ends, and gives it back after", async () => {
    const small = new pg.Pool({ connectionString: url, max: 1, pipeline: true } as pg.PoolConfig);
    const counts = { acquire: 0, release: 0 };
    small.on("acquire", () => counts.acquire++);
    small.on("release", () => counts.release++);
    try {
      const lanes = new GroupCommit(small, { clock: Date.now, maxBatch: 64, maxInFlight: 1, committed: () => undefined });
      const one = async (tx: PgTx) => tx.tail("SELECT 1 AS one", [], (rows: Array<{ one: number }>) => rows[0]!.one);
      await lanes.write(one, "write");
      await lanes.write(one, "write");
      // Asked for in the turn the first ended: the second ran on the connection the lane kept.
      expect(counts.acquire).toBe(1);
      await waitFor(() => counts.release === 1);
      expect([small.totalCount, small.idleCount]).toEqual([1, 1]);
      // Someone waiting for the only connection gets it: a lane does not keep it then.
      const [read, written] = await Promise.all([small.query("SELECT 2 AS two"), lanes.write(one, "write").then(() => lanes.write(one, "write"))]);
      expect([read.rows[0].two, written]).toEqual([2, 1]);
      await lanes.close();
      expect(small.idleCount).toBe(1);
    } finally {
      await small.end();
    }
  });

  it("runs a lone write of one statement in that statement's own transaction, and a longer one in a block", async () => {
    await pool.query(`TRUNCATE ${table}`);
    // A pool of its own, whose connections record what they are sent.
    const sent: string[] = [];
    const spied = new pg.Pool({ connectionString: url, max: 1, pipeline: true } as pg.PoolConfig);
    spied.on("connect", (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) => {
        sent.push(typeof config === "string" ? config : (config as { text: string }).text);
        return query(config, ...rest);
      };
    });
    try {
      const lone = new GroupCommit(spied, { clock: Date.now, maxBatch: 64, maxInFlight: 1, committed: () => undefined });
      const insert = `INSERT INTO ${table} (v) VALUES ($1)`;
      expect(await lone.write(async (tx) => tx.tail(insert, [1], () => "one"), "write")).toBe("one");
      expect(sent).toEqual([insert]);
      // Its failure is the statement's: nothing written, and the connection goes on.
      sent.length = 0;
      await expect(lone.write(async (tx) => tx.tail(insert, [null], () => "null"), "write")).rejects.toThrow(/null value/);
      expect(sent).toEqual([insert]);
      // Two statements: one block, so the first is undone when the second fails.
      sent.length = 0;
      const two = lone.write(async (tx) => {
        await tx.query(insert, [2]);
        return tx.tail(insert, [null], () => "two");
      }, "write");
      await expect(two).rejects.toThrow(/null value/);
      expect(sent).toEqual(["BEGIN", insert, insert, "COMMIT"]);
      sent.length = 0;
      expect(await lone.write(async (tx) => tx.tail(insert, [3], () => "three"), "write")).toBe("three");
      expect(sent).toEqual([insert]);
      const rows = await pool.query(`SELECT v FROM ${table} ORDER BY v`);
      expect(rows.rows.map((r) => r.v)).toEqual([1, 3]);
    } finally {
      await spied.end();
    }
  });
});

/** Polls `condition` until it holds (a generous deadline: the machine may be busy). */
async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a condition");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

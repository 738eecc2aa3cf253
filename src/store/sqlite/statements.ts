/**
 * Prepared statements of one connection, each SQL text prepared once and reused, and the
 * per-transaction context (the clock reading and what to notify after commit).
 *
 * @module
 */
import type Database from "better-sqlite3";
import type { OrchestrationStepper, RuntimeStatus, WorkQueue } from "../store.js";
import { iso } from "./rows.js";

/** Named parameters of a statement; `undefined` binds as NULL. */
export type Params = Readonly<Record<string, string | number | null | undefined>>;

export class Statements {
  private readonly cache = new Map<string, Database.Statement<[Params]>>();

  constructor(private readonly db: Database.Database) {}

  run(sql: string, params: Params): number {
    return this.prepare(sql).run(params).changes;
  }

  one<T>(sql: string, params: Params): T | undefined {
    return this.prepare(sql).get(params) as T | undefined;
  }

  all<T>(sql: string, params: Params): T[] {
    return this.prepare(sql).all(params) as T[];
  }

  private prepare(sql: string): Database.Statement<[Params]> {
    let statement = this.cache.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<[Params]>(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }
}

/**
 * One transaction's view of time and its side effects. "now" is read once per transaction, so
 * every row a transaction writes carries the same time.
 */
export class Tx {
  readonly nowIso: string;
  /** Queues in which something became ready to hand out: `{ kind: "work", queue }` after commit. */
  readonly work = new Set<WorkQueue>();
  /** Instances whose status changed, with the status they ended the transaction in. */
  readonly statuses = new Map<string, RuntimeStatus>();
  /** Steppers that ran in this write, to be told if it rolls back. */
  readonly steppers = new Set<OrchestrationStepper>();
  /** The earliest time something this write left becomes ready, when later than now: `{ kind: "wakeup" }` after commit. */
  wakeAt: number | undefined;

  constructor(readonly now: number) {
    this.nowIso = iso(now);
  }

  /** Notes that something becomes ready at `ms`; nothing when that is now or past. */
  readyAt(ms: number): void {
    if (ms > this.now && (this.wakeAt === undefined || ms < this.wakeAt)) this.wakeAt = ms;
  }

  /** `ms` from now, in the stored time format. */
  later(ms: number): string {
    return iso(this.now + ms);
  }
}

/**
 * Group commit on PostgreSQL: writes asked for while a transaction is in flight are queued, and
 * run together in the next transaction on one pooled connection, so that many writes share one
 * commit (one WAL flush). The connection runs in pipeline mode: statements a write does not wait
 * for (its last one) are sent at once behind each other, so a write usually costs one round trip,
 * a stepped write two; a write alone in its batch whose only statement is its tail sends just that
 * statement, which is a transaction of its own. Statements sent one behind the other also leave in
 * one socket write (the socket is corked until the batch waits on a result): on loopback every
 * write wakes the server, and costs both sides.
 *
 * Writes do not fail in the normal course: refusals (a lost lease, a taken id) are values (see
 * invariant 4). So a batch runs its writes with no savepoint, which would double the statements
 * sent, and pays for a failure only when one happens: the transaction is rolled back and run
 * again without the failed write.
 *
 * Invariants kept here:
 * 1. A write that fails fails alone: the transaction is rolled back and the other writes run again
 *    from the start, in a new transaction, without it. Its steppers are told at once, before any
 *    write of the batch runs again; the steppers of the others are told too (their episodes were
 *    rolled back with it). If the transaction itself fails (BEGIN, COMMIT, the connection),
 *    every write in it fails and every stepper in it is told.
 * 2. Each write's promise settles only after its transaction committed (or failed).
 * 3. Writes of a batch are started together, in order, so that the statements they wait on (a
 *    completion's lock of its instance) leave in one socket write and come back in one round trip,
 *    not one each; the server runs them in that order. A write that steps READY_INSTANCES (finds
 *    the instances as it runs) runs alone, after the writes before it have finished, so that it
 *    never locks an instance another write of the batch is about to step.
 *    A stepper runs only after one of its write's statements came back without error. In a
 *    pipeline, a failed statement makes every later one of the transaction fail too; so the
 *    first statement that failed (in send order) names the failed write, and a write that failed
 *    only because an earlier one did has not run a stepper.
 * 4. A write's last statement (its tail) may be turned into a refusal (a thrown error) by the
 *    write only when that statement wrote nothing (see functions.ts, convention 3); a refusal
 *    therefore needs no rollback, and the writes pipelined behind it stand.
 * 5. At most `maxBatch` writes share a transaction.
 * 6. Items of a Combined statement wait only until the next statement is sent, or the batch waits:
 *    then they go, in one statement, ahead of it. So every statement runs in the order the writes
 *    asked for it, and a shared statement that fails is the failure of the first write in it.
 * 7. A write that the server failed to break a deadlock (or a serialization conflict) is queued
 *    again, as a new write, up to MAX_ATTEMPTS times in all: its transaction was rolled back, so
 *    running it again is running it for the first time. Its steppers were told (invariant 1).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import type { InstanceRecord, OrchestrationStepper, RuntimeStatus, WorkQueue } from "../store.js";

/** The last statement of a write, which the write does not wait for. */
export class Tail<T> {
  constructor(readonly promise: Promise<T>) {
    // Awaited by the batch; a write abandoned before that must not leave an unhandled rejection.
    promise.catch(() => undefined);
  }
}

/** Sends a statement of the write; `last` when it is the write's last (its tail). */
type Send = <R>(text: string, values: readonly unknown[] | undefined, last: boolean) => Promise<R[]>;

/**
 * A statement that the writes of a batch share: each write gives an item, and the items of writes
 * sent one behind the other go in one statement, in order (see invariant 6).
 */
export interface Combined<I, R> {
  readonly text: string;
  /** The statement's parameters for these items. */
  params(items: readonly I[]): unknown[];
  /** Each item's result, in item order, from the statement's rows. */
  split(rows: unknown[], count: number): R[];
}

type Combine = <I, R>(combined: Combined<I, R>, item: I) => Promise<R>;

/** The socket under a pooled connection, when it can hold writes back (pg keeps it on `connection.stream`). */
interface Corkable {
  cork(): void;
  uncork(): void;
}

function streamOf(client: pg.ClientBase): Corkable | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
  return typeof stream?.cork === "function" && typeof stream.uncork === "function" ? (stream as Corkable) : undefined;
}

/** One write's view of its transaction: time, statements, and what to announce after commit. */
export class PgTx {
  /** Queues in which something became ready to hand out: `{ kind: "work", queue }` after commit. */
  readonly work = new Set<WorkQueue>();
  /** Instances whose status changed, with the status they ended the transaction in. */
  readonly statuses = new Map<string, RuntimeStatus>();
  /** Instances this write finished, as their commits left them: announced with their status. */
  readonly finished = new Map<string, InstanceRecord>();
  /** Steppers that ran in this write, to be told if it rolls back. */
  readonly steppers = new Set<OrchestrationStepper>();
  /** The earliest time something this write left becomes ready, when later than now: `{ kind: "wakeup" }` after commit. */
  wakeAt: number | undefined;

  /** Notes that something becomes ready at `ms`; nothing when that is now or past. */
  readyAt(ms: number): void {
    if (ms > this.now && (this.wakeAt === undefined || ms < this.wakeAt)) this.wakeAt = ms;
  }

  constructor(
    /** The store's clock, read once for the write. */
    readonly now: number,
    private readonly send: Send,
    /** Puts the statements sent so far on the wire; called before waiting on a result. */
    private readonly flush: () => void,
    private readonly combineItem: Combine,
    /**
     * A later write of the same transaction steps the instance this write would step: this one
     * should leave its message in the inbox, so that one episode applies both.
     */
    readonly stepLater = false,
    /**
     * No other write shares this transaction, or waits or runs in either lane: the store is idle
     * but for this write. Work that a busy store would rather batch (a first episode) may run here.
     */
    readonly quiet = false,
  ) {}

  /** Sends a statement (and every one before it) at once, for the write to wait on; its rows. */
  query<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
    const rows = this.send<R>(text, values, false);
    this.flush();
    return rows;
  }

  /** Sends a statement the write does not wait on yet: it goes on the wire with the next one waited on. */
  queue<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
    return this.send<R>(text, values, false);
  }

  /** Ends the write with a statement it does not wait for; `map` turns its rows into the write's value. */
  tail<R, T>(text: string, values: readonly unknown[], map: (rows: R[]) => T): Tail<T> {
    return new Tail(this.send<R>(text, values, true).then(map));
  }

  /** Ends the write with an item of a statement it shares with the writes sent next to it; `map` turns the item's result into the write's value. */
  combine<I, R, T>(combined: Combined<I, R>, item: I, map: (result: R) => T): Tail<T> {
    return new Tail(this.combineItem(combined, item).then(map));
  }
}

/** Items waiting to go in one statement, with the writes they came from. */
interface PendingItems {
  readonly combined: Combined<unknown, unknown>;
  readonly items: unknown[];
  readonly ops: number[];
  readonly settle: Array<{ resolve: (value: unknown) => void; reject: (error: unknown) => void }>;
}

/** A write: its statements, sent through `tx`. */
export type WriteBody<T> = (tx: PgTx) => Promise<T | Tail<T>>;

/**
 * Writes that step an instance (and hold its row lock while a stepper runs) go in one lane, all
 * other writes in the other: a start or a lease never waits behind a long batch of episodes.
 */
export type Lane = "step" | "write";

/**
 * What a write steps: the instance it names, or (READY_INSTANCES) whichever instances are ready
 * when it runs, which it finds and locks as it goes.
 */
export const READY_INSTANCES: unique symbol = Symbol("ready instances");
export type Steps = string | typeof READY_INSTANCES | undefined;

interface Op {
  readonly body: WriteBody<unknown>;
  /** What the write steps, if anything. */
  readonly steps: Steps;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Sent {
  readonly op: number;
  readonly promise: Promise<unknown>;
  failed: boolean;
  error: unknown;
}

export interface GroupCommitOptions {
  readonly clock: () => number;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  /** Called after commit for each write that succeeded, before its promise settles. */
  readonly committed: (tx: PgTx) => void;
}

/** How many times a write runs at most when the server fails it as TRANSIENT (invariant 7). */
const MAX_ATTEMPTS = 3;
/** SQLSTATEs of failures that a new transaction may not meet: deadlock_detected, serialization_failure. */
const TRANSIENT = new Set(["40P01", "40001"]);

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && TRANSIENT.has(code);
}

/** Names of prepared statements, one per SQL text. */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `perdure_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Sends `text` on `client`, as a named prepared statement when it has parameters. */
export function run<R>(client: pg.ClientBase | pg.Pool, text: string, values?: readonly unknown[]): Promise<pg.QueryResult & { rows: R[] }> {
  if (values === undefined) return client.query(text) as Promise<pg.QueryResult & { rows: R[] }>;
  return client.query({ name: statementName(text), text, values: values as unknown[] }) as Promise<pg.QueryResult & { rows: R[] }>;
}

/** A pooled connection checked out by a lane, with the error it died of, if it did. */
interface Checkout {
  readonly client: pg.PoolClient;
  broken: Error | undefined;
  /** pg emits 'error' on a client whose socket dies, and the pool listens only to idle ones. */
  readonly onError: (error: Error) => void;
}

export class GroupCommit {
  private readonly queues: Record<Lane, Op[]> = { step: [], write: [] };
  private readonly inFlight: Record<Lane, number> = { step: 0, write: 0 };
  /**
   * A connection a lane keeps for its next batch, when that batch was asked for in the same turn of
   * the event loop: a checkout and a release from the pool cost about as much as a short write's
   * own bookkeeping.
   */
  private readonly kept: Record<Lane, Checkout | undefined> = { step: undefined, write: undefined };
  private closing = false;
  private scheduled = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: GroupCommitOptions,
  ) {}

  /**
   * Queues a write; it runs in the next transaction and settles after that transaction ends.
   * `steps` names the instance the write would step, so that writes of one transaction that
   * would step the same instance share one episode (see PgTx.stepLater); a write that steps
   * READY_INSTANCES runs alone, after the writes before it in its batch have finished.
   */
  write<T>(body: WriteBody<T>, lane: Lane, steps?: Steps): Promise<T> {
    return this.enqueue(body, lane, steps, 1);
  }

  private enqueue<T>(body: WriteBody<T>, lane: Lane, steps: Steps, attempt: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const failed = (error: unknown): void => {
        if (attempt < MAX_ATTEMPTS && isTransient(error)) this.enqueue(body, lane, steps, attempt + 1).then(resolve, reject);
        else reject(error);
      };
      this.queues[lane].push({ body, steps, resolve: resolve as (value: unknown) => void, reject: failed });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Resolves when every queued write has settled. */
  async drain(): Promise<void> {
    while (!this.isIdle()) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Settles every queued write and gives the connections back to the pool. */
  async close(): Promise<void> {
    this.closing = true;
    await this.drain();
    for (const lane of ["write", "step"] as const) {
      const kept = this.kept[lane];
      this.kept[lane] = undefined;
      if (kept !== undefined) this.giveBack(kept);
    }
  }

  private isIdle(): boolean {
    return this.queues.step.length + this.queues.write.length + this.inFlight.step + this.inFlight.write === 0;
  }

  private pump(): void {
    for (const lane of ["write", "step"] as const) {
      const queue = this.queues[lane];
      while (queue.length > 0 && this.inFlight[lane] < this.options.maxInFlight) {
        const batch = queue.splice(0, this.options.maxBatch);
        const other = lane === "step" ? "write" : "step";
        const quiet = batch.length === 1 && queue.length === 0 && this.inFlight[lane] === 0 && this.inFlight[other] === 0 && this.queues[other].length === 0;
        this.inFlight[lane]++;
        void this.runBatch(lane, batch, quiet).finally(() => {
          this.inFlight[lane]--;
          this.pump();
          if (this.isIdle()) {
            for (const done of this.idle) done();
            this.idle.clear();
          }
        });
      }
    }
  }

  private async runBatch(lane: Lane, ops: Op[], quiet: boolean): Promise<void> {
    const kept = this.kept[lane];
    this.kept[lane] = undefined;
    let checkout: Checkout;
    try {
      checkout = kept !== undefined && kept.broken === undefined ? kept : await this.checkout(kept);
    } catch (error) {
      for (const op of ops) op.reject(error);
      return;
    }
    try {
      await new Batch(checkout.client, ops, this.options, quiet).run();
    } catch (error) {
      // The connection is unusable: it is not given back to the pool as it is.
      checkout.broken ??= error instanceof Error ? error : new Error(String(error));
    } finally {
      this.keep(lane, checkout);
    }
  }

  /** A connection from the pool, after giving back `dead`, a kept one that died. */
  private async checkout(dead: Checkout | undefined): Promise<Checkout> {
    if (dead !== undefined) this.giveBack(dead);
    const client = await this.pool.connect();
    const checkout: Checkout = {
      client,
      broken: undefined,
      onError: (error) => {
        // Its statements fail on their own; the connection is not given back to the pool.
        checkout.broken ??= error;
      },
    };
    client.on("error", checkout.onError);
    return checkout;
  }

  /**
   * After a batch: keeps its connection for the lane's next batch if one is asked for before the
   * event loop turns (and nobody waits for a connection); otherwise gives it back.
   */
  private keep(lane: Lane, checkout: Checkout): void {
    if (checkout.broken !== undefined || this.closing || this.kept[lane] !== undefined || this.pool.waitingCount > 0) {
      this.giveBack(checkout);
      return;
    }
    this.kept[lane] = checkout;
    setImmediate(() => {
      if (this.kept[lane] !== checkout) return;
      if (this.queues[lane].length > 0 && this.pool.waitingCount === 0 && !this.closing) return;
      this.kept[lane] = undefined;
      this.giveBack(checkout);
    });
  }

  private giveBack(checkout: Checkout): void {
    checkout.client.off("error", checkout.onError);
    checkout.client.release(checkout.broken);
  }
}

type Outcome = { ok: true; tx: PgTx; value: unknown } | { ok: false; error: unknown };

/** One transaction of writes on one connection. */
class Batch {
  private readonly sent: Sent[] = [];
  private readonly outcomes: Array<Outcome | undefined>;
  private readonly multi: boolean;
  private readonly stream: Corkable | undefined;
  private corked = false;
  /** BEGIN was sent for the transaction in progress. */
  private begun = false;
  /** A lone write's only statement was sent outside a transaction block. */
  private alone = false;
  /** While a wave of writes is being started: their statements wait to leave together. */
  private holding = false;
  private pending: PendingItems | undefined;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly ops: Op[],
    private readonly options: GroupCommitOptions,
    private readonly quiet = false,
  ) {
    this.outcomes = new Array(ops.length).fill(undefined);
    this.multi = ops.length > 1;
    this.stream = streamOf(client);
  }

  /** Runs the batch; throws (after failing every write) only when the connection is unusable. */
  async run(): Promise<void> {
    try {
      if (!this.multi) return await this.runSingle();
      this.begin();
      let live = this.ops.map((_, i) => i);
      for (;;) {
        const failed = await this.attempt(live);
        if (failed === undefined) break;
        // Left out; the others run again from the start, in a new transaction.
        live = live.filter((i) => i !== failed);
        this.begin();
      }
      this.finish();
    } catch (error) {
      this.failAll(error);
      throw error;
    }
  }

  /**
   * One write: its failure is the transaction's. BEGIN goes before its first statement, and COMMIT
   * is pipelined behind its tail; a write of one statement (its tail) runs it alone, in the
   * statement's own transaction, which commits or fails just the same with two statements less.
   */
  private async runSingle(): Promise<void> {
    const op = this.ops[0]!;
    const tx = this.newTx(0);
    let value: unknown;
    try {
      value = await op.body(tx);
    } catch (error) {
      const failed = await this.firstFailure();
      this.outcomes[0] = { ok: false, error: failed?.error ?? error };
      for (const stepper of tx.steppers) stepper.discard?.();
      if (this.begun) await this.flushed(this.send(-1, "ROLLBACK"));
      this.finish();
      return;
    }
    const commit = this.begun ? this.send(-1, "COMMIT") : undefined;
    try {
      value = value instanceof Tail ? await this.flushed(value.promise) : value;
    } catch (error) {
      // The tail failed: the COMMIT behind it was a rollback (or the tail was a refusal that wrote nothing).
      if (commit !== undefined) await this.flushed(commit);
      this.outcomes[0] = { ok: false, error };
      for (const stepper of tx.steppers) stepper.discard?.();
      this.finish();
      return;
    }
    if (commit !== undefined) await this.flushed(commit);
    this.outcomes[0] = { ok: true, tx, value };
    this.finish();
  }

  /**
   * Runs the `live` writes in the open transaction and commits them. Writes are started together,
   * in order, so that the statements they wait on leave in one socket write and come back in one
   * round trip; a write that steps READY_INSTANCES runs alone, after those before it finished.
   * When one fails, rolls back and returns its index: it is settled as failed, its steppers are
   * told at once, and the steppers of the others are told too (they run again).
   */
  private async attempt(live: readonly number[]): Promise<number | undefined> {
    let thrown: { op: number; error: unknown } | undefined;
    let next = 0;
    while (next < live.length && thrown === undefined) {
      // The next wave: writes up to (not including) the next one that runs alone, or that one alone.
      let end = next + 1;
      if (this.ops[live[next]!]!.steps !== READY_INSTANCES) {
        while (end < live.length && this.ops[live[end]!]!.steps !== READY_INSTANCES) end++;
      }
      const wave = live.slice(next, end);
      next = end;
      this.holding = true;
      const running = wave.map((i) => {
        const tx = this.newTx(i, live);
        let started: Promise<unknown>;
        try {
          started = Promise.resolve(this.ops[i]!.body(tx));
        } catch (error) {
          started = Promise.reject(error);
        }
        return started.then(
            (value) => {
              this.outcomes[i] = { ok: true, tx, value };
            },
            (error: unknown) => {
              // Not a statement of its own that failed, unless the one that did is found below.
              for (const stepper of tx.steppers) stepper.discard?.();
              if (thrown === undefined || i < thrown.op) thrown = { op: i, error };
            },
          );
      });
      // Each body sent its first statement synchronously; they go on the wire together.
      this.holding = false;
      this.flush();
      await Promise.all(running);
    }
    const failed = await this.firstFailure();
    if (failed !== undefined && failed.op < 0) throw failed.error;
    // The first statement that failed is the culprit; a write whose awaited statement failed
    // behind it failed only because of it (the pipeline aborts the rest of the transaction).
    const culprit = failed ?? thrown;
    if (culprit === undefined) {
      await this.settleTails();
      await this.flushed(this.send(-1, "COMMIT"));
      return undefined;
    }
    const own = this.outcomes[culprit.op];
    if (own?.ok) for (const stepper of own.tx.steppers) stepper.discard?.();
    for (const i of live) {
      const outcome = this.outcomes[i];
      if (i !== culprit.op && outcome?.ok) for (const stepper of outcome.tx.steppers) stepper.discard?.();
      this.outcomes[i] = undefined;
    }
    this.outcomes[culprit.op] = { ok: false, error: culprit.error };
    await this.flushed(this.send(-1, "ROLLBACK"));
    this.sent.length = 0;
    return culprit.op;
  }

  /** Every statement succeeded: turns the writes' tails into their values, or into refusals. */
  private async settleTails(): Promise<void> {
    this.flush();
    for (let i = 0; i < this.outcomes.length; i++) {
      const outcome = this.outcomes[i];
      if (outcome === undefined || !outcome.ok || !(outcome.value instanceof Tail)) continue;
      try {
        this.outcomes[i] = { ...outcome, value: await outcome.value.promise };
      } catch (error) {
        for (const stepper of outcome.tx.steppers) stepper.discard?.();
        this.outcomes[i] = { ok: false, error };
      }
    }
  }

  /** Waits for every statement in flight; the first (in send order) that failed, if any. */
  private async firstFailure(): Promise<Sent | undefined> {
    this.flush();
    await Promise.all(this.sent.map((s) => s.promise.catch(() => undefined)));
    return this.sent.find((s) => s.failed);
  }

  private newTx(op: number, live?: readonly number[]): PgTx {
    const steps = this.ops[op]!.steps;
    const stepLater = typeof steps === "string" && (live ?? []).some((i) => i > op && this.ops[i]!.steps === steps);
    return new PgTx(
      this.options.clock(),
      (text, values, last) => {
        this.open(last);
        return this.send(op, text, values);
      },
      () => this.flush(),
      (combined, item) => this.combine(op, combined, item),
      stepLater,
      this.quiet,
    );
  }

  private send<R>(op: number, text: string, values?: readonly unknown[]): Promise<R[]> {
    this.sendPending();
    return this.sendNow(op, text, values);
  }

  /** Opens the transaction (multi-write batches open theirs before any write runs). */
  private begin(): void {
    this.begun = true;
    this.send(-1, "BEGIN");
  }

  /**
   * Before a statement of a lone write: opens its transaction, unless the statement is the write's
   * first and last, which then runs in its own (see runSingle).
   */
  private open(last: boolean): void {
    if (this.multi || this.begun || this.alone) return;
    if (last) this.alone = true;
    else this.begin();
  }

  /** Adds write `op`'s item to the items waiting for `combined` (sending those of another statement first). */
  private combine<I, R>(op: number, combined: Combined<I, R>, item: I): Promise<R> {
    this.open(true);
    if (this.pending !== undefined && this.pending.combined !== combined) this.sendPending();
    this.hold();
    const pending = (this.pending ??= { combined: combined as Combined<unknown, unknown>, items: [], ops: [], settle: [] });
    return new Promise<R>((resolve, reject) => {
      pending.items.push(item);
      pending.ops.push(op);
      pending.settle.push({ resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Sends the waiting items as one statement, and settles each from its result. */
  private sendPending(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.sendNow<unknown>(pending.ops[0]!, pending.combined.text, pending.combined.params(pending.items)).then(
      (rows) => {
        const results = pending.combined.split(rows, pending.items.length);
        pending.settle.forEach((settle, i) => settle.resolve(results[i]));
      },
      (error: unknown) => {
        for (const settle of pending.settle) settle.reject(error);
      },
    );
  }

  private sendNow<R>(op: number, text: string, values?: readonly unknown[]): Promise<R[]> {
    this.hold();
    const promise = run<R>(this.client, text, values).then((result) => result.rows);
    const sent: Sent = { op, promise, failed: false, error: undefined };
    promise.catch((error: unknown) => {
      sent.failed = true;
      sent.error = error;
    });
    this.sent.push(sent);
    return promise;
  }

  /** Holds socket writes back until `flush` (or, at the latest, the next turn of the event loop). */
  private hold(): void {
    if (this.corked || this.stream === undefined) return;
    this.corked = true;
    this.stream.cork();
    setImmediate(() => this.flush());
  }

  /** Puts every statement sent so far on the wire. */
  private flush(): void {
    if (this.holding) return;
    this.sendPending();
    if (!this.corked) return;
    this.corked = false;
    this.stream!.uncork();
  }

  /** `promise`, once what was sent before it is on the wire. */
  private flushed<T>(promise: Promise<T>): Promise<T> {
    this.flush();
    return promise;
  }

  /** After the transaction ended: announce and settle, in write order. */
  private finish(): void {
    this.ops.forEach((op, i) => {
      const outcome = this.outcomes[i];
      if (outcome === undefined) return op.reject(new Error("Internal error: a write of the batch was not run."));
      if (!outcome.ok) return op.reject(outcome.error);
      this.options.committed(outcome.tx);
      op.resolve(outcome.value);
    });
  }

  private failAll(error: unknown): void {
    this.ops.forEach((op, i) => {
      const outcome = this.outcomes[i];
      if (outcome?.ok) for (const stepper of outcome.tx.steppers) stepper.discard?.();
      op.reject(outcome !== undefined && !outcome.ok ? outcome.error : error);
    });
    this.outcomes.fill({ ok: false, error });
  }
}

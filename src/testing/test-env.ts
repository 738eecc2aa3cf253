/**
 * `createTestEnv`: a client, a running worker and a store in one object, on a virtual clock, for
 * tests of orchestration code. A 30-day workflow runs in milliseconds: durable timers fire when
 * the test moves the clock (`advanceTime`), or when nothing else can run (`runUntilIdle`), and
 * `ctx.currentUtcDateTime` follows the clock.
 *
 * Invariants kept here:
 * 1. Virtual time moves only when the test moves it, and only once the worker has settled: every
 *    episode and activity that can run at the current time has run. Activities take no virtual time.
 * 2. Time moves through the store's due times one at a time, so that what a timer starts runs at
 *    that timer's time, before a later timer fires.
 * 3. `close()` stops the worker, closes the store and removes its file: no timer, handle or file
 *    is left behind (the clock sets no real timer).
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError } from "../core/errors.js";
import { parseIsoTime } from "../core/iso-time.js";
import { createClient, type Client, type OrchestrationStatus, type StartOptions } from "../runtime/client.js";
import type { Logger } from "../runtime/logger.js";
import { createWorker, type Worker, type WorkerOptions } from "../runtime/worker.js";
import type { App } from "../sdk/app.js";
import type { ActivityHandle, OrchestrationHandle } from "../sdk/handles.js";
import { sqlite } from "../store/sqlite/index.js";
import { isTerminal, type Store } from "../store/store.js";
import { ActivityCalls, type ActivityCall, type ActivityMock, type ActivityRef } from "./activity-calls.js";
import { toMilliseconds, type Duration } from "./duration.js";
import { seededIds } from "./seeded-ids.js";
import { VirtualClock } from "./virtual-clock.js";

export interface TestEnvOptions {
  /** "memory" (default): an in-memory SQLite store; "file": a SQLite file in a temporary folder, removed by `close()`. */
  readonly store?: "memory" | "file" | undefined;
  /** The virtual clock's start (default 2026-01-01T00:00:00Z). */
  readonly startTime?: Date | string | undefined;
  /** The seed of instance and execution ids (default 1): the same seed gives the same ids. */
  readonly seed?: number | undefined;
  /** Options of the worker; the environment sets its clock, ids and logger. */
  readonly worker?: Omit<WorkerOptions, "timers" | "ids" | "logger" | "workerId"> | undefined;
  /** Where the worker logs (default: nowhere). */
  readonly logger?: Logger | undefined;
  /** The longest real time to wait for running work (activities) to finish before time moves (default 10 s). */
  readonly settleTimeoutMs?: number | undefined;
}

export interface RunUntilIdleOptions {
  /** Stop at this virtual time (a Date, or a duration from now) even if timers are still due later. */
  readonly until?: Date | Duration | undefined;
  /** The most timers to go through before giving up (default 10,000): an eternal orchestration never idles. */
  readonly maxTimers?: number | undefined;
}

const DEFAULT_START = "2026-01-01T00:00:00.000Z";
const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One test's runtime on a virtual clock. Create it with `createTestEnv`, end it with `close()`. */
export class TestEnv {
  /** The app the worker runs: the test's app, with activity calls recorded and mockable. */
  readonly app: App;
  readonly client: Client;
  readonly worker: Worker;
  readonly store: Store;
  readonly clock: VirtualClock;
  readonly #calls: ActivityCalls;
  readonly #dir: string | undefined;
  readonly #settleTimeoutMs: number;
  #closed = false;

  /** @internal Use `createTestEnv`. */
  constructor(app: App, options: TestEnvOptions) {
    this.clock = new VirtualClock(startOf(options.startTime));
    this.#settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
    this.#calls = new ActivityCalls(app, () => this.clock.date);
    this.app = this.#calls.app;
    const kind = options.store ?? "memory";
    if (kind !== "memory" && kind !== "file") throw new InvalidArgumentError(`createTestEnv option 'store' must be "memory" or "file"; received ${JSON.stringify(kind)}.`);
    this.#dir = kind === "file" ? mkdtempSync(join(tmpdir(), "perdure-test-env-")) : undefined;
    this.store = sqlite(this.#dir === undefined ? ":memory:" : join(this.#dir, "perdure.db"), { clock: this.clock.now });
    const ids = seededIds(options.seed ?? 1);
    try {
      this.client = createClient(this.store, { app: this.app, ids });
      this.worker = createWorker(this.app, this.store, {
        ...options.worker,
        workerId: "test-worker",
        logger: options.logger ?? SILENT,
        timers: this.clock,
        ids,
      }).start();
    } catch (error) {
      void this.store.close();
      this.#removeDir();
      throw error;
    }
  }

  /** The virtual time. */
  get now(): Date {
    return this.clock.date;
  }

  /**
   * Replaces an activity for this environment (registered in the app or not): its calls go to
   * `mock`, with the input and a context that tells the attempt. Calls are recorded either way.
   *
   * @example
   * env.mockActivity(chargeCard, (order, { attempt }) => {
   *   if (attempt < 3) throw new Error("card service unavailable");
   *   return "receipt-1";
   * });
   */
  mockActivity<TIn, TOut>(activity: ActivityHandle<TIn, TOut>, mock: ActivityMock<TIn, TOut>): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mockActivity(activity: string, mock: ActivityMock<any, unknown>): void;
  mockActivity(activity: ActivityRef, mock: ActivityMock<never, unknown>): void {
    this.#calls.mock(activity, mock as ActivityMock);
  }

  /** The activity calls made so far (of one activity, or all), in the order they started. */
  calls(activity?: ActivityRef): ActivityCall[] {
    return this.#calls.calls(activity);
  }

  /** Starts an orchestration (see `Client.startNew`); its first episode runs at the current virtual time. */
  startNew<TIn, TOut>(orchestration: OrchestrationHandle<TIn, TOut> | string, options?: StartOptions<TIn>): Promise<string> {
    return this.client.startNew(orchestration, options);
  }

  /** Raises an external event (see `Client.raiseEvent`); it is processed the next time the environment runs. */
  raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    return this.client.raiseEvent(instanceId, eventName, data);
  }

  /** Runs everything that can run at the current virtual time, without moving it. */
  async settle(): Promise<void> {
    this.#assertOpen();
    const deadline = Date.now() + this.#settleTimeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      quiet = this.worker.isIdle ? quiet + 1 : 0;
      if (quiet === 0 && Date.now() > deadline) {
        const running = this.#calls.calls().filter((c) => c.outcome === undefined).map((c) => `'${c.name}' (instance '${c.instanceId}')`);
        throw new Error(
          `The test environment did not settle within ${this.#settleTimeoutMs} ms of real time` +
            (running.length > 0 ? `: activities still running: ${running.join(", ")}.` : ".") +
            " Activities must finish for virtual time to move; a mock that never resolves keeps it still.",
        );
      }
    }
  }

  /**
   * Moves virtual time forward by `duration` ("3d", "72h", "1h30m", or milliseconds), running
   * everything that becomes due on the way, in order: each durable timer fires at its own time.
   */
  async advanceTime(duration: Duration): Promise<void> {
    const target = this.clock.now() + toMilliseconds(duration, "advanceTime() duration");
    await this.settle();
    for (;;) {
      const next = await this.store.nextWakeUp();
      if (next === undefined || next > target) break;
      await this.#moveTo(next);
    }
    await this.#moveTo(target);
  }

  /**
   * Runs until nothing is left to run: whenever nothing can run at the current virtual time, moves
   * it to the next due timer (or scheduled start). Returns once no timer is due at all, or at
   * `until`. Instances that wait for an external event stay waiting.
   * @throws Error after `maxTimers` timers (an orchestration that keeps setting timers never idles; pass `until`).
   */
  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<void> {
    const until = options.until === undefined ? undefined : this.#timeOf(options.until);
    const maxTimers = options.maxTimers ?? 10_000;
    await this.settle();
    for (let fired = 0; ; fired++) {
      const next = await this.store.nextWakeUp();
      if (next === undefined) return;
      if (until !== undefined && next > until) return this.#moveTo(until);
      if (fired >= maxTimers) {
        throw new Error(
          `runUntilIdle() went through ${maxTimers} timers and work was still due (next at ${new Date(next).toISOString()}): ` +
            "an orchestration keeps setting timers. Pass { until } or use advanceTime().",
        );
      }
      await this.#moveTo(next);
    }
  }

  /**
   * Runs until idle (see `runUntilIdle`) and returns the instance's status once it has finished.
   * @throws Error when it has not finished and nothing is left to run (it waits for an event, or is suspended).
   */
  async waitForCompletion<TOut = unknown>(instanceId: string, options: RunUntilIdleOptions = {}): Promise<OrchestrationStatus<TOut>> {
    await this.runUntilIdle(options);
    const status = await this.client.getStatus<TOut>(instanceId);
    if (status === undefined) throw new Error(`No instance '${instanceId}' in the test environment.`);
    if (!isTerminal(status.runtimeStatus)) {
      throw new Error(
        `Instance '${instanceId}' is ${status.runtimeStatus} at ${this.now.toISOString()} and nothing is left to run: ` +
          "it waits for an external event (raise it with env.raiseEvent), a resume, or a timer beyond 'until'.",
      );
    }
    return status;
  }

  /** Stops the worker, closes the store and removes its file. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.worker.stop({ timeoutMs: this.#settleTimeoutMs });
      await this.store.close();
    } finally {
      this.clock.clearAll();
      this.#removeDir();
    }
  }

  async #moveTo(ms: number): Promise<void> {
    this.clock.moveTo(ms);
    this.worker.wake();
    await this.settle();
  }

  #timeOf(until: Date | Duration): number {
    if (until instanceof Date) {
      if (Number.isNaN(until.getTime())) throw new InvalidArgumentError("runUntilIdle() option 'until' is an invalid Date.");
      return until.getTime();
    }
    return this.clock.now() + toMilliseconds(until, "runUntilIdle() option 'until'");
  }

  #removeDir(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("This test environment is closed.");
  }
}

function startOf(start: Date | string | undefined): Date {
  if (start === undefined) return new Date(DEFAULT_START);
  const ms = start instanceof Date ? start.getTime() : parseIsoTime(start);
  if (ms === undefined || Number.isNaN(ms)) {
    throw new InvalidArgumentError(`createTestEnv option 'startTime' must be a Date or an ISO 8601 time; received ${JSON.stringify(start)}.`);
  }
  return new Date(ms);
}

/**
 * Creates a test environment for `app`: an in-memory store, a running worker and a client on a
 * virtual clock. Close it after the test.
 *
 * @example
 * const env = createTestEnv(app);
 * const id = await env.startNew(approval, { input: { amount: 10 } });
 * await env.advanceTime("72h");
 * expect((await env.client.getStatus(id))?.output).toEqual({ outcome: "escalated" });
 * await env.close();
 */
export function createTestEnv(app: App, options: TestEnvOptions = {}): TestEnv {
  return new TestEnv(app, options);
}

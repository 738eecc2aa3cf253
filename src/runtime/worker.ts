/**
 * The worker: runs orchestration episodes and activities from a store, with concurrency limits,
 * lease renewal for long activities, a bounded cache of warm executors and graceful shutdown.
 *
 * Invariants kept here:
 * 1. An activity's result is applied through the store, fenced by its lease; a result whose
 *    lease was lost is dropped (the new holder runs the task again).
 * 2. When an activity finishes here and its orchestration is free, its result and the next
 *    episode commit in one transaction (the stepped path); tasks that episode schedules are
 *    enqueued already leased to this worker, up to its free activity slots.
 * 3. Loops never sleep blindly: they wait on a wake-up (store event or in-process commit) with
 *    a deadline at the store's next visible message or lease expiry, capped at `maxIdleMs`.
 * 4. A store error is logged and retried with backoff; it never stops the worker.
 * 5. One instance the store cannot step (unreadable stored data, an episode that throws) never
 *    stops the others: the store sets it aside, Failed, and the worker logs it once.
 * 6. An instance runs only on a worker that registers its orchestration's version: the store
 *    passes over the others' instances for this worker. A running worker registers the versions
 *    it has in the store (renewed every third of `leaseMs`); with `missingVersion: "fail"`, an
 *    instance whose version no registered worker has is failed, once this worker has been up for
 *    a whole registration period (so that every running worker has registered).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { InvalidArgumentError, toFailureDetails } from "../core/errors.js";
import { serialize } from "../core/serde.js";
import type { App } from "../sdk/app.js";
import type { ActivityContext } from "../sdk/activity-context.js";
import { InstanceExistsError, LeaseLostError } from "../store/errors.js";
import type { ActivityOutcome, ActivityWorkItem, CommitResult, CreateInstanceRequest, Store, VersionFilter } from "../store/store.js";
import { UnknownActivityError, WorkerStateError } from "./errors.js";
import { ExecutorCache } from "./executor-cache.js";
import { consoleLogger, type Logger } from "./logger.js";
import { OrchestrationProcessor, type StepSession } from "./orchestration-processor.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, checkPayload } from "./payloads.js";
import { Wakeup, realTimers } from "./wakeups.js";
import { InFlight } from "./in-flight.js";
import { positive, type WorkerOptions } from "./worker-options.js";
import { registerLocalStarter } from "./local-workers.js";
import { randomIds } from "./ids.js";
import { WorkerRegistration } from "./worker-registration.js";

export type { WorkerOptions } from "./worker-options.js";

export interface StopOptions {
  /** How long in-flight activities may take to finish before they are handed back (default 10 s). */
  readonly timeoutMs?: number | undefined;
}

type WorkerState = "new" | "running" | "stopping" | "stopped";

/** Ready instances stepped in one store transaction by one orchestration loop. */
const STEP_BATCH = 32;
/** How often (store time) an idle worker in fail mode looks for instances on versions nobody runs. */
const FAIL_SWEEP_MS = 1000;

/** Runs an app's orchestrations and activities from a store. Create with `createWorker`. */
export class Worker {
  readonly workerId: string;
  readonly #store: Store;
  readonly #app: App;
  readonly #logger: Logger;
  readonly #maxActivities: number;
  readonly #maxOrchestrations: number;
  readonly #leaseMs: number;
  readonly #maxIdleMs: number;
  readonly #maxPayloadBytes: number;
  readonly #processor: OrchestrationProcessor;
  readonly #orchestrationWake: Wakeup;
  readonly #activityWake: Wakeup;
  readonly #missingVersion: "wait" | "fail";
  readonly #inFlight = new Map<string, InFlight>();
  readonly #activityDone = new Set<() => void>();
  #state: WorkerState = "new";
  #activeSlots = 0;
  #waitingForSlot = false;
  #loops: Promise<void>[] = [];
  /** One timer renews the leases of all running activities (see #renewDue). */
  #renewals: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => void) | undefined;
  #unregister: (() => void) | undefined;
  /** This worker's registration in the store (see invariant 6). */
  readonly #registration: WorkerRegistration;
  /** From when (store time) a version no registered worker has may be failed; when it was last looked for. */
  #failFrom = Infinity;
  #lastFailSweep = -Infinity;
  /** The versions this worker runs, as the store's filter takes them (read from the app at start). */
  #versions: VersionFilter | undefined;
  /** Loops waiting for work, and store calls on behalf of starts: what `isIdle` reads. */
  #idleLoops = 0;
  #startsInFlight = 0;

  constructor(app: App, store: Store, options: WorkerOptions = {}) {
    this.#app = app;
    this.#store = store;
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.#logger = options.logger ?? consoleLogger("warn");
    this.#maxActivities = positive("maxConcurrentActivities", options.maxConcurrentActivities ?? 100);
    this.#maxOrchestrations = positive("maxConcurrentOrchestrations", options.maxConcurrentOrchestrations ?? 1);
    this.#leaseMs = positive("leaseMs", options.leaseMs ?? 30_000);
    this.#maxIdleMs = positive("maxIdleMs", options.maxIdleMs ?? 1000);
    this.#maxPayloadBytes = positive("maxPayloadBytes", options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    const missingVersion = options.missingVersion ?? "wait";
    if (missingVersion !== "wait" && missingVersion !== "fail") {
      throw new InvalidArgumentError(`Worker option 'missingVersion' must be "wait" or "fail"; received ${JSON.stringify(missingVersion)}.`);
    }
    this.#missingVersion = missingVersion;
    const timers = options.timers ?? realTimers;
    this.#orchestrationWake = new Wakeup(timers);
    this.#activityWake = new Wakeup(timers);
    const cacheSize = options.executorCacheSize ?? 1000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new InvalidArgumentError(`Worker option 'executorCacheSize' must be an integer of at least 0; received ${String(cacheSize)}.`);
    }
    const cache = new ExecutorCache(cacheSize);
    this.#registration = new WorkerRegistration(store, app, {
      workerId: this.workerId,
      ttlMs: this.#leaseMs,
      renewEveryMs: this.#renewEveryMs(),
      logger: this.#logger,
    });
    this.#processor = new OrchestrationProcessor(app, cache, {
      workerId: this.workerId,
      leaseMs: this.#leaseMs,
      maxPayloadBytes: this.#maxPayloadBytes,
      logger: this.#logger,
      newExecutionId: () => (options.ids ?? randomIds).executionId(),
      reserveActivitySlot: () => this.#reserveSlot(),
    });
  }

  /** True between `start()` and the end of `stop()`. */
  get isRunning(): boolean {
    return this.#state === "running";
  }

  /** Activities running now. */
  get activeActivities(): number {
    return this.#inFlight.size;
  }

  /**
   * True when the worker waits for work with nothing in hand: its loops found none when they last
   * looked and nothing announced any since, no activity runs and no start is being written.
   * (The test kit reads it to know when virtual time may move on.)
   */
  get isIdle(): boolean {
    return (
      this.#state === "running" &&
      this.#idleLoops === this.#loops.length &&
      this.#inFlight.size === 0 &&
      this.#startsInFlight === 0 &&
      !this.#orchestrationWake.isPending &&
      !this.#activityWake.isPending
    );
  }

  /** Starts the dispatch loops. */
  start(): this {
    if (this.#state !== "new") throw new WorkerStateError(`A worker starts once; this one is ${this.#state}.`);
    this.#state = "running";
    this.#unsubscribe = this.#store.subscribe((event) => {
      // Something due later (a timer, a scheduled start): idle loops work out when to wake again.
      if (event.kind === "wakeup") return this.wake();
      if (event.kind !== "work") return;
      if (event.queue !== "tasks") this.#orchestrationWake.notify();
      if (event.queue !== "instances") this.#activityWake.notify();
    });
    this.#unregister = registerLocalStarter(this.#store, { start: (request) => this.#start(request) });
    // Unref'd: the loops keep a running worker's process alive, and this timer must not keep a
    // stopped one alive while an activity that ignores its AbortSignal never returns.
    this.#renewals = setInterval(() => this.#renewDue(), this.#renewEveryMs() / 2).unref();
    this.#versions = this.#processor.versions();
    this.#failFrom = this.#missingVersion === "fail" ? this.#store.now() + this.#leaseMs : Infinity;
    this.#registration.start();
    for (let i = 0; i < this.#maxOrchestrations; i++) this.#loops.push(this.#orchestrationLoop());
    this.#loops.push(this.#activityLoop());
    return this;
  }

  /** Makes idle loops look for work now (e.g. after moving a test clock). */
  wake(): void {
    this.#orchestrationWake.notify();
    this.#activityWake.notify();
  }

  /**
   * Stops taking work, lets in-flight activities finish until the deadline, then aborts the
   * rest and hands their tasks back to the store. Resolves when the worker has stopped.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.#state === "stopped" || this.#state === "new") {
      this.#state = "stopped";
      return;
    }
    if (this.#state === "stopping") return this.#waitStopped();
    this.#state = "stopping";
    this.#unregister?.();
    this.wake();
    await Promise.all(this.#loops);
    await this.#registration.stop();
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, deadline - Date.now()));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#activityDone.add(done);
      });
    }
    for (const flight of this.#inFlight.values()) {
      flight.abandoned = true;
      flight.abort(new Error("The worker is stopping."));
      try {
        await this.#store.abandonActivity(flight.item);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) this.#logger.warn(`Could not hand back activity task ${flight.item.id}`, error);
      }
    }
    clearInterval(this.#renewals);
    this.#unsubscribe?.();
    this.#state = "stopped";
    for (const done of this.#activityDone) done();
  }

  async #waitStopped(): Promise<void> {
    while (this.#state !== "stopped") await new Promise<void>((resolve) => this.#activityDone.add(resolve));
  }

  #reserveSlot(): boolean {
    if (this.#state !== "running" || this.#activeSlots >= this.#maxActivities) return false;
    this.#activeSlots++;
    return true;
  }

  #releaseSlots(count: number): void {
    if (count <= 0) return;
    this.#activeSlots -= count;
    // Only a loop that stopped for want of a slot needs waking; the others wait for store events.
    if (this.#waitingForSlot) {
      this.#waitingForSlot = false;
      this.#activityWake.notify();
    }
  }

  /** Undoes in memory what a failed store call did: warm executors and reserved slots. */
  #discard(session: StepSession): void {
    session.discard();
    this.#releaseSlots(session.reservedSlots);
    session.reservedSlots = 0;
  }

  #accept(session: StepSession, result: CommitResult | undefined): void {
    // Set aside by the store, once: it never hands them out again.
    for (const parked of result?.parked ?? []) this.#logger.error(parked.message, parked.cause);
    const leased = result?.leasedTasks ?? [];
    this.#releaseSlots(session.reservedSlots - leased.length);
    session.reservedSlots = 0;
    if (session.setTimers) this.#orchestrationWake.notify();
    for (const item of leased) this.#runActivity(item);
  }

  /**
   * A start from a client of this process: creates the instance and runs its first episode here,
   * in the same store transaction. Undefined (the client starts it plainly) when this worker does
   * not run that orchestration now, or the start is for later.
   */
  #start(request: CreateInstanceRequest): Promise<void> | undefined {
    if (this.#state !== "running" || request.scheduledStartAt !== undefined) return undefined;
    if (this.#app.getOrchestrationVersion(request.name, request.version) === undefined) return undefined;
    const session = this.#processor.session();
    this.#startsInFlight++;
    return this.#store
      .createInstance(request, session)
      .then(
        (result) => this.#accept(session, result),
        async (error: unknown) => {
          this.#discard(session);
          // Nothing was written. A refusal stands; otherwise the start goes through alone, and the
          // orchestration loop runs its first episode (a store that cannot take it fails again).
          if (error instanceof InstanceExistsError) throw error;
          this.#logger.warn(`Could not run the first episode of '${request.instanceId}' with its start; starting it alone.`, error);
          await this.#store.createInstance(request);
        },
      )
      .finally(() => this.#startsInFlight--);
  }

  /**
   * Fail mode: fails the ready instances of this app's names on a version no registered worker
   * has (see invariant 6). Returns true when it stepped any.
   */
  async #failMissingVersions(): Promise<boolean> {
    const now = this.#store.now();
    // Looked for at most once a second (of store time): a read and a search, on idle loops only.
    if (now < this.#failFrom || now - this.#lastFailSweep < FAIL_SWEEP_MS) return false;
    this.#lastFailSweep = now;
    let session: StepSession | undefined;
    try {
      const running = await this.#registration.runningVersions();
      const allowed: Record<string, string[]> = {};
      for (const [name, versions] of running) allowed[name] = versions.map((v) => v ?? "");
      session = this.#processor.session(running);
      const result = await this.#store.stepOrchestration(session, {
        workerId: this.workerId,
        leaseMs: this.#leaseMs,
        maxInstances: STEP_BATCH,
        versions: { allowed, complement: true },
      });
      this.#accept(session, result);
      // More may be waiting: the next idle loop looks again at once.
      if (result !== undefined) this.#lastFailSweep = -Infinity;
      return result !== undefined;
    } catch (error) {
      if (session !== undefined) this.#discard(session);
      this.#logger.warn("Could not fail the instances whose version no worker runs; trying again later.", error);
      return false;
    }
  }

  async #orchestrationLoop(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      const session = this.#processor.session();
      try {
        const result = await this.#store.stepOrchestration(session, {
          workerId: this.workerId,
          leaseMs: this.#leaseMs,
          maxInstances: STEP_BATCH,
          // Instances left to remote workers, or to workers with other versions, must not stand
          // before the ones this worker runs.
          only: this.#processor.names(),
          versions: this.#versions,
        });
        failures = 0;
        this.#accept(session, result);
        // Fewer instances than asked for: none was left ready when the store looked, and work
        // that became ready since is announced by an event, which the wake-up remembers.
        if (result === undefined || session.stepped.length < STEP_BATCH) {
          if (this.#missingVersion === "fail" && (await this.#failMissingVersions())) continue;
          await this.#idle(this.#orchestrationWake);
        }
      } catch (error) {
        this.#discard(session);
        failures++;
        this.#logger.error(`Orchestration dispatch failed (attempt ${failures}); retrying.`, error);
        await this.#orchestrationWake.wait(Math.min(this.#maxIdleMs, 10 * 2 ** failures));
      }
    }
  }

  async #activityLoop(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      const free = this.#maxActivities - this.#activeSlots;
      if (free <= 0) {
        this.#waitingForSlot = true;
        await this.#activityWake.wait(this.#maxIdleMs);
        continue;
      }
      try {
        // Slots are not held while the lease call waits: episodes committing meanwhile may enqueue
        // tasks already leased to this worker. Tasks leased beyond the free slots are handed back.
        const items = await this.#store.leaseActivities({ workerId: this.workerId, leaseMs: this.#leaseMs, max: free, names: this.#processor.taskNames() });
        failures = 0;
        for (const item of items) {
          if (this.#activeSlots < this.#maxActivities) {
            this.#activeSlots++;
            this.#runActivity(item);
          } else {
            void this.#store.abandonActivity(item).catch((error: unknown) => {
              this.#logger.warn(`Could not hand back activity task ${item.id}.`, error);
            });
          }
        }
        if (items.length === 0) await this.#idle(this.#activityWake);
      } catch (error) {
        failures++;
        this.#logger.error(`Activity dispatch failed (attempt ${failures}); retrying.`, error);
        await this.#activityWake.wait(Math.min(this.#maxIdleMs, 10 * 2 ** failures));
      }
    }
  }

  async #idle(wakeup: Wakeup): Promise<void> {
    // Woken already (work announced meanwhile): no need to ask the store when to wake.
    if (wakeup.isPending) return wakeup.wait(0);
    let delay = this.#maxIdleMs;
    try {
      const next = await this.#store.nextWakeUp();
      if (next !== undefined) delay = Math.min(delay, Math.max(0, next - this.#store.now()));
    } catch (error) {
      this.#logger.warn("Could not read the store's next wake-up time.", error);
    }
    this.#idleLoops++;
    try {
      await wakeup.wait(delay);
    } finally {
      this.#idleLoops--;
    }
  }

  /** Runs a leased task whose activity slot is already taken. */
  #runActivity(item: ActivityWorkItem): void {
    const flight = new InFlight(item);
    this.#inFlight.set(item.id, flight);
    void this.#execute(flight).finally(() => {
      // The store may hand the task's row (and id) to the next task its commit scheduled, which
      // this worker may be running already.
      if (this.#inFlight.get(item.id) === flight) this.#inFlight.delete(item.id);
      this.#releaseSlots(1);
      for (const done of this.#activityDone) done();
      this.#activityDone.clear();
    });
  }

  async #execute(flight: InFlight): Promise<void> {
    const outcome = await this.#invoke(flight);
    if (flight.abandoned) return;
    const session = this.#state === "running" ? this.#processor.session() : undefined;
    try {
      const result = await this.#store.completeActivity(flight.item, outcome, session);
      if (session) this.#accept(session, result);
    } catch (error) {
      if (session) this.#discard(session);
      if (error instanceof LeaseLostError) {
        this.#logger.warn(`Result of activity '${flight.item.name}' (task ${flight.item.id}) dropped: ${error.message}`);
      } else {
        this.#logger.error(`Could not store the result of activity '${flight.item.name}'; it will run again.`, error);
      }
    }
  }

  async #invoke(flight: InFlight): Promise<ActivityOutcome> {
    const { item } = flight;
    const registered = this.#app.getActivity(item.name);
    if (registered === undefined) return { ok: false, failureDetails: toFailureDetails(new UnknownActivityError(item.name)) };
    const ctx: ActivityContext = {
      name: registered.name,
      instanceId: item.instanceId,
      executionId: item.executionId,
      taskId: item.taskId,
      get signal() {
        return flight.signal;
      },
    };
    try {
      const input = item.input === undefined ? undefined : JSON.parse(item.input);
      const value = await registered.fn(input, ctx);
      const result = serialize(value, `the result of activity '${item.name}'`);
      checkPayload(result, `The result of activity '${item.name}'`, this.#maxPayloadBytes);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, failureDetails: toFailureDetails(error) };
    }
  }

  /** How often an activity's lease is renewed: three times in a lease. */
  #renewEveryMs(): number {
    return Math.max(10, Math.floor(this.#leaseMs / 3));
  }

  /**
   * Renews the lease of each running activity that last renewed it half a period ago or more: with
   * a sweep every half period, each is renewed within a period, as if it had its own timer.
   */
  #renewDue(): void {
    const due = Date.now() - this.#renewEveryMs() / 2;
    for (const flight of this.#inFlight.values()) {
      if (!flight.abandoned && !flight.renewing && flight.renewedAt <= due) void this.#renew(flight);
    }
  }

  async #renew(flight: InFlight): Promise<void> {
    if (flight.abandoned) return;
    flight.renewing = true;
    try {
      const renewedAt = Date.now();
      flight.item = await this.#store.renewActivityLease(flight.item, this.#leaseMs);
      flight.renewedAt = renewedAt;
    } catch (error) {
      if (error instanceof LeaseLostError) {
        flight.abandoned = true;
        flight.abort(error);
      } else {
        this.#logger.warn(`Could not renew the lease of activity task ${flight.item.id}.`, error);
      }
    } finally {
      flight.renewing = false;
    }
  }
}


/**
 * Creates a worker for an app on a store. Call `start()` to run it and `stop()` to end it.
 *
 * @example
 * const worker = createWorker(app, sqlite("perdure.db")).start();
 * // …
 * await worker.stop();
 */
export function createWorker(app: App, store: Store, options?: WorkerOptions): Worker {
  return new Worker(app, store, options);
}

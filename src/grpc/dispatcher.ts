/**
 * Work for remote workers: leases orchestration work items, activity tasks and entity batches
 * from the store, holds them (held-work.ts) and delivers them on the workers' GetWorkItems
 * streams, and applies the workers' answers with the store's fenced commits.
 *
 * Invariants kept here:
 * 1. A completion whose token is not current (the item was re-delivered, its lease was lost, the
 *    server restarted) changes nothing: the store's fencing makes the current holder's commit the
 *    only one that counts. It is refused (LeaseLostError, ABORTED), whatever its kind, so that its
 *    worker knows the work will be done again elsewhere.
 * 2. An item that no connected worker accepts is held, not released, so that a worker of ours
 *    sharing the store never sees it.
 * 3. Work whose name the local app registers (orchestrations, activities, entities) is never
 *    leased here: the store passes it over (`except`), so it stays free for the local worker and
 *    the two never take each other's work.
 * 4. A worker's answer is applied in one store commit; one the server cannot apply fails the
 *    instance (an orchestration) or the batch's operations (an entity) with the reason, rather
 *    than leaving callers stuck. An entity batch the worker reports failed as a whole is handed
 *    back and runs again later.
 * 5. Some work needs no worker and is committed here: messages to an ended orchestration, a
 *    termination, early events, and entity batches without operations (lock steps only).
 * 6. A write that leaves something due later (a remote worker's timer, a scheduled start, a delayed
 *    signal) wakes the idle loops through the store's `wakeup` event; they then wait until the
 *    earliest due time the store knows, so that it fires when due, as a local worker's does.
 *
 * @module
 */
import { toFailureDetails } from "../core/errors.js";
import type { Logger } from "../runtime/logger.js";
import { newExecutionId } from "../runtime/ids.js";
import { Wakeup } from "../runtime/wakeups.js";
import type { App } from "../sdk/app.js";
import { InstanceExistsError, LeaseLostError } from "../store/errors.js";
import {
  isTerminal,
  type ActivityWorkItem,
  type CommitResult,
  type InstanceNames,
  type OrchestrationCommit,
  type OrchestrationWorkItem,
  type Store,
} from "../store/store.js";
import { fromWireFailure, fromWireString, toWireString } from "./codec.js";
import { currentMessages, dispatchEpisode, newEventsOf, readHistory } from "./episodes.js";
import { HeldWork, RETRY_DELAY_MS, handBackToStore, type Held, type WorkItemBody } from "./held-work.js";
import {
  commitFromResponse,
  dropCommit,
  earlyEventsCommit,
  failureCommit,
  terminationCommit,
  type DispatchedEpisode,
  type TaskExtras,
} from "./remote-commit.js";
import { entityBatchRequest, entityCommitFromResult, planEntityBatch, type EntityStartRequest } from "./remote-entity.js";
import type { WireActivityResponse, WireEntityBatchResult, WireOrchestratorResponse } from "./wire.js";
import type { WorkerStream, WorkerStreams, WorkKind } from "./worker-streams.js";

export interface DispatcherOptions {
  readonly store: Store;
  readonly streams: WorkerStreams;
  /** The app of a worker of ours that shares the store: the names it registers are left to it. */
  readonly app?: App | undefined;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly maxIdleMs: number;
  readonly logger: Logger;
  /** Starts an orchestration an entity asked for, as the StartInstance call does. */
  readonly startOrchestration: (request: EntityStartRequest) => Promise<unknown>;
}

/** Items held at once per kind; beyond that, leasing waits. */
const MAX_HELD = 10_000;
/** Activity tasks leased per store call. */
const ACTIVITY_BATCH = 100;

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #work: HeldWork;
  readonly #orchestrationWake = new Wakeup();
  readonly #activityWake = new Wakeup();
  readonly #stopped = new Wakeup();
  #running = false;
  #loops: Promise<void>[] = [];
  #unsubscribe: (() => void) | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#work = new HeldWork({ ...options, prepare: (held) => this.#prepare(held) });
  }

  start(): void {
    this.#running = true;
    this.#unsubscribe = this.#o.store.subscribe((event) => {
      // Something due later (a timer, a scheduled start, a delayed signal): the idle loops work out when to wake again (invariant 6).
      if (event.kind === "wakeup") return this.#wake();
      if (event.kind !== "work") return;
      if (event.queue !== "tasks") this.#orchestrationWake.notify();
      if (event.queue !== "instances") this.#activityWake.notify();
    });
    this.#loops = [this.#orchestrationLoop(), this.#activityLoop()];
    this.#work.start();
  }

  /** Stops leasing and hands every held item back to the store. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.#wake();
    this.#stopped.notify();
    await Promise.all(this.#loops);
    await this.#work.stop();
  }

  /** Offers held work to the streams (a stream connected or has room again). */
  offer(): void {
    this.#work.offer();
  }

  /** Forgets every held item without handing it back: the store was emptied (task-hub management). */
  forgetAll(): void {
    this.#work.forgetAll();
  }

  /** A stream went away: what it was given is offered to the others. */
  streamClosed(stream: WorkerStream): void {
    this.#work.streamClosed(stream);
  }

  /**
   * Lets go of a held, undelivered orchestration work item of this instance, so that it is leased
   * again with the messages that arrived since (a termination must not wait for a worker).
   */
  async release(instanceId: string): Promise<void> {
    for (const held of this.#work.undelivered(instanceId)) {
      await this.#work.handBack(held);
      this.#orchestrationWake.notify();
    }
  }

  /**
   * Applies a worker's answer to an orchestration work item.
   * @throws LeaseLostError when the token is not current (invariant 1).
   */
  async completeOrchestration(response: WireOrchestratorResponse): Promise<void> {
    const held = this.#work.take(response.completionToken, "orchestration");
    if (held?.episode === undefined) throw staleToken("orchestration", response.completionToken);
    const episode: DispatchedEpisode = { ...held.episode, item: held.item as OrchestrationWorkItem, now: this.#now() };
    let commit: OrchestrationCommit;
    let taskExtras: readonly TaskExtras[] = [];
    try {
      ({ commit, taskExtras } = commitFromResponse(episode, response, {
        newExecutionId,
        taskLease: (name) => (this.#isLocalActivity(name) ? undefined : { workerId: this.#o.workerId, leaseMs: this.#o.leaseMs }),
        childVersion: (name) => this.#o.app?.getOrchestration(name)?.version,
      }));
    } catch (error) {
      this.#o.logger.warn(`The answer for instance '${episode.item.instance.instanceId}' cannot be applied; the instance fails.`, error);
      commit = failureCommit(episode, toFailureDetails(error));
    }
    let result: CommitResult;
    try {
      result = await this.#o.store.commitOrchestration(episode.item, commit);
    } finally {
      this.offer();
    }
    const extrasOfLeased = commit.tasks.flatMap((task, i) => (task.lease === undefined ? [] : [taskExtras[i]]));
    result.leasedTasks.forEach((item, i) => {
      const extras = extrasOfLeased[i];
      this.#work.hold("activity", item, { extras, version: fromWireString(extras?.version) ?? episode.item.instance.version });
    });
    this.offer();
  }

  /**
   * Applies a worker's answer to an activity task.
   * @throws LeaseLostError when the token is not current (invariant 1).
   */
  async completeActivity(response: WireActivityResponse): Promise<void> {
    const held = this.#work.take(response.completionToken, "activity");
    if (held === undefined) throw staleToken("activity", response.completionToken);
    const item = held.item as ActivityWorkItem;
    // A result is told from a failure by the presence of failure details (an SDK sends "" for "no result").
    const outcome =
      response.failureDetails != null
        ? { ok: false as const, failureDetails: fromWireFailure(response.failureDetails) }
        : { ok: true as const, result: fromWireString(response.result) };
    try {
      await this.#o.store.completeActivity(item, outcome);
    } finally {
      this.offer();
    }
  }

  /**
   * Applies a worker's answer to an entity batch: the orchestrations it starts, then its state,
   * results and signals in one commit.
   * @throws LeaseLostError when the token is not current (invariant 1).
   */
  async completeEntity(result: WireEntityBatchResult): Promise<void> {
    const held = this.#work.take(result.completionToken, "entity");
    if (held === undefined) throw staleToken("entity", result.completionToken);
    const item = held.item as OrchestrationWorkItem;
    if (result.failureDetails != null) {
      const failure = fromWireFailure(result.failureDetails);
      this.#o.logger.warn(`The worker could not run a batch of entity '${item.instance.instanceId}'; it runs again later: ${failure.errorMessage}`);
      await this.#work.handBack(held, RETRY_DELAY_MS);
      return;
    }
    try {
      const { commit, starts } = entityCommitFromResult(item, held.operations ?? [], result, this.#now(), this.#o.logger);
      for (const start of starts) await this.#start(start);
      await this.#o.store.commitOrchestration(item, commit);
    } catch (error) {
      // The batch runs again; its lease, if it still holds, is let go of now rather than at its expiry.
      await this.#work.handBack(held, RETRY_DELAY_MS);
      throw error;
    } finally {
      this.offer();
    }
  }

  /** A worker gives an item back: it is offered again after a short delay. Unknown tokens change nothing. */
  abandon(token: string | undefined, kind: WorkKind): void {
    this.#work.abandon(token, kind, RETRY_DELAY_MS);
  }

  // -------------------------------------------------------------------------------------------

  async #prepare(held: Held): Promise<WorkItemBody> {
    if (held.kind === "activity") {
      const item = held.item as ActivityWorkItem;
      const orchestrationInstance = { instanceId: item.instanceId, executionId: toWireString(item.executionId) };
      return { activityRequest: { ...held.extras, name: item.name, input: toWireString(item.input), orchestrationInstance, taskId: item.taskId } };
    }
    if (held.kind === "entity") return { entityRequest: entityBatchRequest(held.item as OrchestrationWorkItem, held.operations ?? []) };
    const { episode, request } = await dispatchEpisode(this.#o.store, held.item as OrchestrationWorkItem, this.#now());
    held.episode = episode;
    return { orchestratorRequest: request };
  }

  async #orchestrationLoop(): Promise<void> {
    while (this.#running) {
      if (this.#work.size("orchestration") + this.#work.size("entity") >= MAX_HELD) {
        await this.#orchestrationWake.wait(this.#o.maxIdleMs);
        continue;
      }
      let item: OrchestrationWorkItem | undefined;
      try {
        // The local app's instances are passed over by the store itself (invariant 3).
        item = await this.#o.store.leaseOrchestration({ workerId: this.#o.workerId, leaseMs: this.#o.leaseMs, except: this.#localInstances() });
      } catch (error) {
        this.#o.logger.error("Leasing orchestration work for remote workers failed; retrying.", error);
        await this.#pause(this.#o.maxIdleMs);
        continue;
      }
      if (item === undefined) {
        await this.#idle(this.#orchestrationWake);
        continue;
      }
      try {
        await (item.instance.kind === "entity" ? this.#acceptEntity(item) : this.#accept(item));
      } catch (error) {
        this.#o.logger.error(`Could not dispatch instance '${item.instance.instanceId}'; it is handed back and tried again.`, error);
        await handBackToStore(this.#o.store, item, this.#o.logger, RETRY_DELAY_MS);
      }
    }
  }

  async #activityLoop(): Promise<void> {
    while (this.#running) {
      if (this.#work.size("activity") >= MAX_HELD) {
        await this.#activityWake.wait(this.#o.maxIdleMs);
        continue;
      }
      let items: ActivityWorkItem[];
      try {
        const names = this.#o.app === undefined ? undefined : { except: this.#o.app.activityNames };
        items = await this.#o.store.leaseActivities({ workerId: this.#o.workerId, leaseMs: this.#o.leaseMs, max: ACTIVITY_BATCH, names });
      } catch (error) {
        this.#o.logger.error("Leasing activity tasks for remote workers failed; retrying.", error);
        await this.#pause(this.#o.maxIdleMs);
        continue;
      }
      if (items.length === 0) {
        await this.#idle(this.#activityWake);
        continue;
      }
      // A task leased here (not when its orchestration committed) is matched to filters with its orchestration's version.
      const versions = await Promise.all(items.map((item) => this.#versionOfInstance(item.instanceId)));
      items.forEach((item, i) => this.#work.hold("activity", item, { version: versions[i] }));
      this.offer();
    }
  }

  async #versionOfInstance(instanceId: string): Promise<string | undefined> {
    try {
      return (await this.#o.store.getInstance(instanceId))?.version;
    } catch (error) {
      this.#o.logger.warn(`Could not read the version of instance '${instanceId}'; its task is matched as unversioned.`, error);
      return undefined;
    }
  }

  /** The names of the instances the local app steps, which the store passes over for this server. */
  #localInstances(): InstanceNames | undefined {
    const app = this.#o.app;
    return app === undefined ? undefined : { orchestrations: app.orchestrationNames, entities: app.entityNames };
  }

  /** Decides what a leased orchestration work item needs: nothing, a commit made here, or a worker. */
  async #accept(item: OrchestrationWorkItem): Promise<void> {
    const instance = item.instance;
    if (isTerminal(instance.status) || currentMessages(item).length === 0) return void (await this.#commit(item, dropCommit(item)));
    const now = this.#now();
    const newEvents = newEventsOf(item, now);
    if (newEvents.some((e) => e.type === "ExecutionTerminated")) {
      const past = await readHistory(this.#o.store, instance.instanceId);
      return void (await this.#commit(item, terminationCommit(item, past, newEvents, now)));
    }
    if (instance.status === "Pending" && !newEvents.some((e) => e.type === "ExecutionStarted")) {
      return void (await this.#commit(item, earlyEventsCommit(item, newEvents)));
    }
    this.#work.hold("orchestration", item);
    this.offer();
  }

  /** An entity batch goes to a worker when it has operations to run; lock steps alone are committed here. */
  async #acceptEntity(item: OrchestrationWorkItem): Promise<void> {
    const now = this.#now();
    const operations = planEntityBatch(item, now);
    if (operations.length > 0) {
      this.#work.hold("entity", item, { operations });
      this.offer();
      return;
    }
    await this.#commit(item, entityCommitFromResult(item, operations, {}, now, this.#o.logger).commit);
  }

  /** Starts an orchestration an entity asked for; one that exists already (a batch applied again) is left as it is. */
  async #start(request: EntityStartRequest): Promise<void> {
    try {
      await this.#o.startOrchestration(request);
    } catch (error) {
      if (!(error instanceof InstanceExistsError)) throw error;
      this.#o.logger.warn(`An entity started orchestration '${request.name}' as '${request.instanceId}', which exists; it is left as it is.`);
    }
  }

  async #commit(item: OrchestrationWorkItem, commit: OrchestrationCommit) {
    try {
      return await this.#o.store.commitOrchestration(item, commit);
    } catch (error) {
      if (error instanceof LeaseLostError) return undefined;
      this.#o.logger.error(`Could not commit instance '${item.instance.instanceId}'; its work will be redone.`, error);
      return undefined;
    }
  }

  async #idle(wakeup: Wakeup): Promise<void> {
    let delay = this.#o.maxIdleMs;
    try {
      const next = await this.#o.store.nextWakeUp();
      if (next !== undefined) delay = Math.min(delay, Math.max(0, next - this.#o.store.now()));
    } catch (error) {
      this.#o.logger.warn("Could not read the store's next wake-up time.", error);
    }
    await wakeup.wait(delay);
  }

  /** Waits, deaf to store events (a hand-back wakes everyone), but not to stop. */
  async #pause(ms: number): Promise<void> {
    if (this.#running) await this.#stopped.wait(ms);
  }

  #wake(): void {
    this.#orchestrationWake.notify();
    this.#activityWake.notify();
  }

  #isLocalActivity(name: string): boolean {
    return this.#o.app?.getActivity(name) !== undefined;
  }

  #now(): string {
    return new Date(this.#o.store.now()).toISOString();
  }
}

/** The refusal of a completion whose token names no work item held now. */
function staleToken(kind: WorkKind, token: string | undefined): LeaseLostError {
  return new LeaseLostError(`the ${kind} work item of completion token '${token ?? ""}' (it was completed, abandoned or handed out again)`);
}

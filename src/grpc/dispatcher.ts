/**
 * Work for remote workers: leases orchestration work items and activity tasks from the store,
 * holds them, delivers them on the workers' GetWorkItems streams with a completion token, and
 * applies the workers' answers with the store's fenced commits.
 *
 * Invariants kept here:
 * 1. A completion token names one delivery of one held lease. A completion whose token is not
 *    current (the item was re-delivered, its lease was lost, the server restarted) is ignored: the
 *    store's fencing makes the current holder's commit the only one that counts.
 * 2. Held items stay leased: their leases are renewed until they are completed, abandoned or the
 *    server closes (which hands them all back). An item that no connected worker accepts is held,
 *    not released, so that a worker of ours sharing the store never sees it.
 * 3. Items whose name the local app registers, and entity instances, are handed back at once,
 *    for the local worker; the retry after a hand-back backs off so the two do not spin on the
 *    same item.
 * 4. When a stream goes away its delivered items are offered again to the other streams; their
 *    tokens stay valid until then (a worker may complete over another connection).
 * 5. A worker's answer is applied in one store commit; one the server cannot apply fails the
 *    instance with the reason, rather than leaving it stuck.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { toFailureDetails } from "../core/errors.js";
import { newEvent, type ExecutionStartedEvent, type HistoryEvent } from "../core/history.js";
import type { Logger } from "../runtime/logger.js";
import { newExecutionId } from "../runtime/ids.js";
import { Wakeup } from "../runtime/wakeups.js";
import type { App } from "../sdk/app.js";
import { LeaseLostError } from "../store/errors.js";
import { isTerminal, type ActivityWorkItem, type OrchestrationCommit, type OrchestrationWorkItem, type Store } from "../store/store.js";
import { fromWireFailure, fromWireString, toWireEvent, toWireString } from "./codec.js";
import {
  commitFromResponse,
  dropCommit,
  earlyEventsCommit,
  failureCommit,
  terminationCommit,
  type DispatchedEpisode,
  type TaskExtras,
} from "./remote-commit.js";
import type {
  WireActivityRequest,
  WireActivityResponse,
  WireOrchestratorRequest,
  WireOrchestratorResponse,
  WireWorkItem,
} from "./wire.js";
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
}

interface Held {
  readonly kind: WorkKind;
  item: OrchestrationWorkItem | ActivityWorkItem;
  readonly extras?: TaskExtras | undefined;
  /** The current delivery's token (kept when its stream goes away, until the next delivery). */
  token?: string | undefined;
  /** The stream it is delivered on, while that stream lives. */
  stream?: WorkerStream | undefined;
  /** Set while a delivery is being prepared. */
  delivering: boolean;
  /** Not offered before this time (after an abandon). */
  readyAt: number;
  /** What the worker was sent, for the commit (orchestrations). */
  episode?: DispatchedEpisode | undefined;
}

/** Items held at once per kind; beyond that, leasing waits. */
const MAX_HELD = 10_000;
/** How long an abandoned item waits before it is offered again. */
const ABANDON_DELAY_MS = 1000;
/** How long an entity's messages wait when no worker of ours is declared to run entities. */
const ENTITY_RETRY_MS = 5000;
/** Activity tasks leased per store call. */
const ACTIVITY_BATCH = 100;

export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly #held: Record<WorkKind, Set<Held>> = { orchestration: new Set(), activity: new Set() };
  readonly #byToken = new Map<string, Held>();
  readonly #orchestrationWake = new Wakeup();
  readonly #activityWake = new Wakeup();
  readonly #stopped = new Wakeup();
  #running = false;
  #renewing = false;
  #loops: Promise<void>[] = [];
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#unsubscribe = this.#o.store.subscribe((event) => {
      if (event.kind === "work") this.#wake();
    });
    this.#loops = [this.#orchestrationLoop(), this.#activityLoop()];
    this.#renewTimer = setInterval(() => void this.#renewAll(), Math.max(50, Math.floor(this.#o.leaseMs / 3)));
  }

  /** Stops leasing and hands every held item back to the store. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    clearInterval(this.#renewTimer);
    clearTimeout(this.#readyTimer);
    this.#wake();
    this.#stopped.notify();
    await Promise.all(this.#loops);
    for (const held of [...this.#held.orchestration, ...this.#held.activity]) await this.#handBack(held);
    this.#byToken.clear();
  }

  /** Offers held work to the streams (a stream connected or has room again). */
  offer(): void {
    clearTimeout(this.#readyTimer);
    this.#readyTimer = undefined;
    const now = Date.now();
    let nextReady = Number.POSITIVE_INFINITY;
    for (const kind of ["orchestration", "activity"] as const) {
      for (const held of this.#held[kind]) {
        if (held.stream !== undefined || held.delivering) continue;
        if (held.readyAt > now) {
          nextReady = Math.min(nextReady, held.readyAt);
          continue;
        }
        const stream = this.#o.streams.pick(kind, this.#nameOf(held), this.#versionOf(held));
        if (stream === undefined) continue;
        stream.reserve(kind);
        held.stream = stream;
        held.delivering = true;
        void this.#deliver(held, stream);
      }
    }
    if (nextReady !== Number.POSITIVE_INFINITY && this.#running) {
      this.#readyTimer = setTimeout(() => this.offer(), nextReady - now);
    }
  }

  /** A stream went away: what it was given is offered to the others (its tokens stay valid meanwhile). */
  streamClosed(stream: WorkerStream): void {
    for (const kind of ["orchestration", "activity"] as const) {
      for (const held of this.#held[kind]) if (held.stream === stream) held.stream = undefined;
    }
    this.offer();
  }

  /**
   * Lets go of a held, undelivered orchestration work item of this instance, so that it is leased
   * again with the messages that arrived since (a termination must not wait for a worker).
   */
  async release(instanceId: string): Promise<void> {
    for (const held of this.#held.orchestration) {
      if ((held.item as OrchestrationWorkItem).instance.instanceId === instanceId && held.stream === undefined && !held.delivering) {
        await this.#handBack(held);
        this.#orchestrationWake.notify();
      }
    }
  }

  /** Applies a worker's answer to an orchestration work item. Stale tokens are ignored (invariant 1). */
  async completeOrchestration(response: WireOrchestratorResponse): Promise<void> {
    const held = this.#take(response.completionToken, "orchestration");
    if (held?.episode === undefined) return;
    const episode: DispatchedEpisode = { ...held.episode, item: held.item as OrchestrationWorkItem, now: this.#now() };
    let commit: OrchestrationCommit;
    let taskExtras: readonly TaskExtras[] = [];
    try {
      ({ commit, taskExtras } = commitFromResponse(episode, response, {
        newExecutionId,
        taskLease: (name) => (this.#isLocal("activity", name) ? undefined : { workerId: this.#o.workerId, leaseMs: this.#o.leaseMs }),
      }));
    } catch (error) {
      this.#o.logger.warn(`The answer for instance '${episode.item.instance.instanceId}' cannot be applied; the instance fails.`, error);
      commit = failureCommit(episode, toFailureDetails(error));
    }
    const result = await this.#commit(episode.item, commit);
    const extrasOfLeased = commit.tasks.flatMap((task, i) => (task.lease === undefined ? [] : [taskExtras[i]]));
    result?.leasedTasks.forEach((item, i) => this.#hold("activity", item, extrasOfLeased[i]));
    this.offer();
  }

  /** Applies a worker's answer to an activity task. Stale tokens are ignored (invariant 1). */
  async completeActivity(response: WireActivityResponse): Promise<void> {
    const held = this.#take(response.completionToken, "activity");
    if (held === undefined) return;
    const item = held.item as ActivityWorkItem;
    // A result is told from a failure by the presence of failure details (an SDK sends "" for "no result").
    const outcome =
      response.failureDetails != null
        ? { ok: false as const, failureDetails: fromWireFailure(response.failureDetails) }
        : { ok: true as const, result: fromWireString(response.result) };
    try {
      await this.#o.store.completeActivity(item, outcome);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
    }
    this.offer();
  }

  /** A worker gives an item back: it is offered again after a short delay. */
  abandon(token: string | undefined, kind: WorkKind): void {
    const held = token === undefined ? undefined : this.#byToken.get(token);
    if (held === undefined || held.kind !== kind) return;
    this.#byToken.delete(token!);
    held.token = undefined;
    held.stream?.release(kind);
    held.stream = undefined;
    held.readyAt = Date.now() + ABANDON_DELAY_MS;
    this.offer();
  }

  // -------------------------------------------------------------------------------------------

  #take(token: string | undefined, kind: WorkKind): Held | undefined {
    const held = token === undefined ? undefined : this.#byToken.get(token);
    if (held === undefined || held.kind !== kind) return undefined;
    this.#byToken.delete(token!);
    this.#held[kind].delete(held);
    held.stream?.release(kind);
    return held;
  }

  async #deliver(held: Held, stream: WorkerStream): Promise<void> {
    try {
      const token = randomUUID();
      const workItem: WireWorkItem =
        held.kind === "activity"
          ? { activityRequest: this.#activityRequest(held), completionToken: token }
          : { orchestratorRequest: await this.#orchestratorRequest(held), completionToken: token };
      if (!this.#held[held.kind].has(held) || held.stream !== stream) return stream.release(held.kind);
      if (held.token !== undefined) this.#byToken.delete(held.token);
      held.token = token;
      this.#byToken.set(token, held);
      if (!stream.write(workItem)) {
        held.stream = undefined;
        stream.release(held.kind);
      }
    } catch (error) {
      this.#o.logger.warn(`Could not deliver a work item to worker stream ${stream.id}; it will be offered again.`, error);
      held.stream = undefined;
      held.readyAt = Date.now() + ABANDON_DELAY_MS;
      stream.release(held.kind);
    } finally {
      held.delivering = false;
      if (held.stream === undefined) this.offer();
    }
  }

  async #orchestratorRequest(held: Held): Promise<WireOrchestratorRequest> {
    const item = held.item as OrchestrationWorkItem;
    const instance = item.instance;
    const past = await this.#history(instance.instanceId);
    const now = this.#now();
    const current = item.messages.filter((m) => m.executionId === undefined || m.executionId === instance.executionId);
    const newEvents: HistoryEvent[] = [newEvent("OrchestratorStarted", now, {}), ...current.map((m) => m.event)];
    const started = [...past, ...newEvents].find((e): e is ExecutionStartedEvent => e.type === "ExecutionStarted");
    held.episode = { item, pastEvents: past, newEvents, started, now };
    return {
      instanceId: instance.instanceId,
      executionId: toWireString(instance.executionId),
      pastEvents: past.map(toWireEvent),
      newEvents: newEvents.map(toWireEvent),
    };
  }

  #activityRequest(held: Held): WireActivityRequest {
    const item = held.item as ActivityWorkItem;
    return {
      ...held.extras,
      name: item.name,
      input: toWireString(item.input),
      orchestrationInstance: { instanceId: item.instanceId, executionId: toWireString(item.executionId) },
      taskId: item.taskId,
    };
  }

  async #history(instanceId: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await this.#o.store.getHistory(instanceId, { after, pageSize: 1000 });
      events.push(...page.events);
      if (page.next === undefined) return events;
      after = page.next;
    }
  }

  async #orchestrationLoop(): Promise<void> {
    let handBacks = 0;
    while (this.#running) {
      if (this.#held.orchestration.size >= MAX_HELD) {
        await this.#orchestrationWake.wait(this.#o.maxIdleMs);
        continue;
      }
      let item: OrchestrationWorkItem | undefined;
      try {
        item = await this.#o.store.leaseOrchestration({ workerId: this.#o.workerId, leaseMs: this.#o.leaseMs });
      } catch (error) {
        this.#o.logger.error("Leasing orchestration work for remote workers failed; retrying.", error);
        await this.#pause(this.#o.maxIdleMs);
        continue;
      }
      if (item === undefined) {
        handBacks = 0;
        await this.#idle(this.#orchestrationWake);
      } else if (item.instance.kind !== "orchestration" && this.#o.app === undefined) {
        // Entities run only in workers of ours; with none declared here, look again later, not in a loop.
        await this.#abandon(item, ENTITY_RETRY_MS);
      } else if (item.instance.kind !== "orchestration" || this.#isLocal("orchestration", item.instance.name)) {
        // Entities are not served to remote workers: they stay with the worker of ours.
        await this.#abandon(item);
        await this.#pause(Math.min(250, 5 * 2 ** handBacks++));
      } else {
        handBacks = 0;
        await this.#accept(item);
      }
    }
  }

  async #activityLoop(): Promise<void> {
    let handBacks = 0;
    while (this.#running) {
      if (this.#held.activity.size >= MAX_HELD) {
        await this.#activityWake.wait(this.#o.maxIdleMs);
        continue;
      }
      let items: ActivityWorkItem[];
      try {
        items = await this.#o.store.leaseActivities({ workerId: this.#o.workerId, leaseMs: this.#o.leaseMs, max: ACTIVITY_BATCH });
      } catch (error) {
        this.#o.logger.error("Leasing activity tasks for remote workers failed; retrying.", error);
        await this.#pause(this.#o.maxIdleMs);
        continue;
      }
      const local = items.filter((item) => this.#isLocal("activity", item.name));
      for (const item of items) if (!local.includes(item)) this.#hold("activity", item, undefined);
      for (const item of local) await this.#abandon(item);
      if (items.length > local.length) this.offer();
      if (items.length === 0) {
        handBacks = 0;
        await this.#idle(this.#activityWake);
      } else if (local.length === items.length) {
        await this.#pause(Math.min(250, 5 * 2 ** handBacks++));
      } else {
        handBacks = 0;
      }
    }
  }

  /** Decides what a leased orchestration work item needs: nothing, a commit made here, or a worker. */
  async #accept(item: OrchestrationWorkItem): Promise<void> {
    const instance = item.instance;
    const current = item.messages.filter((m) => m.executionId === undefined || m.executionId === instance.executionId);
    if (isTerminal(instance.status) || current.length === 0) return void (await this.#commit(item, dropCommit(item)));
    const now = this.#now();
    const newEvents = [newEvent("OrchestratorStarted", now, {}), ...current.map((m) => m.event)];
    if (newEvents.some((e) => e.type === "ExecutionTerminated")) {
      const past = await this.#history(instance.instanceId);
      return void (await this.#commit(item, terminationCommit(item, past, newEvents, now)));
    }
    if (instance.status === "Pending" && !newEvents.some((e) => e.type === "ExecutionStarted")) {
      return void (await this.#commit(item, earlyEventsCommit(item, newEvents)));
    }
    this.#hold("orchestration", item, undefined);
    this.offer();
  }

  #hold(kind: WorkKind, item: OrchestrationWorkItem | ActivityWorkItem, extras: TaskExtras | undefined): void {
    this.#held[kind].add({ kind, item, extras, delivering: false, readyAt: 0 });
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

  async #handBack(held: Held): Promise<void> {
    this.#held[held.kind].delete(held);
    if (held.token !== undefined) this.#byToken.delete(held.token);
    held.stream?.release(held.kind);
    await this.#abandon(held.item);
  }

  async #abandon(item: OrchestrationWorkItem | ActivityWorkItem, delayMs = 0): Promise<void> {
    try {
      if ("messages" in item) await this.#o.store.abandonOrchestration(item, delayMs);
      else await this.#o.store.abandonActivity(item);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) this.#o.logger.warn("Could not hand a work item back to the store.", error);
    }
  }

  async #renewAll(): Promise<void> {
    // A slow store must not stack sweeps on top of each other.
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      await this.#renewEach();
    } finally {
      this.#renewing = false;
    }
  }

  async #renewEach(): Promise<void> {
    for (const held of [...this.#held.orchestration, ...this.#held.activity]) {
      if (!this.#running) return;
      try {
        held.item =
          held.kind === "orchestration"
            ? await this.#o.store.renewOrchestrationLease(held.item as OrchestrationWorkItem, this.#o.leaseMs)
            : await this.#o.store.renewActivityLease(held.item as ActivityWorkItem, this.#o.leaseMs);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) {
          this.#o.logger.warn("Could not renew the lease of a held work item.", error);
          continue;
        }
        // Purged, rewound, or taken over: the item is no longer ours to deliver or complete.
        this.#held[held.kind].delete(held);
        if (held.token !== undefined) this.#byToken.delete(held.token);
        held.stream?.release(held.kind);
      }
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

  #isLocal(kind: WorkKind, name: string): boolean {
    const app = this.#o.app;
    if (app === undefined) return false;
    return kind === "orchestration" ? app.getOrchestration(name) !== undefined : app.getActivity(name) !== undefined;
  }

  #nameOf(held: Held): string {
    return "messages" in held.item ? held.item.instance.name : held.item.name;
  }

  #versionOf(held: Held): string | undefined {
    return "messages" in held.item ? held.item.instance.version : fromWireString(held.extras?.version);
  }

  #now(): string {
    return new Date(this.#o.store.now()).toISOString();
  }
}

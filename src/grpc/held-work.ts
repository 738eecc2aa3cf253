/**
 * The work items held for remote workers: leased from the store, kept leased until a worker
 * completes or abandons them, offered to the streams that accept them, and delivered with a
 * completion token.
 *
 * Invariants kept here:
 * 1. A completion token names one delivery of one held item. `take` gives an item once, for its
 *    current token only; a token of an earlier delivery names nothing.
 * 2. Held items stay leased: their leases are renewed until they are taken or handed back. An item
 *    whose lease is lost (purged, rewound, taken over) is dropped: it is no longer ours.
 * 3. An item is on one stream at most, and a stream never holds more items of a kind than its
 *    limit (a slot is taken before delivery and given back when the item leaves the stream).
 * 4. When a stream goes away its delivered items are offered again to the others; their tokens
 *    stay valid until the next delivery (a worker may complete over another connection).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { OperationFrame } from "../core/entity/entity-batch.js";
import { entityNameOf } from "../runtime/entity-processor.js";
import type { Logger } from "../runtime/logger.js";
import { LeaseLostError } from "../store/errors.js";
import type { ActivityWorkItem, OrchestrationWorkItem, Store } from "../store/store.js";
import type { DispatchedEpisode, TaskExtras } from "./remote-commit.js";
import type { WireWorkItem } from "./wire.js";
import { WORK_KINDS, type WorkerStream, type WorkerStreams, type WorkKind } from "./worker-streams.js";

export interface Held {
  readonly kind: WorkKind;
  item: OrchestrationWorkItem | ActivityWorkItem;
  /** Activities: what the protocol said about the task that its row does not keep. */
  readonly extras?: TaskExtras | undefined;
  /** Entities: the operations a worker runs, in order. */
  readonly operations?: readonly OperationFrame[] | undefined;
  /**
   * Activities: the version work-item filters match, its own (ScheduleTask's) or else the version
   * of the orchestration that scheduled it (undefined when neither has one).
   */
  readonly version?: string | undefined;
  /** Set once a wait for a worker that takes its version was logged. */
  warned?: boolean | undefined;
  /** Orchestrations: what the worker was sent, for the commit. */
  episode?: DispatchedEpisode | undefined;
  /** The current delivery's token (kept when its stream goes away, until the next delivery). */
  token?: string | undefined;
  /** The stream it is delivered on, while that stream lives. */
  stream?: WorkerStream | undefined;
  /** Set while a delivery is being prepared. */
  delivering: boolean;
  /** Not offered before this time (after an abandon). */
  readyAt: number;
}

type WithoutToken<W> = W extends unknown ? Omit<W, "completionToken"> : never;
/** A work item without its token: what `prepare` builds. */
export type WorkItemBody = WithoutToken<WireWorkItem>;

export interface HeldWorkOptions {
  readonly store: Store;
  readonly streams: WorkerStreams;
  readonly leaseMs: number;
  readonly logger: Logger;
  /** Builds what a worker is sent for an item (may read the store). */
  readonly prepare: (held: Held) => Promise<WorkItemBody>;
}

/** How long an item given back by a worker, or that could not be delivered, waits before it is offered again. */
export const RETRY_DELAY_MS = 1000;

export class HeldWork {
  readonly #o: HeldWorkOptions;
  readonly #held: Record<WorkKind, Set<Held>> = { orchestration: new Set(), activity: new Set(), entity: new Set() };
  readonly #byToken = new Map<string, Held>();
  #running = false;
  #renewing = false;
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: HeldWorkOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running = true;
    this.#renewTimer = setInterval(() => void this.#renewAll(), Math.max(50, Math.floor(this.#o.leaseMs / 3)));
  }

  /** Stops renewing and hands every held item back to the store. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#renewTimer);
    clearTimeout(this.#readyTimer);
    for (const kind of WORK_KINDS) for (const held of [...this.#held[kind]]) await this.handBack(held);
    this.#byToken.clear();
  }

  size(kind: WorkKind): number {
    return this.#held[kind].size;
  }

  hold(kind: WorkKind, item: OrchestrationWorkItem | ActivityWorkItem, more: Pick<Held, "extras" | "operations" | "version"> = {}): void {
    this.#held[kind].add({ kind, item, ...more, delivering: false, readyAt: 0 });
  }

  /** Offers held work to the streams (one connected or has room again). */
  offer(): void {
    clearTimeout(this.#readyTimer);
    this.#readyTimer = undefined;
    const now = Date.now();
    let nextReady = Number.POSITIVE_INFINITY;
    for (const kind of WORK_KINDS) {
      for (const held of this.#held[kind]) {
        if (held.stream !== undefined || held.delivering) continue;
        if (held.readyAt > now) {
          nextReady = Math.min(nextReady, held.readyAt);
          continue;
        }
        const stream = this.#o.streams.pick(kind, nameOf(held), versionOf(held));
        if (stream === undefined) {
          this.#warnIfVersionsOnly(held);
          continue;
        }
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

  /** A stream went away: what it was given is offered to the others (invariant 4). */
  streamClosed(stream: WorkerStream): void {
    for (const kind of WORK_KINDS) {
      for (const held of this.#held[kind]) if (held.stream === stream) held.stream = undefined;
    }
    this.offer();
  }

  /** The held item of this kind that `token` currently names, no longer held; undefined for any other token. */
  take(token: string | undefined, kind: WorkKind): Held | undefined {
    const held = token === undefined ? undefined : this.#byToken.get(token);
    if (held === undefined || held.kind !== kind) return undefined;
    this.#forget(held);
    return held;
  }

  /** A worker gives the item `token` names back: it is offered again after `delayMs`. False for any other token. */
  abandon(token: string | undefined, kind: WorkKind, delayMs: number): boolean {
    const held = token === undefined ? undefined : this.#byToken.get(token);
    if (held === undefined || held.kind !== kind) return false;
    this.#byToken.delete(token!);
    held.token = undefined;
    held.stream?.release(kind);
    held.stream = undefined;
    held.readyAt = Date.now() + delayMs;
    this.offer();
    return true;
  }

  /** Held orchestration items of this instance that no worker was given. */
  undelivered(instanceId: string): Held[] {
    return [...this.#held.orchestration].filter(
      (held) => (held.item as OrchestrationWorkItem).instance.instanceId === instanceId && held.stream === undefined && !held.delivering,
    );
  }

  /** Stops holding every item, without touching the store (whose rows are gone: the task hub was deleted). */
  forgetAll(): void {
    for (const kind of WORK_KINDS) for (const held of [...this.#held[kind]]) this.#forget(held);
  }

  /** Stops holding an item and releases its lease; its messages or task are handed out again after `delayMs`. */
  async handBack(held: Held, delayMs = 0): Promise<void> {
    this.#forget(held);
    await handBackToStore(this.#o.store, held.item, this.#o.logger, delayMs);
  }

  // -------------------------------------------------------------------------------------------

  #forget(held: Held): void {
    // Once only: a second release would free a slot of another item on the stream.
    if (!this.#held[held.kind].delete(held)) return;
    if (held.token !== undefined) this.#byToken.delete(held.token);
    held.stream?.release(held.kind);
  }

  async #deliver(held: Held, stream: WorkerStream): Promise<void> {
    try {
      const token = randomUUID();
      const workItem = { ...(await this.#o.prepare(held)), completionToken: token } as WireWorkItem;
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
      held.readyAt = Date.now() + RETRY_DELAY_MS;
      stream.release(held.kind);
    } finally {
      held.delivering = false;
      if (held.stream === undefined) this.offer();
    }
  }

  /**
   * An item that a connected worker would take but for its version waits for one that takes that
   * version (the filter says so); that is said once, so the wait is never silent.
   */
  #warnIfVersionsOnly(held: Held): void {
    if (held.warned === true) return;
    const versions = this.#o.streams.versionsOnly(held.kind, nameOf(held));
    if (versions === undefined) return;
    held.warned = true;
    const version = versionOf(held);
    const what = "messages" in held.item ? `instance '${held.item.instance.instanceId}'` : `a task of instance '${held.item.instanceId}'`;
    this.#o.logger.warn(
      `${held.kind === "activity" ? "Activity" : "Orchestration"} '${nameOf(held)}' ${version === undefined ? "without a version" : `version '${version}'`} ` +
        `(${what}) waits: the connected workers take it only in version ${versions.join(", ")}; it is dispatched when a worker that takes its version connects.`,
    );
  }

  async #renewAll(): Promise<void> {
    // A slow store must not stack sweeps on top of each other.
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      for (const kind of WORK_KINDS) for (const held of [...this.#held[kind]]) await this.#renew(held);
    } finally {
      this.#renewing = false;
    }
  }

  async #renew(held: Held): Promise<void> {
    if (!this.#running || !this.#held[held.kind].has(held)) return;
    try {
      held.item =
        "messages" in held.item
          ? await this.#o.store.renewOrchestrationLease(held.item, this.#o.leaseMs)
          : await this.#o.store.renewActivityLease(held.item, this.#o.leaseMs);
    } catch (error) {
      if (error instanceof LeaseLostError) this.#forget(held);
      else this.#o.logger.warn("Could not renew the lease of a held work item.", error);
    }
  }
}

/** Releases an item's lease; its messages or task are handed out again after `delayMs`. A lost lease is no one's to release. */
export async function handBackToStore(store: Store, item: OrchestrationWorkItem | ActivityWorkItem, logger: Logger, delayMs = 0): Promise<void> {
  try {
    if ("messages" in item) await store.abandonOrchestration(item, delayMs);
    else await store.abandonActivity(item, delayMs);
  } catch (error) {
    if (!(error instanceof LeaseLostError)) logger.warn("Could not hand a work item back to the store.", error);
  }
}

function nameOf(held: Held): string {
  if (!("messages" in held.item)) return held.item.name;
  return held.kind === "entity" ? entityNameOf(held.item.instance) : held.item.instance.name;
}

function versionOf(held: Held): string | undefined {
  if (!("messages" in held.item)) return held.version;
  return held.kind === "entity" ? undefined : held.item.instance.version;
}

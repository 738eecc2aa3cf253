/**
 * The client's entity operations: signal an entity, read its state, list entities, and clean
 * entity storage. Inputs are checked here, at the edge, before anything is written.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { entityInstanceId, parseEntityInstanceId, requireEntityId, type EntityId } from "../core/entity/entity-id.js";
import { parseEntityRecord } from "../core/entity/entity-record.js";
import { InvalidArgumentError } from "../core/errors.js";
import { validateName } from "../core/ids.js";
import { newEvent, type HistoryEvent } from "../core/history.js";
import type { SignalEntityOptions } from "../core/replay/entity-calls.js";
import { deserialize, serialize } from "../core/serde.js";
import type { App } from "../sdk/app.js";
import { isTerminal, type InstanceRecord, type Store } from "../store/store.js";
import { checkBoolean, checkOptions, checkPageSize, checkText } from "./arguments.js";
import { UnknownEntityError } from "./errors.js";
import { checkPayload } from "./payloads.js";

/** What `readEntityState` returns: whether the entity has state, and the state. */
export interface EntityStateResponse<T> {
  readonly exists: boolean;
  readonly state: T | undefined;
}

/** An entity as `listEntities` shows it. */
export interface EntityMetadata {
  readonly id: EntityId;
  readonly instanceId: string;
  /** True when the entity has state (false for one never set, or deleted). */
  readonly exists: boolean;
  readonly lastModifiedTime: Date;
  /** The orchestration whose critical section holds the entity, if any. */
  readonly lockedBy?: string | undefined;
  /** Operations waiting for the lock to be released. */
  readonly backlogSize: number;
  /** The state, with `includeState`. */
  readonly state?: unknown;
}

/** An entity as stored, for tools that inspect it (`client.describeEntity`). */
export interface EntityDescription extends EntityMetadata {
  /** The critical section that holds the entity, when one does. */
  readonly lock?: { readonly owner: string; readonly ownerExecutionId?: string | undefined; readonly criticalSectionId: string } | undefined;
  /** The messages put aside while the entity is locked (operations, lock requests), in arrival order. */
  readonly queue: readonly HistoryEvent[];
}

export interface ListEntitiesOptions {
  /** Only entities of this name (case-insensitive). */
  readonly name?: string | undefined;
  readonly pageSize?: number | undefined;
  readonly continuationToken?: string | undefined;
  readonly includeState?: boolean | undefined;
}

export interface EntityPage {
  readonly entities: readonly EntityMetadata[];
  readonly continuationToken?: string | undefined;
}

export interface CleanEntityStorageOptions {
  /** Delete entities with no state, no lock and no queued operation. */
  readonly removeEmptyEntities: boolean;
  /** Release locks held by orchestrations that no longer run (ended, purged or continued as new). */
  readonly releaseOrphanedLocks: boolean;
}

export interface CleanEntityStorageResult {
  readonly emptyEntitiesRemoved: number;
  readonly orphanedLocksReleased: number;
}

const PAGE = 500;

/** Entity operations on a store, for the client. */
export class EntityClient {
  constructor(
    private readonly store: Store,
    private readonly app: App | undefined,
    private readonly maxPayloadBytes: number,
  ) {}

  async signal(id: unknown, operation: unknown, input: unknown, options: SignalEntityOptions = {}): Promise<void> {
    const entity = requireEntityId(id, "signalEntity()");
    validateName(operation, "entity operation name");
    checkOptions("signalEntity() options", options, ["at"]);
    if (this.app !== undefined && this.app.getEntity(entity.name) === undefined) {
      throw new UnknownEntityError(entity.name, this.app.entityNames);
    }
    const at = options.at;
    if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime()))) {
      throw new InvalidArgumentError(`signalEntity() option 'at' must be a valid Date; received ${String(at)}.`);
    }
    const target = entityInstanceId(entity);
    const what = `the input of operation '${operation}' on entity '${target}'`;
    const payload = checkPayload(serialize(input, what), `The input of operation '${operation}'`, this.maxPayloadBytes);
    const scheduledTime = at?.toISOString();
    const event = newEvent("EntityOperationSignaled", this.#now(), {
      requestId: randomUUID(),
      operation,
      scheduledTime,
      input: payload,
      targetInstanceId: target,
    });
    await this.store.sendMessages([
      { instanceId: target, event, visibleAt: scheduledTime, ensureInstance: { name: entity.name, kind: "entity" } },
    ]);
  }

  async readState<T>(id: unknown): Promise<EntityStateResponse<T>> {
    const target = entityInstanceId(requireEntityId(id, "readEntityState()"));
    const record = await this.store.getInstance(target);
    if (record?.kind !== "entity") return { exists: false, state: undefined };
    const state = parseEntityRecord(record.entityState, target).state;
    return { exists: state !== undefined, state: deserialize(state, `the state of entity '${target}'`) as T | undefined };
  }

  async describe(id: unknown): Promise<EntityDescription | undefined> {
    const target = entityInstanceId(requireEntityId(id, "describeEntity()"));
    const record = await this.store.getInstance(target);
    if (record?.kind !== "entity") return undefined;
    const entity = parseEntityRecord(record.entityState, target);
    return { ...toMetadata(record, true), lock: entity.lock, queue: entity.queue };
  }

  async list(options: ListEntitiesOptions = {}): Promise<EntityPage> {
    checkOptions("listEntities() options", options, ["name", "pageSize", "continuationToken", "includeState"]);
    if (options.name !== undefined) {
      validateName(options.name, "listEntities() entity name");
      if (options.name.includes("@")) throw new InvalidArgumentError(`listEntities() option 'name' may not contain '@'; received ${JSON.stringify(options.name)}.`);
    }
    const includeState = checkBoolean(options.includeState, "listEntities() option 'includeState'") ?? false;
    const page = await this.store.queryInstances({
      kind: "entity",
      instanceIdPrefix: options.name === undefined ? "@" : `@${options.name.toLowerCase()}@`,
      pageSize: checkPageSize(options.pageSize, "listEntities() option 'pageSize'"),
      continuationToken: checkText(options.continuationToken, "listEntities() option 'continuationToken'"),
    });
    return {
      entities: page.instances.map((r) => toMetadata(r, includeState)),
      continuationToken: page.continuationToken,
    };
  }

  async clean(options: CleanEntityStorageOptions): Promise<CleanEntityStorageResult> {
    if (options === undefined) {
      throw new InvalidArgumentError("cleanEntityStorage() needs options: { removeEmptyEntities: boolean, releaseOrphanedLocks: boolean }.");
    }
    checkOptions("cleanEntityStorage() options", options, ["removeEmptyEntities", "releaseOrphanedLocks"]);
    const removeEmpty = checkBoolean(options.removeEmptyEntities, "cleanEntityStorage() option 'removeEmptyEntities'");
    const releaseLocks = checkBoolean(options.releaseOrphanedLocks, "cleanEntityStorage() option 'releaseOrphanedLocks'");
    let orphanedLocksReleased = 0;
    if (releaseLocks) {
      let continuationToken: string | undefined;
      do {
        const page = await this.store.queryInstances({ kind: "entity", pageSize: PAGE, continuationToken });
        for (const record of page.instances) if (await this.#releaseIfOrphaned(record)) orphanedLocksReleased++;
        continuationToken = page.continuationToken;
      } while (continuationToken !== undefined);
    }
    let emptyEntitiesRemoved = 0;
    if (removeEmpty) {
      for (;;) {
        const deleted = await this.store.purgeInstances({ kind: "entity" }, PAGE);
        emptyEntitiesRemoved += deleted;
        if (deleted < PAGE) break;
      }
    }
    return { emptyEntitiesRemoved, orphanedLocksReleased };
  }

  /** Sends the release of a lock whose owner no longer runs the execution that took it. */
  async #releaseIfOrphaned(record: InstanceRecord): Promise<boolean> {
    const lock = parseEntityRecord(record.entityState, record.instanceId).lock;
    if (lock === undefined) return false;
    const owner = await this.store.getInstance(lock.owner);
    const ownerRuns =
      owner !== undefined &&
      !isTerminal(owner.status) &&
      (lock.ownerExecutionId === undefined || owner.executionId === lock.ownerExecutionId);
    if (ownerRuns) return false;
    const event = newEvent("EntityUnlockSent", this.#now(), {
      criticalSectionId: lock.criticalSectionId,
      parentInstanceId: lock.owner,
      targetInstanceId: record.instanceId,
    });
    await this.store.sendMessages([{ instanceId: record.instanceId, event, ensureInstance: { name: record.name, kind: "entity" } }]);
    return true;
  }

  #now(): string {
    return new Date(this.store.now()).toISOString();
  }
}

function toMetadata(record: InstanceRecord, includeState: boolean): EntityMetadata {
  const entity = parseEntityRecord(record.entityState, record.instanceId);
  const id = parseEntityInstanceId(record.instanceId) ?? { name: record.name, key: "" };
  return {
    id,
    instanceId: record.instanceId,
    exists: entity.state !== undefined,
    lastModifiedTime: new Date(record.lastUpdatedAt),
    lockedBy: entity.lock?.owner,
    backlogSize: entity.queue.length,
    state: includeState ? deserialize(entity.state, `the state of entity '${record.instanceId}'`) : undefined,
  };
}

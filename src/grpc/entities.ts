/**
 * The protocol's entity calls on Perdure's durable entities: signal one, read one, query them,
 * clean their storage. The entities run in Perdure's own workers (registered with `app.entity`)
 * or, for the names no app of ours defines, in remote workers (see dispatcher.ts).
 *
 * Invariants kept here:
 * 1. An entity id is `@<name>@<key>`, checked as Perdure's client checks it (name lower-cased,
 *    at most 100 characters): a bad one is INVALID_ARGUMENT before anything is written.
 * 2. Payloads pass through unchanged (the SDKs send JSON text); a signal keeps the request id
 *    the caller chose, and a scheduled signal is not delivered before its time.
 * 3. An entity without state (never set, or deleted) does not exist for GetEntity.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { entityInstanceId, parseEntityInstanceId, toEntityId } from "../core/entity/entity-id.js";
import { parseEntityRecord } from "../core/entity/entity-record.js";
import { InvalidArgumentError } from "../core/errors.js";
import { newEvent } from "../core/history.js";
import { EntityClient } from "../runtime/entity-client.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, checkPayload } from "../runtime/payloads.js";
import type { InstanceRecord, Store } from "../store/store.js";
import { fromWireString, optionalTime, strip, toWireString, toWireTimestamp } from "./codec.js";
import type { WireString, WireTimestamp } from "./wire.js";

/** A request as the loader decodes it (see wire.ts): every field may be absent. */
type Req = Record<string, unknown>;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export class EntityManagement {
  readonly #client: EntityClient;

  constructor(private readonly store: Store) {
    this.#client = new EntityClient(store, undefined, DEFAULT_MAX_PAYLOAD_BYTES);
  }

  async signal(req: Req): Promise<object> {
    const target = checkedEntityId(req.instanceId);
    const operation = typeof req.name === "string" ? req.name : "";
    if (operation === "") throw new InvalidArgumentError("SignalEntity needs the operation's name.");
    const input = checkPayload(fromWireString(req.input as WireString | undefined), `The input of operation '${operation}'`, DEFAULT_MAX_PAYLOAD_BYTES);
    const scheduledTime = optionalTime(req.scheduledTime as WireTimestamp | undefined);
    const requestId = typeof req.requestId === "string" && req.requestId !== "" ? req.requestId : randomUUID();
    const event = newEvent("EntityOperationSignaled", this.now(), { requestId, operation, scheduledTime, input, targetInstanceId: target });
    const name = parseEntityInstanceId(target)!.name;
    await this.store.sendMessages([{ instanceId: target, event, visibleAt: scheduledTime, ensureInstance: { name, kind: "entity" } }]);
    return {};
  }

  async get(req: Req): Promise<object> {
    const target = checkedEntityId(req.instanceId);
    const record = await this.store.getInstance(target);
    if (record?.kind !== "entity" || parseEntityRecord(record.entityState, target).state === undefined) return { exists: false };
    return { exists: true, entity: metadataOf(record, req.includeState === true) };
  }

  async query(req: Req): Promise<object> {
    const query = (req.query ?? {}) as Req;
    const prefix = fromWireString(query.instanceIdStartsWith as WireString | undefined) ?? "";
    const from = optionalTime(query.lastModifiedFrom as WireTimestamp | undefined);
    const to = optionalTime(query.lastModifiedTo as WireTimestamp | undefined);
    const requested = Number((query.pageSize as { value?: number } | undefined)?.value ?? 0);
    const page = await this.store.queryInstances({
      kind: "entity",
      instanceIdPrefix: prefix.startsWith("@") ? prefix : `@${prefix}`,
      pageSize: requested > 0 ? Math.min(MAX_PAGE_SIZE, requested) : DEFAULT_PAGE_SIZE,
      continuationToken: fromWireString(query.continuationToken as WireString | undefined) || undefined,
    });
    const entities = page.instances.filter((record) => {
      const modified = Date.parse(record.lastUpdatedAt);
      if (from !== undefined && modified < Date.parse(from)) return false;
      if (to !== undefined && modified > Date.parse(to)) return false;
      // Transient entities: those without state (empty, or only locked or queued).
      return query.includeTransient === true || parseEntityRecord(record.entityState, record.instanceId).state !== undefined;
    });
    return {
      entities: entities.map((record) => metadataOf(record, query.includeState === true)),
      continuationToken: toWireString(page.continuationToken),
    };
  }

  async clean(req: Req): Promise<object> {
    const result = await this.#client.clean({
      removeEmptyEntities: req.removeEmptyEntities === true,
      releaseOrphanedLocks: req.releaseOrphanedLocks === true,
    });
    return { emptyEntitiesRemoved: result.emptyEntitiesRemoved, orphanedLocksReleased: result.orphanedLocksReleased };
  }

  private now(): string {
    return new Date(this.store.now()).toISOString();
  }
}

/** @throws InvalidArgumentError for an id that is not `@<name>@<key>` within the limits. */
function checkedEntityId(value: unknown): string {
  const id = typeof value === "string" ? parseEntityInstanceId(value) : undefined;
  if (id === undefined) {
    throw new InvalidArgumentError(`An entity id has the form '@<name>@<key>'; received ${JSON.stringify(value) ?? String(value)}.`);
  }
  return entityInstanceId(toEntityId(id.name, id.key));
}

function metadataOf(record: InstanceRecord, includeState: boolean): object {
  const entity = parseEntityRecord(record.entityState, record.instanceId);
  return strip({
    instanceId: record.instanceId,
    lastModifiedTime: toWireTimestamp(record.lastUpdatedAt),
    backlogQueueSize: entity.queue.length,
    lockedBy: toWireString(entity.lock?.owner),
    serializedState: includeState ? toWireString(entity.state) : undefined,
  });
}

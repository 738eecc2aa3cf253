/**
 * Turns one batch of an entity's inbox messages into one commit: runs the entity batch executor
 * on the stored entity and translates what it sends into store messages. Also builds the
 * messages an orchestration sends to entities (calls, signals, lock requests and releases).
 *
 * Invariants kept here:
 * 1. Runs synchronously inside the store's transaction (the orchestration stepper dispatches to
 *    it by instance kind): the batch's state, its consumed messages and what it sends commit
 *    together, or the whole batch runs again — no operation is lost or applied twice.
 * 2. Every message to an entity asks the store to create the entity, so an entity comes into
 *    being on its first operation and no message to one is dropped.
 * 3. When an orchestration ends holding (or awaiting) a critical section, one release travels its
 *    lock set behind the request, so no entity stays locked by an ended orchestration.
 *
 * @module
 */
import type { SendEntityMessageAction } from "../core/actions.js";
import { entityMessageTarget } from "../core/actions.js";
import { executeEntityBatch, type EntityBatchOptions, type EntityDefinition, type EntityOutgoing } from "../core/entity/entity-batch.js";
import { parseEntityInstanceId } from "../core/entity/entity-id.js";
import { newEvent, type EventFields } from "../core/history.js";
import type { ReplayLogger } from "../core/replay/orchestration-context.js";
import type { HeldLock } from "../core/replay/executor.js";
import type { App } from "../sdk/app.js";
import type { InstanceRecord, NewMessage, OrchestrationCommit, StepInput } from "../store/store.js";
import { UnknownEntityError } from "./errors.js";
import { checkPayload } from "./payloads.js";

export interface EntityProcessorOptions {
  readonly maxPayloadBytes: number;
  readonly logger: ReplayLogger;
}

/** Runs entity batches for the entities of an app. */
export class EntityProcessor {
  constructor(
    private readonly app: App,
    private readonly options: EntityProcessorOptions,
  ) {}

  step(work: StepInput): OrchestrationCommit {
    const name = entityNameOf(work.instance);
    const definition = this.app.getEntity(name) ?? this.unknownEntity(name);
    const limit = this.options.maxPayloadBytes;
    return entityBatchCommit(definition, work, {
      checkPayload: (payload, what) => void checkPayload(payload, what, limit),
      logger: this.options.logger,
    });
  }

  private unknownEntity(name: string): EntityDefinition {
    const error = new UnknownEntityError(name, this.app.entityNames);
    return {
      name,
      kind: "function",
      fn: () => {
        throw error;
      },
    };
  }
}

/** The name an entity instance runs under: the one in its id (`@<name>@<key>`). */
export function entityNameOf(instance: InstanceRecord): string {
  return parseEntityInstanceId(instance.instanceId)?.name ?? instance.name;
}

/**
 * The commit of one batch of an entity's messages run on `definition`: its new state, its
 * consumed messages and what it sends (results to callers, lock steps, signals). Also used for
 * entities whose operations ran in a remote worker (an "outcomes" definition).
 */
export function entityBatchCommit(
  definition: EntityDefinition,
  work: Pick<StepInput, "instance" | "messages" | "now">,
  options: EntityBatchOptions & { readonly logger: ReplayLogger },
): OrchestrationCommit {
  const { instance, messages, now } = work;
  const result = executeEntityBatch(
    definition,
    { instanceId: instance.instanceId, stored: instance.entityState, messages: messages.map((m) => m.event), now },
    { checkPayload: options.checkPayload },
  );
  for (const outcome of result.outcomes) {
    if (outcome.ok || !outcome.isSignal) continue;
    const failure = outcome.failureDetails;
    options.logger.warn(
      `Signaled operation '${outcome.operation}' on entity '${instance.instanceId}' failed: ${failure?.errorType}: ${failure?.errorMessage}`,
    );
  }
  return {
    executionId: instance.executionId,
    history: [],
    consumedMessageIds: messages.map((m) => m.id),
    status: "Running",
    entityState: result.stored,
    tasks: [],
    messages: result.messages.map(toStoreMessage),
    children: [],
    canceledTimerIds: [],
  };
}

function toStoreMessage(out: EntityOutgoing): NewMessage {
  return {
    instanceId: out.instanceId,
    executionId: out.executionId,
    event: out.event,
    visibleAt: out.visibleAt,
    ensureInstance: out.toEntity ? ensureEntity(out.instanceId) : undefined,
  };
}

function ensureEntity(instanceId: string): NewMessage["ensureInstance"] {
  return { name: parseEntityInstanceId(instanceId)?.name ?? instanceId, kind: "entity" };
}

/** The inbox message an orchestration's SendEntityMessage action puts in the entity's inbox. */
export function entityMessageOf(action: SendEntityMessageAction, now: string): NewMessage {
  const { type, ...fields } = action.message;
  const target = entityMessageTarget(action.message);
  const visibleAt = type === "EntityOperationSignaled" ? action.message.scheduledTime : undefined;
  const event = newEvent(type, now, fields as EventFields<typeof type>);
  return { instanceId: target, event, visibleAt, ensureInstance: ensureEntity(target) };
}

/** The release an ended orchestration sends for its critical section: one message travelling the lock set. */
export function lockRelease(ownerInstanceId: string, held: HeldLock | undefined, now: string): NewMessage[] {
  const first = held?.lockSet[0];
  if (held === undefined || first === undefined) return [];
  const event = newEvent("EntityUnlockSent", now, {
    criticalSectionId: held.criticalSectionId,
    parentInstanceId: ownerInstanceId,
    targetInstanceId: first,
    lockSet: held.lockSet,
    position: 0,
  });
  return [{ instanceId: first, event, ensureInstance: ensureEntity(first) }];
}

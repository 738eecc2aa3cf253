/**
 * The orchestration side of durable entities: calls, signals and critical sections, with the
 * rules that keep critical sections free of deadlocks (as in Durable Functions).
 *
 * Invariants kept here:
 * 1. Request ids and critical-section ids are name-based UUIDs of (instance, execution, sequence
 *    number): the same on every replay, different for every call.
 * 2. A lock set is sorted and deduplicated, so every orchestration asks for entities in one global
 *    order; that order, and the rules below, are why two sections can never wait on each other.
 * 3. Rules, each broken with a LockingRulesViolationError thrown at the call: one critical section
 *    at a time; no sub-orchestration inside one; inside one, call only entities it holds, one call
 *    at a time per entity, and signal only entities outside it.
 *
 * @module
 */
import type { EntityMessage, SequencedAction } from "../actions.js";
import { InvalidArgumentError, LockingRulesViolationError } from "../errors.js";
import { entityInstanceId, requireEntityId, type EntityId } from "../entity/entity-id.js";
import { uuidV5 } from "../ids.js";
import { serialize } from "../serde.js";
import { EntityCallTask, LockTask, OneWayTask, type SequencedTask } from "./durable-tasks.js";
import { onSettled, type Task } from "./task.js";

/** A held critical section: release it when done (the orchestration's end releases it too). */
export interface EntityLock {
  /** The locked entities, in lock order. */
  readonly entities: readonly EntityId[];
  /** True once released. */
  readonly isReleased: boolean;
  /** Unlocks every entity of the section. Calling it again does nothing. */
  release(): void;
}

/** Options of `signalEntity`. */
export interface SignalEntityOptions {
  /** Deliver the operation no earlier than this time. */
  readonly at?: Date | undefined;
}

/** What the entity calls need from the executor. */
export interface EntityCallHost {
  readonly instanceId: string;
  readonly executionId: string;
  schedule<T extends SequencedTask<unknown>>(build: (id: number) => { action: SequencedAction; task: T }): T;
}

interface Section {
  readonly id: string;
  readonly lockSet: readonly string[];
  readonly entities: readonly EntityId[];
  granted: boolean;
  /** Locked entities with a call in flight. */
  readonly busy: Set<string>;
}

/** Calls, signals and critical sections of one orchestration execution. */
export class EntityCalls {
  #section: Section | undefined;

  constructor(private readonly host: EntityCallHost) {}

  /** True between `lockEntities` and the release of its lock. */
  get isInCriticalSection(): boolean {
    return this.#section !== undefined;
  }

  /** The entities of the open critical section (requested or held). */
  get lockedEntities(): readonly EntityId[] {
    return this.#section?.entities ?? [];
  }

  /** Throws when a critical section is open: `what` may not run inside one. */
  assertOutsideSection(what: string): void {
    if (this.#section !== undefined) {
      throw new LockingRulesViolationError(
        `${what} may not be called inside a critical section (locking ${this.#section.lockSet.join(", ")}). ` +
          `Release the lock first, or start the sub-orchestration before locking.`,
      );
    }
  }

  call(id: unknown, operation: unknown, input: unknown): Task<unknown> {
    const entity = requireEntityId(id, "callEntity()");
    const target = entityInstanceId(entity);
    const op = requireOperation("callEntity()", operation);
    const section = this.#section;
    if (section !== undefined) checkCallInSection(section, target, op);
    const payload = serialize(input, `the input of operation '${op}' on entity '${target}'`);
    const task = this.host.schedule((seq) => {
      const requestId = this.#uuid(`call:${seq}`);
      const action = this.#action(seq, {
        type: "EntityOperationCalled",
        requestId,
        operation: op,
        input: payload,
        parentInstanceId: this.host.instanceId,
        parentExecutionId: this.host.executionId,
        targetInstanceId: target,
      });
      return { action, task: new EntityCallTask<unknown>(action, op, target, requestId) };
    });
    if (section !== undefined) {
      section.busy.add(target);
      task[onSettled](() => section.busy.delete(target));
    }
    return task;
  }

  signal(id: unknown, operation: unknown, input: unknown, options?: SignalEntityOptions): void {
    const entity = requireEntityId(id, "signalEntity()");
    const target = entityInstanceId(entity);
    const op = requireOperation("signalEntity()", operation);
    if (this.#section?.lockSet.includes(target)) {
      throw new LockingRulesViolationError(
        `signalEntity('${target}', '${op}') inside a critical section that holds '${target}': signal only entities ` +
          `outside the section; call the entities it holds with callEntity().`,
      );
    }
    const at = options?.at;
    if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime()))) {
      throw new InvalidArgumentError(`signalEntity() option 'at' must be a valid Date; received ${String(at)}.`);
    }
    const payload = serialize(input, `the input of operation '${op}' on entity '${target}'`);
    this.host.schedule((seq) => {
      const action = this.#action(seq, {
        type: "EntityOperationSignaled",
        requestId: this.#uuid(`signal:${seq}`),
        operation: op,
        scheduledTime: at?.toISOString(),
        input: payload,
        targetInstanceId: target,
      });
      return { action, task: new OneWayTask(action) };
    });
  }

  lock(ids: readonly unknown[]): Task<EntityLock> {
    if (this.#section !== undefined) {
      throw new LockingRulesViolationError(
        `lockEntities() inside a critical section (locking ${this.#section.lockSet.join(", ")}): critical sections ` +
          `may not be nested. Release the first lock, or lock every entity you need in one lockEntities() call.`,
      );
    }
    if (ids.length === 0) throw new InvalidArgumentError("lockEntities() needs at least one entity id.");
    const byInstance = new Map<string, EntityId>();
    for (const id of ids) {
      const entity = requireEntityId(id, "lockEntities()");
      byInstance.set(entityInstanceId(entity), entity);
    }
    const lockSet = [...byInstance.keys()].sort();
    return this.host.schedule((seq) => {
      const section: Section = {
        id: this.#uuid(`lock:${seq}`),
        lockSet,
        entities: lockSet.map((instanceId) => byInstance.get(instanceId)!),
        granted: false,
        busy: new Set(),
      };
      this.#section = section;
      const action = this.#action(seq, {
        type: "EntityLockRequested",
        criticalSectionId: section.id,
        lockSet,
        position: 0,
        parentInstanceId: this.host.instanceId,
        parentExecutionId: this.host.executionId,
      });
      const task = new LockTask<EntityLock>(action, section.id, () => {
        section.granted = true;
        return this.#handle(section);
      });
      return { action, task };
    });
  }

  #handle(section: Section): EntityLock {
    let released = false;
    return {
      entities: section.entities,
      get isReleased() {
        return released;
      },
      release: () => {
        if (released) return;
        released = true;
        if (this.#section === section) this.#section = undefined;
        for (const target of section.lockSet) {
          this.host.schedule((seq) => {
            const action = this.#action(seq, {
              type: "EntityUnlockSent",
              criticalSectionId: section.id,
              parentInstanceId: this.host.instanceId,
              targetInstanceId: target,
            });
            return { action, task: new OneWayTask(action) };
          });
        }
      },
    };
  }

  #action(id: number, message: EntityMessage): SequencedAction {
    return { type: "SendEntityMessage", id, message };
  }

  #uuid(what: string): string {
    return uuidV5(`${this.host.instanceId}:${this.host.executionId}:${what}`);
  }
}

function requireOperation(what: string, operation: unknown): string {
  if (typeof operation !== "string" || operation.length === 0) {
    throw new InvalidArgumentError(`${what} needs a non-empty operation name; received ${JSON.stringify(operation) ?? String(operation)}.`);
  }
  return operation;
}

function checkCallInSection(section: Section, target: string, operation: string): void {
  const call = `callEntity('${target}', '${operation}')`;
  if (!section.lockSet.includes(target)) {
    throw new LockingRulesViolationError(
      `${call} inside a critical section that does not hold '${target}': inside a critical section, call only ` +
        `the entities it locked (${section.lockSet.join(", ")}), or release the lock first.`,
    );
  }
  if (!section.granted) {
    throw new LockingRulesViolationError(`${call} before the lock was acquired: yield the task of lockEntities() first.`);
  }
  if (section.busy.has(target)) {
    throw new LockingRulesViolationError(
      `${call} while another call to '${target}' is in flight: inside a critical section, calls to one locked ` +
        `entity run one at a time; await the first call before making the next.`,
    );
  }
}

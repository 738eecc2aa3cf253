/**
 * The context of one entity operation: its name and input, the entity's state, its result, and
 * signals to other entities. One context per operation, so that a failing operation's changes
 * are thrown away with it.
 *
 * State semantics: `getState` returns the state itself, so changing the returned object changes
 * the state; the state is written back (as JSON) when the operation succeeds. An initializer's
 * value becomes state only if `setState` is called or the value is changed, so that reading a
 * new entity does not make it exist.
 *
 * @module
 */
import { InvalidEntityError } from "../errors.js";
import { newEvent, type HistoryEvent } from "../history.js";
import { uuidV5 } from "../ids.js";
import { deserialize, serialize, type Payload } from "../serde.js";
import { entityInstanceId, requireEntityId, type EntityId } from "./entity-id.js";

/** A message an entity sends: to another entity (a signal, a lock step) or to an orchestration (a result, a grant). */
export interface EntityOutgoing {
  readonly instanceId: string;
  /** For messages to an orchestration: the execution they are for. */
  readonly executionId?: string | undefined;
  readonly event: HistoryEvent;
  readonly visibleAt?: string | undefined;
  /** True when the addressee is an entity (created on delivery if missing). */
  readonly toEntity: boolean;
}

/** What an operation runs on. */
export interface OperationFrame {
  readonly entity: EntityId;
  readonly instanceId: string;
  readonly operation: string;
  readonly input: Payload;
  readonly requestId: string;
  /** The state before the operation (JSON text), absent when there is none. */
  readonly state: Payload;
  readonly now: string;
}

/** The context an entity operation receives. */
export class EntityContextImpl {
  #hasLive = false;
  #live: unknown;
  #fromInitializer = false;
  #initializerJson: Payload;
  #setCalled = false;
  #returned: { readonly value: Payload } | undefined;
  #destruct = false;
  #signalCount = 0;
  /** @internal Signals sent by the operation, delivered only if it succeeds. */
  readonly signals: EntityOutgoing[] = [];

  constructor(
    private readonly frame: OperationFrame,
    private readonly isClassStyle = false,
  ) {}

  /** The entity's id: its name (lower-cased) and key. */
  get entityId(): EntityId {
    return this.frame.entity;
  }
  get entityName(): string {
    return this.frame.entity.name;
  }
  get entityKey(): string {
    return this.frame.entity.key;
  }
  /** The name of the operation being run. */
  get operationName(): string {
    return this.frame.operation;
  }
  /** True when the entity had no state when the operation began. */
  get isNewlyConstructed(): boolean {
    return this.frame.state === undefined;
  }

  /** The operation's input. */
  getInput<T = unknown>(): T {
    return deserialize(this.frame.input, `the input of operation '${this.frame.operation}'`) as T;
  }

  /**
   * The entity's state; with an initializer, its value when the entity has none. The returned
   * value is the state: changes to it are kept when the operation succeeds.
   */
  getState<T = unknown>(initializer?: () => T): T | undefined {
    this.#requireFunctionStyle("getState");
    if (!this.#hasLive) {
      if (this.frame.state !== undefined) {
        this.#live = deserialize(this.frame.state, `the state of entity '${this.frame.instanceId}'`);
      } else if (initializer !== undefined) {
        this.#live = initializer();
        this.#initializerJson = serialize(this.#live, `the initial state of entity '${this.frame.instanceId}'`);
        this.#fromInitializer = true;
      } else {
        return undefined;
      }
      this.#hasLive = true;
    }
    return this.#live as T;
  }

  /** Replaces the entity's state (JSON-serializable). `undefined` deletes it. */
  setState(state: unknown): void {
    this.#requireFunctionStyle("setState");
    this.#live = state;
    this.#hasLive = true;
    this.#setCalled = true;
    this.#fromInitializer = false;
  }

  /** Sets the operation's result, which a caller of `callEntity` receives. */
  return(value: unknown): void {
    this.#returned = { value: serialize(value, `the result of operation '${this.frame.operation}'`) };
  }

  /** Deletes the entity's state when the operation succeeds. */
  destructOnExit(): void {
    this.#destruct = true;
  }

  /** Sends a one-way operation to an entity (delivered only if this operation succeeds). */
  signalEntity(id: unknown, operation: string, input?: unknown): void {
    const target = entityInstanceId(requireEntityId(id, "signalEntity()"));
    if (typeof operation !== "string" || operation.length === 0) {
      throw new InvalidEntityError(`signalEntity() needs a non-empty operation name; received ${String(operation)}.`);
    }
    const payload = serialize(input, `the input of operation '${operation}' on entity '${target}'`);
    const requestId = uuidV5(`${this.frame.instanceId}:${this.frame.requestId}:${this.#signalCount++}`);
    const event = newEvent("EntityOperationSignaled", this.frame.now, {
      requestId,
      operation,
      input: payload,
      targetInstanceId: target,
    });
    this.signals.push({ instanceId: target, event, toEntity: true });
  }

  /** @internal True when `destructOnExit` was called. */
  get destructs(): boolean {
    return this.#destruct;
  }

  /** @internal The result set with `return`, if any. */
  get returned(): { readonly value: Payload } | undefined {
    return this.#returned;
  }

  /** @internal The state after a successful operation (function style). */
  finalState(): Payload {
    if (this.#destruct) return undefined;
    if (!this.#hasLive) return this.frame.state;
    const json = serialize(this.#live, `the state of entity '${this.frame.instanceId}'`);
    if (this.#fromInitializer && !this.#setCalled && json === this.#initializerJson) return this.frame.state;
    return json;
  }

  #requireFunctionStyle(what: string): void {
    if (this.isClassStyle) {
      throw new InvalidEntityError(
        `${what}() is for function entities. A class entity's state is its fields: assign them in the operation's method.`,
      );
    }
  }
}

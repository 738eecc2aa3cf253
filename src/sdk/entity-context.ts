/**
 * Durable entities as users write them: the entity context, the function style, and `entityId`.
 *
 * @module
 */
import { toEntityId } from "../core/entity/entity-id.js";
import { InvalidArgumentError } from "../core/errors.js";
import type { EntityHandle, EntityId, OperationArgs, OperationInput, OperationName } from "./handles.js";

export type { EntityLock, SignalEntityOptions } from "../core/replay/entity-calls.js";

/**
 * What an entity operation receives: the operation, its input, the entity's state, and ways to
 * answer and to signal other entities. Operations run one at a time, synchronously; do I/O in
 * activities.
 *
 * @example
 * type CounterOps = { add: (n: number) => void; get: () => number; reset: () => void };
 * const counter = app.entity<CounterOps>("Counter", (ctx: EntityContext<number>) => {
 *   switch (ctx.operationName) {
 *     case "add": ctx.setState(ctx.getState(() => 0) + ctx.getInput<number>()); break;
 *     case "get": ctx.return(ctx.getState(() => 0)); break;
 *     case "reset": ctx.destructOnExit(); break;
 *   }
 * });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface EntityContext<TState = any> {
  /** This entity's id: its name (lower-cased) and key. */
  readonly entityId: EntityId;
  readonly entityName: string;
  readonly entityKey: string;
  /** The operation being run. */
  readonly operationName: string;
  /** True when the entity had no state when the operation began. */
  readonly isNewlyConstructed: boolean;
  /** The operation's input. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  getInput<T = any>(): T;
  /**
   * The entity's state, or the initializer's value when it has none. The value returned is the
   * state: changes to it are kept when the operation succeeds. Reading alone creates nothing.
   */
  getState(initializer: () => TState): TState;
  /** The entity's state, or undefined when it has none. */
  getState(): TState | undefined;
  /** The entity's state as a type of your choosing. */
  getState<T>(initializer: () => T): T;
  getState<T>(): T | undefined;
  /** Replaces the state (JSON-serializable); `undefined` deletes it. */
  setState(state: TState | undefined): void;
  /** The result a caller of `callEntity` receives. */
  return(value: unknown): void;
  /** Deletes the entity's state when the operation succeeds. */
  destructOnExit(): void;
  /** Sends a one-way operation to another entity, delivered only if this operation succeeds. */
  signalEntity<TOps, K extends OperationName<TOps>>(
    id: EntityId<TOps>,
    operation: K,
    ...input: OperationArgs<OperationInput<TOps[K]>>
  ): void;
}

/** An entity in the function style: one function that switches on `ctx.operationName`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EntityFunction<TState = any> = (ctx: EntityContext<TState>) => unknown;

/** An entity in the class style: a class whose methods are the operations and whose fields are the state. */
export type EntityClass = new () => object;

/**
 * The id of an entity: a handle (typed calls) or a registered name, and a key.
 *
 * @example
 * const id = entityId(counter, "daily-visits");
 * yield* ctx.callEntity(id, "add", 1);
 */
export function entityId<TOps>(entity: EntityHandle<TOps>, key: string): EntityId<TOps>;
export function entityId(name: string, key: string): EntityId;
export function entityId(entity: EntityHandle<unknown> | string, key: string): EntityId<unknown> {
  const name = typeof entity === "string" ? entity : entity?.name;
  if (typeof name !== "string") {
    throw new InvalidArgumentError(`entityId() needs an entity handle or a registered entity name; received ${typeof entity}.`);
  }
  return Object.freeze(toEntityId(name, key));
}

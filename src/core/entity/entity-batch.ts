/**
 * The entity batch executor: (stored entity, operation messages) → (new stored entity, results,
 * outgoing messages). Pure: no I/O, no clock (time is the batch's `now`), no randomness.
 *
 * Invariants kept here:
 * 1. Operations run one at a time, in the order they arrived; a sender's messages are never
 *    reordered (messages put aside stay in arrival order and go before newer ones).
 * 2. An operation that throws leaves the state as it was before it, and its signals are not
 *    sent; the other operations of the batch still apply. A caller gets the failure, a signal's
 *    failure is reported in `outcomes`.
 * 3. While the entity is locked by an orchestration, only that orchestration's messages run;
 *    the rest are put aside (in the record, not the inbox) until the lock is released.
 *
 * Design note — the lock protocol (critical sections), as Durable Functions does it:
 * - An orchestration sends EntityLockRequested{criticalSectionId, lockSet (sorted), position 0}
 *   to the first entity of the set. An entity that is free locks itself for the orchestration
 *   (the owner) and forwards the request, at position + 1, to the next entity; the last one sends
 *   EntityLockGranted to the owner. An entity that is locked puts the request aside until it is
 *   free. Every section takes its entities in one global order, so no two sections can each hold
 *   an entity the other waits for: there are no deadlocks.
 * - EntityUnlockSent releases one entity. The orchestration sends one to each entity when it
 *   releases the section. When an orchestration ends while it holds or awaits a section, the
 *   runtime sends one release that travels the lock set like the request did (it carries the
 *   set and a position): it reaches each entity after the request did, since both come from the
 *   same sender, so no entity is left locked by a section that has ended.
 * - A release for a section the entity does not hold changes nothing (it is still forwarded).
 *
 * @module
 */
import { InvalidEntityError, toFailureDetails, type FailureDetails } from "../errors.js";
import { newEvent, type EventOf, type HistoryEvent } from "../history.js";
import { deserialize, serialize, type Payload } from "../serde.js";
import { EntityContextImpl, type EntityOutgoing, type OperationFrame } from "./entity-context.js";
import { parseEntityInstanceId } from "./entity-id.js";
import { parseEntityRecord, serializeEntityRecord, type EntityLockRecord } from "./entity-record.js";

export type { EntityOutgoing, OperationFrame } from "./entity-context.js";

/**
 * An entity as the batch executor runs it: a function of the context, a class whose methods are
 * operations, or operations that ran elsewhere (a remote worker), whose outcomes `outcome` gives
 * in the order the batch runs them.
 */
export type EntityDefinition =
  | { readonly name: string; readonly kind: "function"; readonly fn: (ctx: EntityContextImpl) => unknown }
  | { readonly name: string; readonly kind: "class"; readonly create: () => object }
  | { readonly name: string; readonly kind: "outcomes"; readonly outcome: (frame: OperationFrame) => EntityOperationResult };

export interface EntityBatchInput {
  /** The entity's instance id, `@<name>@<key>`. */
  readonly instanceId: string;
  /** The stored entity record (see entity-record.ts). */
  readonly stored: Payload;
  /** Messages from the inbox, in write order. */
  readonly messages: readonly HistoryEvent[];
  /** The batch's time (ISO-8601), stamped on the messages it sends. */
  readonly now: string;
}

export interface EntityBatchOptions {
  /** Called on each result, state and signal input; throws to fail the operation (e.g. a size limit). */
  readonly checkPayload?: ((payload: Payload, what: string) => void) | undefined;
}

/** What happened to one operation. */
export interface EntityOperationOutcome {
  readonly requestId: string;
  readonly operation: string;
  readonly isSignal: boolean;
  readonly ok: boolean;
  readonly failureDetails?: FailureDetails | undefined;
}

export interface EntityBatchResult {
  /** The record to store; absent when the entity is empty. */
  readonly stored: Payload;
  readonly outcomes: readonly EntityOperationOutcome[];
  readonly messages: readonly EntityOutgoing[];
}

/** What one operation did: its result, the state after it and the signals it sent; or how it failed. */
export type EntityOperationResult =
  | { readonly ok: true; readonly output: Payload; readonly state: Payload; readonly signals: readonly EntityOutgoing[] }
  | { readonly ok: false; readonly failureDetails: FailureDetails };

type OperationMessage = EventOf<"EntityOperationSignaled" | "EntityOperationCalled">;

const ENTITY_MESSAGES = new Set(["EntityOperationSignaled", "EntityOperationCalled", "EntityLockRequested", "EntityUnlockSent"]);

/** Runs a batch of messages on an entity. `definition` undefined makes every operation fail. */
export function executeEntityBatch(
  definition: EntityDefinition,
  input: EntityBatchInput,
  options: EntityBatchOptions = {},
): EntityBatchResult {
  const record = parseEntityRecord(input.stored, input.instanceId);
  const batch = new Batch(definition, input, record.state, record.lock, options.checkPayload ?? (() => {}));
  const queue = batch.run([...record.queue, ...input.messages.filter((m) => ENTITY_MESSAGES.has(m.type))]);
  return {
    stored: serializeEntityRecord({ state: batch.state, lock: batch.lock, queue }),
    outcomes: batch.outcomes,
    messages: batch.messages,
  };
}

class Batch {
  /** Class style: the instance built from `state`; dropped when an operation fails or deletes the state. */
  private instance: object | undefined;
  readonly outcomes: EntityOperationOutcome[] = [];
  readonly messages: EntityOutgoing[] = [];

  constructor(
    private readonly definition: EntityDefinition,
    private readonly input: EntityBatchInput,
    public state: Payload,
    public lock: EntityLockRecord | undefined,
    private readonly check: (payload: Payload, what: string) => void,
  ) {}

  /** Runs every message that may run, first come first served; returns those put aside. */
  run(pending: HistoryEvent[]): HistoryEvent[] {
    for (;;) {
      const index = pending.findIndex((m) => this.mayRun(m));
      if (index < 0) return pending;
      const [message] = pending.splice(index, 1);
      this.handle(message!);
    }
  }

  private mayRun(message: HistoryEvent): boolean {
    const lock = this.lock;
    if (lock === undefined) return true;
    switch (message.type) {
      case "EntityOperationCalled":
      case "EntityUnlockSent":
        return message.parentInstanceId === lock.owner;
      case "EntityLockRequested":
        return message.criticalSectionId === lock.criticalSectionId;
      default:
        return false;
    }
  }

  private handle(message: HistoryEvent): void {
    switch (message.type) {
      case "EntityOperationSignaled":
      case "EntityOperationCalled":
        return this.operate(message);
      case "EntityLockRequested":
        return this.lockFor(message);
      case "EntityUnlockSent":
        return this.unlock(message);
      default:
        return;
    }
  }

  private lockFor(m: EventOf<"EntityLockRequested">): void {
    const { criticalSectionId, lockSet, parentInstanceId, parentExecutionId } = m;
    this.lock = { owner: parentInstanceId, ownerExecutionId: parentExecutionId, criticalSectionId };
    const next = m.position + 1;
    if (next < lockSet.length) {
      const event = newEvent("EntityLockRequested", this.input.now, {
        criticalSectionId,
        lockSet,
        position: next,
        parentInstanceId,
        parentExecutionId,
      });
      this.messages.push({ instanceId: lockSet[next]!, event, toEntity: true });
    } else {
      const event = newEvent("EntityLockGranted", this.input.now, { criticalSectionId });
      this.messages.push({ instanceId: parentInstanceId, executionId: parentExecutionId, event, toEntity: false });
    }
  }

  private unlock(m: EventOf<"EntityUnlockSent">): void {
    if (this.lock?.criticalSectionId === m.criticalSectionId) this.lock = undefined;
    if (m.lockSet === undefined || m.position === undefined) return;
    const next = m.position + 1;
    if (next >= m.lockSet.length) return;
    const target = m.lockSet[next]!;
    const event = newEvent("EntityUnlockSent", this.input.now, {
      criticalSectionId: m.criticalSectionId,
      parentInstanceId: m.parentInstanceId,
      targetInstanceId: target,
      lockSet: m.lockSet,
      position: next,
    });
    this.messages.push({ instanceId: target, event, toEntity: true });
  }

  private operate(m: OperationMessage): void {
    const entity = parseEntityInstanceId(this.input.instanceId) ?? { name: this.definition.name, key: "" };
    const frame: OperationFrame = {
      entity,
      instanceId: this.input.instanceId,
      operation: m.operation,
      input: m.input,
      requestId: m.requestId,
      state: this.state,
      now: this.input.now,
    };
    const result = this.invoke(frame);
    if (result.ok) {
      this.state = result.state;
      this.messages.push(...result.signals);
    } else {
      this.instance = undefined;
    }
    const isSignal = m.type === "EntityOperationSignaled";
    const failureDetails = result.ok ? undefined : result.failureDetails;
    this.outcomes.push({ requestId: m.requestId, operation: m.operation, isSignal, ok: result.ok, failureDetails });
    if (m.type !== "EntityOperationCalled") return;
    const event = result.ok
      ? newEvent("EntityOperationCompleted", this.input.now, { requestId: m.requestId, output: result.output })
      : newEvent("EntityOperationFailed", this.input.now, { requestId: m.requestId, failureDetails: result.failureDetails });
    this.messages.push({ instanceId: m.parentInstanceId, executionId: m.parentExecutionId, event, toEntity: false });
  }

  private invoke(frame: OperationFrame): EntityOperationResult {
    const definition = this.definition;
    if (definition.kind === "outcomes") return definition.outcome(frame);
    const ctx = new EntityContextImpl(frame, definition.kind === "class");
    const what = `operation '${frame.operation}' of entity '${frame.instanceId}'`;
    try {
      let value: unknown;
      let state: Payload;
      if (definition.kind === "function") {
        value = requireSync(definition.fn(ctx), what);
        state = ctx.finalState();
      } else {
        const instance = this.instance ?? this.build(definition.create);
        value = requireSync(callMethod(instance, frame, ctx), what);
        state = ctx.destructs ? undefined : serialize(instance, `the state of entity '${frame.instanceId}'`);
        this.instance = ctx.destructs ? undefined : instance;
      }
      const output = ctx.returned !== undefined ? ctx.returned.value : serialize(value, `the result of ${what}`);
      this.check(output, `The result of ${what}`);
      this.check(state, `The state of entity '${frame.instanceId}'`);
      for (const signal of ctx.signals) this.check((signal.event as { input?: Payload }).input, `A signal sent by ${what}`);
      return { ok: true, output, state, signals: ctx.signals };
    } catch (error) {
      return { ok: false, failureDetails: toFailureDetails(error) };
    }
  }

  private build(create: () => object): object {
    const instance = create();
    if (this.state !== undefined) {
      const fields = deserialize(this.state, `the state of entity '${this.input.instanceId}'`);
      if (fields !== null && typeof fields === "object") Object.assign(instance, fields);
    }
    return instance;
  }
}

/** Calls the method named by the operation (exact name first, then case-insensitive); `delete` deletes the state. */
function callMethod(instance: object, frame: OperationFrame, ctx: EntityContextImpl): unknown {
  const method = findMethod(instance, frame.operation);
  if (method === undefined) {
    if (frame.operation.toLowerCase() === "delete") {
      ctx.destructOnExit();
      return undefined;
    }
    throw new InvalidEntityError(
      `Entity '${frame.entity.name}' has no operation '${frame.operation}'. Its operations are the methods of its class: ` +
        `${methodNames(instance).join(", ") || "(none)"}.`,
    );
  }
  return method.call(instance, deserialize(frame.input, `the input of operation '${frame.operation}'`), ctx);
}

function methodNames(instance: object): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(instance); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === "constructor" || names.includes(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === "function") names.push(name);
    }
  }
  return names;
}

function findMethod(instance: object, operation: string): ((input: unknown, ctx: unknown) => unknown) | undefined {
  const names = methodNames(instance);
  const name = names.includes(operation) ? operation : names.find((n) => n.toLowerCase() === operation.toLowerCase());
  return name === undefined ? undefined : ((instance as Record<string, unknown>)[name] as (input: unknown, ctx: unknown) => unknown);
}

function requireSync(value: unknown, what: string): unknown {
  if (typeof (value as { then?: unknown } | null)?.then === "function") {
    // Nobody awaits it: keep its rejection from crashing the process.
    (value as Promise<unknown>).then(undefined, () => {});
    throw new InvalidEntityError(
      `The ${what} returned a Promise. Entity operations run synchronously, one at a time, inside the store's ` +
        `transaction: do I/O in an activity and pass its result to the entity.`,
    );
  }
  return value;
}

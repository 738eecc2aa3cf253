/**
 * `createApp()`: the registry of a program's activities and orchestrations.
 *
 * @module
 */
import { DuplicateRegistrationError, InvalidArgumentError } from "../core/errors.js";
import type { OrchestrationContextImpl } from "../core/replay/orchestration-context.js";
import type { OrchestrationDefinition } from "../core/replay/executor.js";
import type { ActivityContext } from "./activity-context.js";
import type { ActivityHandle, OrchestrationHandle } from "./handles.js";
import type { OrchestrationContext, OrchestrationFunction } from "./orchestration-context.js";

/** An activity function: any code, sync or async, with its input and a context. */
export type ActivityFunction<TIn, TOut> = (input: TIn, ctx: ActivityContext) => TOut;

/** A registered activity, as the runtime finds it by name. */
export interface RegisteredActivity {
  readonly name: string;
  readonly fn: (input: unknown, ctx: ActivityContext) => unknown;
}

/** A registered orchestration, as the runtime finds it by name. */
export interface RegisteredOrchestration extends OrchestrationDefinition {
  readonly name: string;
}

function requireName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name.trim().length === 0) {
    throw new InvalidArgumentError(`An ${kind} needs a non-empty name; received ${JSON.stringify(name)}.`);
  }
}

function requireFunction(kind: string, name: string, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(`The ${kind} '${name}' needs a function; received ${fn === null ? "null" : typeof fn}.`);
  }
}

/**
 * A Perdure program: the activities and orchestrations it registers. Names are unique per kind,
 * compared case-insensitively (as Durable Functions does).
 */
export class App {
  readonly #activities = new Map<string, RegisteredActivity>();
  readonly #orchestrations = new Map<string, RegisteredOrchestration>();

  /**
   * Registers an activity and returns its typed handle.
   *
   * @example
   * const add = app.activity("Add", async (x: number) => x + 1);
   */
  activity<TIn = void, TOut = unknown>(name: string, fn: ActivityFunction<TIn, TOut>): ActivityHandle<TIn, Awaited<TOut>> {
    requireName("activity", name);
    requireFunction("activity", name, fn);
    const key = name.toLowerCase();
    if (this.#activities.has(key)) throw new DuplicateRegistrationError("activity", name);
    this.#activities.set(key, { name, fn: fn as RegisteredActivity["fn"] });
    return Object.freeze({ kind: "activity", name }) as ActivityHandle<TIn, Awaited<TOut>>;
  }

  /**
   * Registers an orchestration — a generator function — and returns its typed handle.
   *
   * @example
   * const pipeline = app.orchestration("Pipeline", function* (ctx, day: string) {
   *   const rows = yield* ctx.callActivity(download, day);
   *   return rows.length;
   * });
   */
  orchestration<TIn = void, TOut = unknown>(
    name: string,
    fn: OrchestrationFunction<TIn, TOut>,
  ): OrchestrationHandle<TIn, TOut> {
    requireName("orchestration", name);
    requireFunction("orchestration", name, fn);
    const key = name.toLowerCase();
    if (this.#orchestrations.has(key)) throw new DuplicateRegistrationError("orchestration", name);
    const run = (ctx: OrchestrationContextImpl, input: unknown): unknown =>
      fn(ctx as unknown as OrchestrationContext, input as TIn);
    this.#orchestrations.set(key, { name, fn: run });
    return Object.freeze({ kind: "orchestration", name }) as OrchestrationHandle<TIn, TOut>;
  }

  /** The registered activity of that name (case-insensitive), if any. */
  getActivity(name: string): RegisteredActivity | undefined {
    return this.#activities.get(name.toLowerCase());
  }

  /** The registered orchestration of that name (case-insensitive), if any. */
  getOrchestration(name: string): RegisteredOrchestration | undefined {
    return this.#orchestrations.get(name.toLowerCase());
  }

  /** Names of every registered activity. */
  get activityNames(): string[] {
    return [...this.#activities.values()].map((a) => a.name);
  }

  /** Names of every registered orchestration. */
  get orchestrationNames(): string[] {
    return [...this.#orchestrations.values()].map((o) => o.name);
  }
}

/**
 * Creates an app to register activities and orchestrations on.
 *
 * @example
 * import { createApp } from "perdure";
 * const app = createApp();
 */
export function createApp(): App {
  return new App();
}

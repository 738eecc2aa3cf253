/**
 * Tasks: what an orchestration yields. A task is created by a durable call on the context, settles
 * when the history event that answers it is replayed, and is awaited with `yield* task` (typed) or
 * `yield task` (untyped, Durable Functions style).
 *
 * Invariants kept here:
 * 1. A task settles at most once; later completions are ignored.
 * 2. Listeners run synchronously, in registration order, when the task settles — so composite
 *    tasks and retries react in history order, which keeps replay deterministic.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";

/** Internal hooks, keyed by symbols that are not exported from the package. */
export const settle = Symbol("settle");
export const onSettled = Symbol("onSettled");

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: Error };

/**
 * A durable operation's eventual result. Await it in an orchestration with `yield* task` to get
 * a typed `T`, or with `yield task` for an untyped value.
 */
export abstract class Task<T> {
  #outcome: Outcome<T> | undefined;
  // `any`: listeners must not make Task<T> invariant in T (a Task<void> is a Task<unknown>).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  #listeners: Array<(task: Task<any>) => void> | undefined;

  /** True once the task has a result or an error. */
  get isCompleted(): boolean {
    return this.#outcome !== undefined;
  }

  /** True when the task ended with an error. */
  get isFaulted(): boolean {
    return this.#outcome !== undefined && !this.#outcome.ok;
  }

  /** The result, once the task completed successfully; otherwise `undefined`. */
  get result(): T | undefined {
    return this.#outcome?.ok ? this.#outcome.value : undefined;
  }

  /** The error, once the task failed; otherwise `undefined`. */
  get error(): Error | undefined {
    return this.#outcome && !this.#outcome.ok ? this.#outcome.error : undefined;
  }

  /** Makes `yield* task` evaluate to the task's typed result (or throw its error). */
  *[Symbol.iterator](): Generator<Task<T>, T, unknown> {
    return (yield this) as T;
  }

  /** @internal Settles the task once; listeners run synchronously. */
  [settle](outcome: Outcome<T>): boolean {
    if (this.#outcome !== undefined) return false;
    this.#outcome = outcome;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener(this);
    return true;
  }

  /** @internal Runs `listener` when the task settles (at once if it has). */
  [onSettled](listener: (task: Task<T>) => void): void {
    if (this.#outcome !== undefined) {
      listener(this);
      return;
    }
    (this.#listeners ??= []).push(listener);
  }
}

/** The result type of a task. */
export type TaskResult<T> = T extends Task<infer R> ? R : never;

/** One entry of `allSettled`'s result, shaped like `Promise.allSettled`'s. */
export type SettledResult<T> =
  | { readonly status: "fulfilled"; readonly value: T }
  | { readonly status: "rejected"; readonly reason: Error };

/** A task settled directly by the context (external events, retries). */
export class ManualTask<T> extends Task<T> {}

/** Completes with all results in order, or fails with the first failure (like Promise.all). */
export class WhenAllTask<T extends readonly Task<unknown>[]> extends Task<{ -readonly [K in keyof T]: TaskResult<T[K]> }> {
  constructor(readonly children: T) {
    super();
    let remaining = children.length;
    if (remaining === 0) {
      this[settle]({ ok: true, value: [] as unknown as { -readonly [K in keyof T]: TaskResult<T[K]> } });
      return;
    }
    for (const child of children) {
      child[onSettled]((c) => {
        if (c.isFaulted) {
          this[settle]({ ok: false, error: c.error! });
          return;
        }
        remaining--;
        if (remaining === 0) {
          const values = children.map((t) => t.result);
          this[settle]({ ok: true, value: values as unknown as { -readonly [K in keyof T]: TaskResult<T[K]> } });
        }
      });
    }
  }
}

/** Completes when every child has settled, with each one's outcome. Never fails. */
export class WhenAllSettledTask<T extends readonly Task<unknown>[]> extends Task<{
  -readonly [K in keyof T]: SettledResult<TaskResult<T[K]>>;
}> {
  constructor(readonly children: T) {
    super();
    let remaining = children.length;
    const finish = (): void => {
      const values = children.map((t) =>
        t.isFaulted ? { status: "rejected", reason: t.error } : { status: "fulfilled", value: t.result },
      );
      this[settle]({ ok: true, value: values as unknown as { -readonly [K in keyof T]: SettledResult<TaskResult<T[K]>> } });
    };
    if (remaining === 0) {
      finish();
      return;
    }
    for (const child of children) {
      child[onSettled](() => {
        remaining--;
        if (remaining === 0) finish();
      });
    }
  }
}

/**
 * Completes with the first child to settle (successfully or not) — the winning task itself, as in
 * Durable Functions. `onWon` lets the context cancel the losers' timers.
 */
export class WhenAnyTask<T extends readonly Task<unknown>[]> extends Task<T[number]> {
  constructor(
    readonly children: T,
    onWon: (winner: Task<unknown>, losers: readonly Task<unknown>[]) => void,
  ) {
    super();
    if (children.length === 0) {
      throw new InvalidArgumentError("ctx.any() needs at least one task: with no tasks there is no first to finish.");
    }
    for (const child of children) {
      child[onSettled]((c) => {
        if (this[settle]({ ok: true, value: c as T[number] })) {
          onWon(c, children.filter((t) => t !== c));
        }
      });
    }
  }
}

/** Checks that `tasks` is an array of tasks, for the combinators. */
export function requireTasks(what: string, tasks: unknown): asserts tasks is readonly Task<unknown>[] {
  if (!Array.isArray(tasks)) {
    throw new InvalidArgumentError(`ctx.${what}() takes an array of tasks; received ${typeof tasks}.`);
  }
  tasks.forEach((t, i) => {
    if (!(t instanceof Task)) {
      throw new InvalidArgumentError(
        `ctx.${what}(): element ${i} is not a task (${t === null ? "null" : typeof t}). Pass tasks returned by ctx calls, without yielding them first.`,
      );
    }
  });
}

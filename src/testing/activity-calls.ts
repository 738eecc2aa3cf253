/**
 * Activity calls in a test environment: each call is recorded (input, attempt, outcome), and an
 * activity may be replaced for the environment's lifetime by a mock.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { ActivityContext } from "../sdk/activity-context.js";
import type { App, RegisteredActivity } from "../sdk/app.js";
import type { ActivityHandle } from "../sdk/handles.js";

/** What a mock receives besides the input: the activity context and the attempt number. */
export interface MockActivityContext extends ActivityContext {
  /**
   * 1 for the first call of this activity with this input in this instance, one more for each
   * call that follows a failed one (a retry), back to 1 after a success.
   */
  readonly attempt: number;
}

/** One recorded activity call. */
export interface ActivityCall {
  readonly name: string;
  readonly instanceId: string;
  readonly taskId: number;
  /** The input, as the activity received it (parsed JSON). */
  readonly input: unknown;
  readonly attempt: number;
  /** The virtual time of the call. */
  readonly at: Date;
  /** How the call ended: its result, or the error it threw; absent while it runs. */
  outcome?: { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: Error } | undefined;
}

/** A mock: called instead of the activity, with the same input. */
export type ActivityMock<TIn = unknown, TOut = unknown> = (input: TIn, ctx: MockActivityContext) => TOut | Promise<TOut>;

/** An activity named by its handle or its name. */
export type ActivityRef = string | ActivityHandle<never, unknown> | { readonly name: string };

export function activityName(ref: ActivityRef): string {
  const name = typeof ref === "string" ? ref : ref?.name;
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidArgumentError(`An activity must be named by its handle or its name; received ${JSON.stringify(ref)}.`);
  }
  return name;
}

/** Records and routes the activity calls of one environment's app. */
export class ActivityCalls {
  readonly #mocks = new Map<string, ActivityMock>();
  readonly #calls: ActivityCall[] = [];
  /** Consecutive failed calls by instance, activity and input: the next call's attempt is one more. */
  readonly #failures = new Map<string, number>();
  readonly app: App;

  constructor(
    app: App,
    private readonly now: () => Date,
  ) {
    this.app = app.copyWithActivities((activity) => this.#route(activity.name, activity.fn));
  }

  /** Replaces an activity (registered or not) by `mock` from now on. */
  mock(ref: ActivityRef, mock: ActivityMock): void {
    if (typeof mock !== "function") throw new InvalidArgumentError(`mockActivity() needs a function; received ${typeof mock}.`);
    const name = activityName(ref);
    // An activity the app does not register is registered on the copy, so that calls to it run.
    if (this.app.getActivity(name) === undefined) this.app.activity(name, this.#route(name, undefined));
    this.#mocks.set(name.toLowerCase(), mock);
  }

  /** The calls made so far, of one activity or of all, in the order they started. */
  calls(ref?: ActivityRef): ActivityCall[] {
    if (ref === undefined) return [...this.#calls];
    const name = activityName(ref).toLowerCase();
    return this.#calls.filter((call) => call.name.toLowerCase() === name);
  }

  #route(name: string, original: RegisteredActivity["fn"] | undefined): RegisteredActivity["fn"] {
    return async (input, ctx) => {
      const key = JSON.stringify([ctx.instanceId, name.toLowerCase(), input ?? null]);
      const attempt = (this.#failures.get(key) ?? 0) + 1;
      const call: ActivityCall = { name, instanceId: ctx.instanceId, taskId: ctx.taskId, input, attempt, at: this.now() };
      this.#calls.push(call);
      const mock = this.#mocks.get(name.toLowerCase());
      try {
        const result = mock !== undefined ? await mock(input, withAttempt(ctx, attempt)) : await original!(input, ctx);
        call.outcome = { ok: true, result };
        this.#failures.delete(key);
        return result;
      } catch (error) {
        call.outcome = { ok: false, error: error as Error };
        this.#failures.set(key, attempt);
        throw error;
      }
    };
  }
}

/** The context with the attempt, its signal read lazily as the worker's context does. */
function withAttempt(ctx: ActivityContext, attempt: number): MockActivityContext {
  return {
    name: ctx.name,
    instanceId: ctx.instanceId,
    executionId: ctx.executionId,
    taskId: ctx.taskId,
    attempt,
    get signal() {
      return ctx.signal;
    },
  };
}

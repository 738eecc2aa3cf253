/**
 * Typed handles: what registration returns, and what durable calls accept, so that a call's
 * input is checked and its result inferred at compile time.
 *
 * @module
 */

/** Phantom key that carries a handle's types; never present at run time. */
declare const types: unique symbol;

/** A registered activity. Pass it to `ctx.callActivity` for a typed call. */
export interface ActivityHandle<TIn, TOut> {
  readonly kind: "activity";
  /** The registered name. */
  readonly name: string;
  readonly [types]?: { readonly input: (input: TIn) => void; readonly output: TOut };
}

/** A registered orchestration. Pass it to `ctx.callSubOrchestrator` or a client's `startNew`. */
export interface OrchestrationHandle<TIn, TOut> {
  readonly kind: "orchestration";
  /** The registered name. */
  readonly name: string;
  readonly [types]?: { readonly input: (input: TIn) => void; readonly output: TOut };
}

/** The input type of a handle. */
export type InputOf<H> = H extends ActivityHandle<infer I, unknown> | OrchestrationHandle<infer I, unknown> ? I : never;
/**
 * The output type of a handle. The input is matched with `never`: the input sits in a parameter
 * position, so a handle of any input extends a handle of input `never`, and none extends `unknown`.
 */
export type OutputOf<H> = H extends ActivityHandle<never, infer O> | OrchestrationHandle<never, infer O> ? O : never;

/**
 * The arguments after the function: the input is optional when the function takes none
 * (`undefined` or `void`), required otherwise.
 */
export type InputArgs<TIn, TOptions> = [TIn] extends [undefined | void]
  ? [input?: TIn, options?: TOptions]
  : [input: TIn, options?: TOptions];

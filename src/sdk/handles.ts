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
  /**
   * The version this handle was registered with (undefined: unversioned). Starting by handle
   * still starts the newest version registered under the name, unless a version is asked for.
   */
  readonly version?: string | undefined;
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

/**
 * Operations of an entity whose types are not known (an entity named by a string): any
 * operation name, any input, any result.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedOperations = Record<string, (input?: any) => any>;

/**
 * A registered entity. `TOps` maps each operation name to its signature, `(input) => result`:
 * given as a type argument for a function entity, taken from the methods of a class entity.
 */
export interface EntityHandle<TOps> {
  readonly kind: "entity";
  /** The registered name. */
  readonly name: string;
  readonly [types]?: { readonly operations: TOps };
}

/**
 * An entity's identity: its name (lower-cased) and a key. Made with `entityId(handle, key)`,
 * it carries the entity's operations, so calls and signals are checked at compile time.
 */
export interface EntityId<TOps = UntypedOperations> {
  readonly name: string;
  readonly key: string;
  readonly [types]?: { readonly operations: TOps };
}

/** The operation names of an entity's operations. */
export type OperationName<TOps> = Extract<keyof TOps, string>;

/** The input of an operation signature: its first parameter, `void` when it takes none. */
export type OperationInput<F> = F extends (...args: infer A) => unknown ? (A extends [] ? void : A[0]) : never;

/** The result of an operation signature, Promise unwrapped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OperationOutput<F> = F extends (...args: any[]) => infer R ? Awaited<R> : never;

/** The operations of a class entity: its public methods. */
export type ClassOperations<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [K in keyof T as T[K] extends (...args: any[]) => unknown ? K : never]: T[K];
};

/** The input argument of an operation: optional when the operation takes none. */
export type OperationArgs<TIn> = [TIn] extends [undefined | void] ? [input?: TIn] : [input: TIn];

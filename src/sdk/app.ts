/**
 * `createApp()`: the registry of a program's activities and orchestrations.
 *
 * @module
 */
import { DuplicateRegistrationError, InvalidArgumentError } from "../core/errors.js";
import { compareVersions, describeVersion, validateVersion } from "../core/versions.js";
import type { OrchestrationContextImpl } from "../core/replay/orchestration-context.js";
import type { OrchestrationDefinition } from "../core/replay/executor.js";
import type { EntityDefinition } from "../core/entity/entity-batch.js";
import type { EntityContextImpl } from "../core/entity/entity-context.js";
import type { ActivityContext } from "./activity-context.js";
import type { EntityClass, EntityContext, EntityFunction } from "./entity-context.js";
import type { ActivityHandle, ClassOperations, EntityHandle, OrchestrationHandle, UntypedOperations } from "./handles.js";
import type { OrchestrationContext, OrchestrationFunction } from "./orchestration-context.js";

/** An activity function: any code, sync or async, with its input and a context. */
export type ActivityFunction<TIn, TOut> = (input: TIn, ctx: ActivityContext) => TOut;

/** A registered activity, as the runtime finds it by name. */
export interface RegisteredActivity {
  readonly name: string;
  readonly fn: (input: unknown, ctx: ActivityContext) => unknown;
}

/** A registered orchestration, as the runtime finds it by name and version. */
export interface RegisteredOrchestration extends OrchestrationDefinition {
  readonly name: string;
  /** The version it was registered under; undefined for an unversioned registration. */
  readonly version?: string | undefined;
}

/** Options of `app.orchestration`. */
export interface OrchestrationOptions {
  /**
   * The version this code is (a label such as "2" or "2026-06"). Register several versions of one
   * name side by side: new instances start on the newest (or the one asked for), and each
   * instance runs the version it started on for its whole life.
   */
  readonly version?: string | undefined;
}

/** A registered entity, as the runtime finds it by name: a function of its context, or a class. */
export type RegisteredEntity = EntityDefinition;

/** True for an ES class: its methods are operations, its fields the state. */
function isClass(fn: unknown): fn is EntityClass {
  return typeof fn === "function" && /^class[\s{]/.test(Function.prototype.toString.call(fn));
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

/** HTTP methods an HTTP function may answer. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
const HTTP_METHODS: readonly HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** Where the management API lives; no HTTP function may be registered under it. */
export const MANAGEMENT_BASE_PATH = "/runtime/webhooks/durabletask";

/**
 * Types the HTTP layer fills in by module augmentation, so that this layer names the client an
 * HTTP function receives without importing the layers above it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HttpFunctionTypes {}

/** The client an HTTP function receives: the runtime's client with the check-status helpers. */
export type HttpFunctionClient = HttpFunctionTypes extends { readonly client: infer C } ? C : unknown;

/** The request an HTTP function receives: a standard `Request`, plus the route's parameters. */
export type HttpFunctionRequest = Request & { readonly params: Readonly<Record<string, string>> };

/** An HTTP-triggered function: a request and a client in, a standard `Response` out. */
export type HttpFunction = (request: HttpFunctionRequest, client: HttpFunctionClient) => Response | Promise<Response>;

/** A registered HTTP function, as the HTTP layer mounts it. */
export interface RegisteredHttpFunction {
  readonly method: HttpMethod;
  /** The route with `:name` parameters (a `{name}` in the registration is rewritten to `:name`). */
  readonly route: string;
  readonly fn: HttpFunction;
}

function normalizeRoute(route: unknown): string {
  if (typeof route !== "string" || !route.startsWith("/")) {
    throw new InvalidArgumentError(`An HTTP function's route must be a path starting with '/'; received ${JSON.stringify(route)}.`);
  }
  const normalized = route.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
  if (normalized === MANAGEMENT_BASE_PATH || normalized.startsWith(`${MANAGEMENT_BASE_PATH}/`)) {
    throw new InvalidArgumentError(`The route '${route}' is inside ${MANAGEMENT_BASE_PATH}, which the management API owns; choose another path.`);
  }
  return normalized;
}

/**
 * A Perdure program: the activities and orchestrations it registers. Names are unique per kind,
 * compared case-insensitively (as Durable Functions does).
 */
export class App {
  readonly #activities = new Map<string, RegisteredActivity>();
  /** Orchestrations by lower-case name, then by version ("" for the unversioned one), newest last. */
  readonly #orchestrations = new Map<string, RegisteredOrchestration[]>();
  readonly #httpFunctions = new Map<string, RegisteredHttpFunction>();
  readonly #entities = new Map<string, RegisteredEntity>();

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
   * Registers an orchestration — a generator function — and returns its typed handle. With
   * `{ version }`, registers one version of it; several versions of one name live side by side.
   *
   * @example
   * const pipeline = app.orchestration("Pipeline", function* (ctx, day: string) {
   *   const rows = yield* ctx.callActivity(download, day);
   *   return rows.length;
   * });
   * // A change that running instances must not see: a new version beside the old one.
   * app.orchestration("Pipeline", { version: "2" }, function* (ctx, day: string) { … });
   */
  orchestration<TIn = void, TOut = unknown>(
    name: string,
    options: OrchestrationOptions,
    fn: OrchestrationFunction<TIn, TOut>,
  ): OrchestrationHandle<TIn, TOut>;
  orchestration<TIn = void, TOut = unknown>(name: string, fn: OrchestrationFunction<TIn, TOut>): OrchestrationHandle<TIn, TOut>;
  orchestration<TIn = void, TOut = unknown>(
    name: string,
    optionsOrFn: OrchestrationOptions | OrchestrationFunction<TIn, TOut>,
    maybeFn?: OrchestrationFunction<TIn, TOut>,
  ): OrchestrationHandle<TIn, TOut> {
    // (name, fn) or (name, options, fn), told apart by how many arguments were given.
    const withOptions = arguments.length >= 3;
    const fn = withOptions ? maybeFn : (optionsOrFn as OrchestrationFunction<TIn, TOut>);
    const options = withOptions ? (optionsOrFn as OrchestrationOptions) : {};
    requireName("orchestration", name);
    if (options === null || typeof options !== "object" || Object.keys(options).some((key) => key !== "version")) {
      throw new InvalidArgumentError(`The options of orchestration '${name}' must be { version }; received ${JSON.stringify(options)}.`);
    }
    validateVersion(options.version, `The version of orchestration '${name}'`);
    requireFunction("orchestration", name, fn);
    const key = name.toLowerCase();
    const versions = this.#orchestrations.get(key) ?? [];
    if (versions.some((v) => v.version === options.version)) {
      throw new DuplicateRegistrationError("orchestration", name, options.version === undefined ? undefined : describeVersion(options.version));
    }
    const run = (ctx: OrchestrationContextImpl, input: unknown): unknown => fn!(ctx as unknown as OrchestrationContext, input as TIn);
    const first = versions[0];
    // One spelling per name: every version is listed under the name it was first registered with.
    const registered: RegisteredOrchestration = { name: first?.name ?? name, version: options.version, fn: run };
    this.#orchestrations.set(key, [...versions, registered].sort((a, b) => compareVersions(a.version, b.version)));
    return Object.freeze({ kind: "orchestration", name: registered.name, version: options.version }) as OrchestrationHandle<TIn, TOut>;
  }

  /**
   * Registers a durable entity: a class whose methods are its operations (its fields, as JSON,
   * are the state; each batch of operations gets a new instance built from the stored state),
   * or a function of an entity context that switches on `ctx.operationName` (give its
   * operations as a type argument for typed calls). Operations run synchronously, one at a time.
   *
   * @example
   * class Counter {
   *   value = 0;
   *   add(n: number) { this.value += n; }
   *   get() { return this.value; }
   * }
   * const counter = app.entity("Counter", Counter);
   */
  entity<TClass extends EntityClass>(name: string, entityClass: TClass): EntityHandle<ClassOperations<InstanceType<TClass>>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entity<TOps = UntypedOperations, TState = any>(name: string, fn: EntityFunction<TState>): EntityHandle<TOps>;
  entity(name: string, fn: EntityClass | EntityFunction<unknown>): EntityHandle<unknown> {
    requireName("entity", name);
    requireFunction("entity", name, fn);
    if (name.includes("@")) throw new InvalidArgumentError(`An entity name may not contain '@'; received ${JSON.stringify(name)}.`);
    const key = name.toLowerCase();
    if (this.#entities.has(key)) throw new DuplicateRegistrationError("entity", name);
    const definition: RegisteredEntity = isClass(fn)
      ? { name, kind: "class", create: () => new fn() }
      : { name, kind: "function", fn: (ctx: EntityContextImpl) => (fn as EntityFunction<unknown>)(ctx as unknown as EntityContext) };
    this.#entities.set(key, definition);
    return Object.freeze({ kind: "entity", name }) as EntityHandle<unknown>;
  }

  /**
   * Registers an HTTP-triggered function: the HTTP server (`createHttpHandler`, `serve`,
   * `perdure dev`) answers `method route` with it, and hands it a client — the "client function"
   * of Durable Functions. Route parameters (`:id` or `{id}`) arrive in `request.params`.
   *
   * @example
   * app.http("POST", "/api/orders", async (request, client) => {
   *   const id = await client.startNew(processOrder, { input: await request.json() });
   *   return client.createCheckStatusResponse(request, id);
   * });
   */
  http(method: HttpMethod | Lowercase<HttpMethod>, route: string, fn: HttpFunction): void {
    const verb = typeof method === "string" ? (method.toUpperCase() as HttpMethod) : method;
    if (!HTTP_METHODS.includes(verb)) {
      throw new InvalidArgumentError(`An HTTP function's method must be one of ${HTTP_METHODS.join(", ")}; received ${JSON.stringify(method)}.`);
    }
    const path = normalizeRoute(route);
    requireFunction("HTTP function", `${verb} ${path}`, fn);
    const key = `${verb} ${path.toLowerCase()}`;
    if (this.#httpFunctions.has(key)) throw new DuplicateRegistrationError("HTTP function", `${verb} ${route}`);
    this.#httpFunctions.set(key, Object.freeze({ method: verb, route: path, fn }));
  }

  /**
   * A copy of this app with the same orchestrations, entities and HTTP functions, each activity
   * replaced by what `replace` makes of it. The test kit records and mocks activity calls on such
   * a copy, leaving the app that other tests share as it is.
   */
  copyWithActivities(replace: (activity: RegisteredActivity) => RegisteredActivity["fn"]): App {
    const copy = new App();
    for (const [key, activity] of this.#activities) copy.#activities.set(key, { name: activity.name, fn: replace(activity) });
    for (const [key, versions] of this.#orchestrations) copy.#orchestrations.set(key, [...versions]);
    for (const [key, entity] of this.#entities) copy.#entities.set(key, entity);
    for (const [key, fn] of this.#httpFunctions) copy.#httpFunctions.set(key, fn);
    return copy;
  }

  /** Every registered HTTP function, in registration order. */
  get httpFunctions(): RegisteredHttpFunction[] {
    return [...this.#httpFunctions.values()];
  }

  /** The registered activity of that name (case-insensitive), if any. */
  getActivity(name: string): RegisteredActivity | undefined {
    return this.#activities.get(name.toLowerCase());
  }

  /**
   * The registered orchestration of that name (case-insensitive): its newest version, the one new
   * instances start on. Undefined when the name is not registered.
   */
  getOrchestration(name: string): RegisteredOrchestration | undefined {
    return this.#orchestrations.get(name.toLowerCase())?.at(-1);
  }

  /**
   * The registered orchestration of that name and exactly that version (undefined: the
   * unversioned registration), or undefined when the app does not register that version.
   */
  getOrchestrationVersion(name: string, version: string | undefined): RegisteredOrchestration | undefined {
    return this.#orchestrations.get(name.toLowerCase())?.find((o) => o.version === version);
  }

  /** The versions registered under a name, oldest first (undefined stands for the unversioned one); empty when none. */
  orchestrationVersions(name: string): Array<string | undefined> {
    return (this.#orchestrations.get(name.toLowerCase()) ?? []).map((o) => o.version);
  }

  /** The registered entity of that name (case-insensitive), if any. */
  getEntity(name: string): RegisteredEntity | undefined {
    return this.#entities.get(name.toLowerCase());
  }

  /** Names of every registered entity. */
  get entityNames(): string[] {
    return [...this.#entities.values()].map((e) => e.name);
  }

  /** Names of every registered activity. */
  get activityNames(): string[] {
    return [...this.#activities.values()].map((a) => a.name);
  }

  /** Names of every registered orchestration (once each, whatever its versions). */
  get orchestrationNames(): string[] {
    return [...this.#orchestrations.values()].map((versions) => versions[0]!.name);
  }

  /** Every registered orchestration, each version on its own, oldest version first per name. */
  get orchestrations(): RegisteredOrchestration[] {
    return [...this.#orchestrations.values()].flat();
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

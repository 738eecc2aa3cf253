/**
 * The arguments of every public entry point — the client, the HTTP API and the CLI — checked in
 * one place per concern: option objects, runtime statuses, times, timeouts, page sizes and the
 * filters of queries and purges. Each check throws InvalidArgumentError with a message that names
 * the argument (the caller's label: "list() option 'createdFrom'", "Query parameter 'top'",
 * "--created-before"), what was expected and what was received. The HTTP layer answers 400 for
 * it, the CLI exits 2.
 *
 * Invariants kept here:
 * 1. An option object with a key the call does not know is refused, so a misspelt condition can
 *    never widen what a call reads or deletes.
 * 2. A time is ISO 8601 or a valid Date, nothing else: `Date.parse` reads "1" as 2001-01-01.
 * 3. A purge by filter names at least one condition, or says `all: true`; it never takes "no
 *    filter" to mean "everything".
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { MAX_INSTANCE_ID_LENGTH, describeType, hasControlCharacter, isWellFormed, nameProblem, quote } from "../core/ids.js";
import { parseIsoTime } from "../core/iso-time.js";
import { validateVersion } from "../core/versions.js";
import { RuntimeStatus, TERMINAL_STATUSES, type InstanceFilter } from "../store/store.js";

const STATUSES: readonly RuntimeStatus[] = Object.values(RuntimeStatus);

/** Largest page of a query. */
export const MAX_PAGE_SIZE = 1000;

/**
 * An options argument as a record: `undefined` is no options; anything but a plain object, or an
 * object with a key outside `allowed`, is refused.
 */
export function checkOptions(what: string, options: unknown, allowed: readonly string[]): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options) || options instanceof Date) {
    throw new InvalidArgumentError(`${what} must be an object; received ${describeType(options)}${primitiveSuffix(options)}.`);
  }
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const keys = unknown.map((key) => `'${key}'`).join(", ");
    throw new InvalidArgumentError(
      `${what} has ${unknown.length === 1 ? "an unknown key" : "unknown keys"} ${keys}; the known keys are ${allowed.map((k) => `'${k}'`).join(", ")}.`,
    );
  }
  return options as Record<string, unknown>;
}

function primitiveSuffix(value: unknown): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? ` ${quote(value)}` : "";
}

/**
 * Runtime statuses, each matched without case; `undefined` when absent. An empty list, a value
 * that is not a string, or an unknown status is refused. With `finishedOnly`, only statuses of
 * finished instances are accepted (what a purge can delete).
 */
export function parseStatuses(values: unknown, what: string, options: { finishedOnly?: boolean } = {}): RuntimeStatus[] | undefined {
  if (values === undefined) return undefined;
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError(`${what} must be an array of runtime statuses; received ${describeType(values)}${primitiveSuffix(values)}.`);
  }
  const allowed = options.finishedOnly ? TERMINAL_STATUSES : STATUSES;
  if (values.length === 0) throw new InvalidArgumentError(`${what} must list at least one of ${allowed.join(", ")}; received an empty list.`);
  return values.map((value: unknown) => {
    const status = typeof value === "string" ? STATUSES.find((s) => s.toLowerCase() === value.trim().toLowerCase()) : undefined;
    if (status === undefined) {
      throw new InvalidArgumentError(`${what} has an unknown runtime status ${quote(value)}; expected some of ${allowed.join(", ")}.`);
    }
    if (!allowed.includes(status)) {
      throw new InvalidArgumentError(`${what} has '${status}', which is not a status of a finished instance; only ${allowed.join(", ")} can be purged.`);
    }
    return status;
  });
}

/** A comma-separated list of statuses (as the HTTP API and the CLI take them). */
export function parseStatusList(text: string | undefined, what: string, options: { finishedOnly?: boolean } = {}): RuntimeStatus[] | undefined {
  if (text === undefined) return undefined;
  return parseStatuses(
    text.split(",").map((v) => v.trim()).filter((v) => v !== ""),
    what,
    options,
  );
}

/** A time given as a Date or an ISO 8601 text, as an ISO string in UTC; `undefined` when absent. */
export function parseTime(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError(`${what} is an invalid Date.`);
    return value.toISOString();
  }
  const ms = typeof value === "string" ? parseIsoTime(value.trim()) : undefined;
  if (ms === undefined) {
    throw new InvalidArgumentError(
      `${what} must be an ISO 8601 date or time such as 2026-01-31 or 2026-01-31T12:00:00Z${typeof value === "string" ? "" : ", or a Date"}; received ${quote(value)}.`,
    );
  }
  return new Date(ms).toISOString();
}

/** A timeout in milliseconds: a finite number of at least 0. */
export function checkTimeoutMs(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a finite number of milliseconds, 0 or more; received ${quote(value)}.`);
  }
  return value;
}

/**
 * Checks an instance id that names an existing instance: a non-empty string of well-formed
 * Unicode without control characters (no stored id has any; PostgreSQL cannot even compare one
 * with NUL). Other ids that break the rules of new ids (an entity's `@…` among them) are not
 * refused here: they name no orchestration, and the call answers as for any unknown instance.
 */
export function checkLookupId(instanceId: unknown, what: string): asserts instanceId is string {
  if (typeof instanceId !== "string" || instanceId.length === 0 || !isWellFormed(instanceId) || hasControlCharacter(instanceId)) {
    throw new InvalidArgumentError(
      `${what} needs an instance id: a non-empty string of well-formed Unicode without control characters; received ${quote(instanceId)}.`,
    );
  }
}

/** A page size: an integer from 1 to {@link MAX_PAGE_SIZE}; `undefined` when absent. */
export function checkPageSize(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError(`${what} must be an integer from 1 to ${MAX_PAGE_SIZE}; received ${quote(value)}.`);
  }
  return value;
}

/** A boolean, or `undefined` when absent. */
export function checkBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw new InvalidArgumentError(`${what} must be true or false; received ${quote(value)}.`);
}

/**
 * A non-empty string of well-formed Unicode without control characters (a continuation token,
 * an id prefix), or `undefined`.
 */
export function checkText(value: unknown, what: string, maxLength?: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length === 0 || !isWellFormed(value) || hasControlCharacter(value)) {
    throw new InvalidArgumentError(`${what} must be a non-empty string of well-formed Unicode without control characters; received ${quote(value)}.`);
  }
  if (maxLength !== undefined && value.length > maxLength) {
    throw new InvalidArgumentError(`${what} has ${value.length} characters; the limit is ${maxLength}.`);
  }
  return value;
}

/** The conditions of an orchestration query or purge, as the client takes them. */
export interface OrchestrationFilter {
  readonly statuses?: readonly RuntimeStatus[] | undefined;
  /** Created at or after (a Date or an ISO 8601 text). */
  readonly createdFrom?: Date | string | undefined;
  /** Created at or before (a Date or an ISO 8601 text). */
  readonly createdTo?: Date | string | undefined;
  readonly instanceIdPrefix?: string | undefined;
  /** The orchestration's name (without case). */
  readonly name?: string | undefined;
  /** The version instances started on; "" for instances without one. */
  readonly version?: string | undefined;
  /** Only the sub-orchestrations of this instance. */
  readonly parentInstanceId?: string | undefined;
}

/** The keys of {@link OrchestrationFilter}. */
export const FILTER_KEYS: readonly string[] = Object.freeze(["statuses", "createdFrom", "createdTo", "instanceIdPrefix", "name", "version", "parentInstanceId"]);

/**
 * Checks the conditions of a filter whose keys `checkOptions` accepted, and returns them as the
 * store takes them (orchestrations only; times as ISO strings).
 */
export function toStoreFilter(what: string, filter: Readonly<Record<string, unknown>>, options: { finishedOnly?: boolean } = {}): InstanceFilter {
  const name = filter.name;
  if (name !== undefined) {
    const problem = nameProblem(name);
    if (problem !== undefined) throw new InvalidArgumentError(`${what} option 'name' is invalid: ${problem}; received ${quote(name)}.`);
  }
  const version = filter.version;
  if (version !== undefined && version !== "") validateVersion(version, `${what} option 'version'`);
  const createdFrom = parseTime(filter.createdFrom, `${what} option 'createdFrom'`);
  const createdTo = parseTime(filter.createdTo, `${what} option 'createdTo'`);
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom > createdTo) {
    throw new InvalidArgumentError(`${what}: 'createdFrom' (${createdFrom}) is after 'createdTo' (${createdTo}), so nothing could match.`);
  }
  return {
    kind: "orchestration",
    statuses: parseStatuses(filter.statuses, `${what} option 'statuses'`, options),
    createdFrom,
    createdTo,
    instanceIdPrefix: checkText(filter.instanceIdPrefix, `${what} option 'instanceIdPrefix'`, MAX_INSTANCE_ID_LENGTH),
    name: name as string | undefined,
    version: version as string | undefined,
    parentInstanceId: checkText(filter.parentInstanceId, `${what} option 'parentInstanceId'`, MAX_INSTANCE_ID_LENGTH),
  };
}

/** True when the filter has at least one condition. */
export function hasCondition(filter: InstanceFilter): boolean {
  return (
    filter.statuses !== undefined ||
    filter.createdFrom !== undefined ||
    filter.createdTo !== undefined ||
    filter.instanceIdPrefix !== undefined ||
    filter.name !== undefined ||
    filter.version !== undefined ||
    filter.parentInstanceId !== undefined
  );
}

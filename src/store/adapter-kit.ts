/**
 * Helpers every store adapter needs in the same way: reading caller-given times and the opaque
 * continuation tokens of instance queries, reading stored events, and setting aside an instance
 * that cannot be processed. Adapters depend on this module; it depends on the core.
 *
 * @module
 */
import { InvalidArgumentError, toFailureDetails, type FailureDetails } from "../core/errors.js";
import { newEvent, type HistoryEvent, type ParentInstance } from "../core/history.js";
import { isWellFormed } from "../core/ids.js";
import { parseIsoTime } from "../core/iso-time.js";
import { UnprocessableInstanceError, UnreadableDataError } from "./errors.js";
import {
  TERMINAL_STATUSES,
  type CreateInstanceRequest,
  type FinishedInstance,
  type FinishedPage,
  type FinishedQuery,
  type InstanceNames,
  type NewMessage,
  type QueryOrder,
  type RuntimeStatus,
  type TaskNames,
  type VersionFilter,
  type WorkerRegistration,
} from "./store.js";

/** Milliseconds since the epoch as the stored ISO-8601 form. */
export function iso(ms: number): string {
  // One transaction formats its own time many times over: the last answer is kept.
  if (ms !== lastIsoMs) {
    lastIsoMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
let lastIsoMs = Number.NaN;
let lastIso = "";

/**
 * Parses an ISO-8601 time given by a caller. `rounding` says which way digits below the
 * millisecond go: "up" for a lower bound of what may be seen (visibility, createdFrom), "down" for
 * an upper bound (createdTo).
 * @throws InvalidArgumentError for a string that is not a time.
 */
export function parseTime(value: string, what: string, rounding: "up" | "down"): number {
  const ms = typeof value === "string" ? parseIsoTime(value) : undefined;
  if (ms === undefined) {
    throw new InvalidArgumentError(`${what} must be an ISO-8601 time such as "2026-01-01T00:00:00.000Z"; received ${JSON.stringify(value)}.`);
  }
  const fraction = /T[^.]*\.(\d+)/.exec(value)?.[1] ?? "";
  const hasSubMillisecond = fraction.length > 3 && /[1-9]/.test(fraction.slice(3));
  return rounding === "up" && hasSubMillisecond ? ms + 1 : ms;
}

/** A continuation token: the key of the last row of a page and the order of the pages, opaque to callers. */
export interface PageKey<T extends string | number> {
  readonly createdAt: T;
  readonly instanceId: string;
  /** The order the token was issued in (absent: "desc", as tokens of earlier versions). */
  readonly order?: QueryOrder | undefined;
}

/** Encodes the key of a page's last row as an opaque token. */
export function encodePageKey(key: PageKey<string | number>): string {
  const fields: unknown[] = [key.createdAt, key.instanceId];
  if (key.order === "asc") fields.push("asc");
  return Buffer.from(JSON.stringify(fields), "utf8").toString("base64url");
}

/**
 * Decodes a token made by `encodePageKey`, whose creation time is a `kind` (the adapter's own
 * stored form: an ISO string, or milliseconds), for a query in `order`.
 * @throws InvalidArgumentError for a token this store did not issue, or issued for the other order.
 */
export function decodePageKey(token: string, kind: "string", order?: QueryOrder): PageKey<string>;
export function decodePageKey(token: string, kind: "number", order?: QueryOrder): PageKey<number>;
export function decodePageKey(token: string, kind: "string" | "number", order: QueryOrder = "desc"): PageKey<string | number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const createdAtOk = (v: unknown): boolean => (kind === "string" ? typeof v === "string" : Number.isSafeInteger(v));
  const shapeOk =
    Array.isArray(parsed) &&
    (parsed.length === 2 || (parsed.length === 3 && parsed[2] === "asc")) &&
    createdAtOk(parsed[0]) &&
    typeof parsed[1] === "string";
  if (!shapeOk) {
    throw new InvalidArgumentError(
      `continuationToken ${JSON.stringify(token)} is not a token returned by queryInstances; pass the token of the previous page unchanged, or omit it for the first page.`,
    );
  }
  const fields = parsed as [string | number, string, "asc"?];
  const issued: QueryOrder = fields[2] ?? "desc";
  if (issued !== order) {
    throw new InvalidArgumentError(
      `continuationToken was issued for pages in "${issued}" order, but this query asks for "${order}"; keep the order while paging, or omit the token for the first page.`,
    );
  }
  return { createdAt: fields[0], instanceId: fields[1], order };
}

/** The query order asked for, checked. @throws InvalidArgumentError when it is neither "desc" nor "asc". */
export function queryOrder(order: unknown): QueryOrder {
  if (order === undefined) return "desc";
  if (order === "desc" || order === "asc") return order;
  throw new InvalidArgumentError(`order must be "desc" (newest first) or "asc" (oldest first); received ${JSON.stringify(order) ?? String(order)}.`);
}

/**
 * `only` of stepOrchestration, checked, with its names in lower case (names compare without case).
 * @throws InvalidArgumentError when it is not two lists of strings.
 */
export function foldedNames(only: InstanceNames | undefined, option = "only"): InstanceNames | undefined {
  if (only === undefined) return undefined;
  return { orchestrations: foldList(only.orchestrations, `${option}.orchestrations`), entities: foldList(only.entities, `${option}.entities`) };
}

/**
 * `names` of leaseActivities, checked, with its names in lower case.
 * @throws InvalidArgumentError when it is neither `{ only }` nor `{ except }` with a list of strings.
 */
export function foldedTaskNames(names: TaskNames | undefined): { readonly except: boolean; readonly names: string[] } | undefined {
  if (names === undefined) return undefined;
  const given = names as { only?: unknown; except?: unknown };
  if ((given.only === undefined) === (given.except === undefined)) {
    throw new InvalidArgumentError(`names must be { only: [...] } or { except: [...] }; received ${JSON.stringify(names) ?? String(names)}.`);
  }
  return given.only !== undefined ? { except: false, names: foldList(given.only, "names.only") } : { except: true, names: foldList(given.except, "names.except") };
}

function foldList(names: unknown, what: string): string[] {
  if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
    throw new InvalidArgumentError(`${what} must be a list of names (strings); received ${JSON.stringify(names) ?? String(names)}.`);
  }
  return names.map((name: string) => name.toLowerCase());
}

/** A finished-instances query, checked: times in milliseconds, statuses terminal, the page size set. */
export interface CheckedFinishedQuery {
  readonly statuses: readonly RuntimeStatus[];
  readonly completedFrom?: number | undefined;
  readonly completedTo?: number | undefined;
  readonly after?: { readonly completedAt: number; readonly instanceId: string } | undefined;
  readonly pageSize: number;
}

/**
 * Checks a query of listFinishedInstances. Statuses that are not terminal are dropped (no
 * instance in them has finished); an empty list means every terminal status.
 * @throws InvalidArgumentError for a bad page size, time or key.
 */
export function checkFinishedQuery(query: FinishedQuery): CheckedFinishedQuery {
  const pageSize = query.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    throw new InvalidArgumentError(`pageSize must be an integer from 1 to 1000; received ${String(query.pageSize)}.`);
  }
  const asked = query.statuses !== undefined && query.statuses.length > 0 ? query.statuses : TERMINAL_STATUSES;
  const after = query.after;
  if (after !== undefined && (typeof after.instanceId !== "string" || typeof after.completedAt !== "string")) {
    throw new InvalidArgumentError(`after must be { completedAt, instanceId } of an instance a previous page returned; received ${JSON.stringify(after)}.`);
  }
  return {
    statuses: asked.filter((status) => TERMINAL_STATUSES.includes(status)),
    completedFrom: query.completedFrom === undefined ? undefined : parseTime(query.completedFrom, "completedFrom", "up"),
    completedTo: query.completedTo === undefined ? undefined : parseTime(query.completedTo, "completedTo", "up"),
    after: after === undefined ? undefined : { completedAt: parseTime(after.completedAt, "after.completedAt", "down"), instanceId: after.instanceId },
    pageSize,
  };
}

/** A page of finished instances from rows read with one more than the page size. */
export function finishedPage(rows: readonly FinishedInstance[], pageSize: number): FinishedPage {
  return { instances: rows.slice(0, pageSize), more: rows.length > pageSize };
}

/** @throws InvalidArgumentError when `ms` is not a finite number of at least `min`. */
export function validateDuration(ms: number, name: string, min: number): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < min) {
    throw new InvalidArgumentError(`${name} must be a finite number of milliseconds of at least ${min}; received ${String(ms)}.`);
  }
}

/**
 * Children of a commit or a rewind must name their parent, so that a refusal can be delivered to it.
 * @throws InvalidArgumentError naming the first child without one.
 */
export function validateChildren(instanceId: string, children: readonly CreateInstanceRequest[]): void {
  for (const child of children) {
    if (child.parent === undefined) {
      throw new InvalidArgumentError(
        `Child instance '${child.instanceId}' of '${instanceId}' has no parent; ` +
          `a CreateInstanceRequest in a commit's (or a rewind's) children must set parent.`,
      );
    }
  }
}

/**
 * @throws InvalidArgumentError when an instance id cannot be stored as given: a lone surrogate has
 * no UTF-8 form, so the database would keep another id than the caller's.
 */
export function checkStorableId(instanceId: string, what: string): void {
  if (typeof instanceId !== "string" || instanceId.length === 0 || !isWellFormed(instanceId)) {
    throw new InvalidArgumentError(`${what} needs an instance id of well-formed Unicode; received ${JSON.stringify(instanceId) ?? String(instanceId)}.`);
  }
}

/**
 * Reads a stored event (a history row or an inbox message).
 * @throws UnreadableDataError when it is not the JSON of an event object.
 */
export function decodeEvent(text: string, what: string): HistoryEvent {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new UnreadableDataError(what, `it is not JSON (${(error as Error).message})`);
  }
  if (event === null || typeof event !== "object" || typeof (event as { type?: unknown }).type !== "string") {
    throw new UnreadableDataError(what, "it is not an event object with a type");
  }
  return event as HistoryEvent;
}

/** Reads many stored events at once, as one JSON array text. @throws UnreadableDataError. */
export function decodeEvents(text: string, what: string): HistoryEvent[] {
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch (error) {
    throw new UnreadableDataError(what, `they are not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(events) || events.some((e) => e === null || typeof e !== "object" || typeof (e as { type?: unknown }).type !== "string")) {
    throw new UnreadableDataError(what, "they are not event objects with a type");
  }
  return events as HistoryEvent[];
}

/**
 * Stored failure details, read leniently: a row whose details cannot be read still lists and
 * shows, with the raw text as the message.
 */
export function decodeFailureDetails(text: string): FailureDetails {
  try {
    const details = JSON.parse(text) as unknown;
    if (details !== null && typeof details === "object" && typeof (details as FailureDetails).errorType === "string") return details as FailureDetails;
  } catch {
    // Shown as text below.
  }
  return { errorType: "UnreadableFailureDetails", errorMessage: text };
}

/** The lease that holds a parked instance for good (year 9999): no worker takes it again. */
export const PARKED_LEASE = Object.freeze({ token: "parked", workerId: "perdure:parked", untilMs: 253_402_300_799_999 });

/** What a store writes when it sets an instance aside (see `Store.stepOrchestration`). */
export interface Parking {
  readonly error: UnprocessableInstanceError;
  readonly failureDetails: FailureDetails;
  /** SubOrchestrationInstanceFailed to the parent, which would otherwise wait for good. */
  readonly parentNotice: NewMessage | undefined;
}

/** The failure and the parent's notice of an instance set aside because of `cause`. */
export function parkingOf(instanceId: string, parent: ParentInstance | undefined, cause: unknown, now: string): Parking {
  const error = new UnprocessableInstanceError(instanceId, cause);
  const failureDetails = toFailureDetails(error);
  const parentNotice: NewMessage | undefined =
    parent === undefined
      ? undefined
      : {
          instanceId: parent.instanceId,
          executionId: parent.executionId,
          event: newEvent("SubOrchestrationInstanceFailed", now, { taskScheduledId: parent.taskScheduledId, failureDetails }),
        };
  return { error, failureDetails, parentNotice };
}

/** The separator of a version key: a control character, which neither names nor versions may hold. */
export const VERSION_KEY_SEPARATOR = "\u001f";

/** A version filter as statements take it: the names it lists and their `name<US>version` keys. */
export interface FoldedVersions {
  readonly names: string[];
  readonly keys: string[];
  readonly complement: boolean;
}

/**
 * `versions` of stepOrchestration, checked, with names in lower case.
 * @throws InvalidArgumentError when it is not a map of names to lists of version strings.
 */
export function foldedVersions(versions: VersionFilter | undefined): FoldedVersions | undefined {
  if (versions === undefined) return undefined;
  const allowed = (versions as { allowed?: unknown }).allowed;
  if (allowed === null || typeof allowed !== "object" || Array.isArray(allowed)) {
    throw new InvalidArgumentError(`versions.allowed must map names to lists of versions; received ${JSON.stringify(allowed) ?? String(allowed)}.`);
  }
  const names: string[] = [];
  const keys: string[] = [];
  for (const [name, list] of Object.entries(allowed as Record<string, unknown>)) {
    if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) {
      throw new InvalidArgumentError(`versions.allowed['${name}'] must be a list of versions (strings, "" for none); received ${JSON.stringify(list)}.`);
    }
    const folded = name.toLowerCase();
    names.push(folded);
    for (const version of list as string[]) keys.push(`${folded}${VERSION_KEY_SEPARATOR}${version}`);
  }
  return { names, keys, complement: versions.complement === true };
}

/**
 * A worker registration, checked, with names in lower case.
 * @throws InvalidArgumentError for a bad id, list or ttl.
 */
export function checkedRegistration(registration: WorkerRegistration): WorkerRegistration {
  const { workerId, orchestrations, ttlMs } = registration;
  if (typeof workerId !== "string" || workerId.length === 0 || workerId.length > 200) {
    throw new InvalidArgumentError(`workerId must be a string of 1–200 characters; received ${JSON.stringify(workerId)}.`);
  }
  if (!Array.isArray(orchestrations) || orchestrations.some((o) => typeof o?.name !== "string" || typeof o.version !== "string")) {
    throw new InvalidArgumentError(`orchestrations must be a list of { name, version } strings; received ${JSON.stringify(orchestrations)}.`);
  }
  validateDuration(ttlMs, "ttlMs", 1);
  return { workerId, ttlMs, orchestrations: orchestrations.map((o) => ({ name: o.name.toLowerCase(), version: o.version })) };
}

/**
 * Helpers every store adapter needs in the same way: reading caller-given times and the opaque
 * continuation tokens of instance queries. Adapters depend on this module; it depends on the core.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import { TERMINAL_STATUSES, type CreateInstanceRequest, type FinishedInstance, type FinishedPage, type FinishedQuery, type InstanceNames, type RuntimeStatus, type TaskNames } from "./store.js";

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
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(`${what} must be an ISO-8601 time such as "2026-01-01T00:00:00.000Z"; received ${JSON.stringify(value)}.`);
  }
  const fraction = /T[^.]*\.(\d+)/.exec(value)?.[1] ?? "";
  const hasSubMillisecond = fraction.length > 3 && /[1-9]/.test(fraction.slice(3));
  return rounding === "up" && hasSubMillisecond ? ms + 1 : ms;
}

/** A continuation token: the key of the last row of a page, opaque to callers. */
export interface PageKey<T extends string | number> {
  readonly createdAt: T;
  readonly instanceId: string;
}

/** Encodes the key of a page's last row as an opaque token. */
export function encodePageKey(key: PageKey<string | number>): string {
  return Buffer.from(JSON.stringify([key.createdAt, key.instanceId]), "utf8").toString("base64url");
}

/**
 * Decodes a token made by `encodePageKey`, whose creation time is a `kind` (the adapter's own
 * stored form: an ISO string, or milliseconds).
 * @throws InvalidArgumentError for a token this store did not issue.
 */
export function decodePageKey(token: string, kind: "string"): PageKey<string>;
export function decodePageKey(token: string, kind: "number"): PageKey<number>;
export function decodePageKey(token: string, kind: "string" | "number"): PageKey<string | number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const createdAtOk = (v: unknown): boolean => (kind === "string" ? typeof v === "string" : Number.isSafeInteger(v));
  if (!Array.isArray(parsed) || parsed.length !== 2 || !createdAtOk(parsed[0]) || typeof parsed[1] !== "string") {
    throw new InvalidArgumentError(
      `continuationToken ${JSON.stringify(token)} is not a token returned by queryInstances; pass the token of the previous page unchanged, or omit it for the first page.`,
    );
  }
  return { createdAt: parsed[0] as string | number, instanceId: parsed[1] };
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

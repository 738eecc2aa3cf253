/**
 * Helpers every store adapter needs in the same way: reading caller-given times and the opaque
 * continuation tokens of instance queries. Adapters depend on this module; it depends on the core.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { InstanceNames, QueryOrder } from "./store.js";

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
export function foldedNames(only: InstanceNames | undefined): InstanceNames | undefined {
  if (only === undefined) return undefined;
  const fold = (names: unknown, what: string): string[] => {
    if (!Array.isArray(names) || names.some((name) => typeof name !== "string")) {
      throw new InvalidArgumentError(`only.${what} must be a list of names (strings); received ${JSON.stringify(names) ?? String(names)}.`);
    }
    return names.map((name: string) => name.toLowerCase());
  };
  return { orchestrations: fold(only.orchestrations, "orchestrations"), entities: fold(only.entities, "entities") };
}

/** @throws InvalidArgumentError when `ms` is not a finite number of at least `min`. */
export function validateDuration(ms: number, name: string, min: number): void {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < min) {
    throw new InvalidArgumentError(`${name} must be a finite number of milliseconds of at least ${min}; received ${String(ms)}.`);
  }
}

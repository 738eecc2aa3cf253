/**
 * Routes of the management API beyond Durable Functions' own, for tools that inspect a store (the
 * dashboard first): counts of instances by status, an instance's raw history by pages, and an
 * entity's lock and queued operations. They sit under the same base path, behind the same API
 * key, and are documented in the OpenAPI document like the others.
 *
 * Invariants kept here:
 * 1. Every parameter is checked before anything is read (a 400 names the parameter).
 * 2. No answer carries a stack trace: failures in events are shown as type, message and inner
 *    failure only, as in status answers.
 *
 * @module
 */
import type { Context } from "hono";
import type { FailureDetails } from "../core/errors.js";
import type { HistoryEvent } from "../core/history.js";
import type { Client } from "../runtime/client.js";
import type { EntityId } from "../sdk/handles.js";
import { InstanceNotFoundError } from "../store/errors.js";
import { RuntimeStatus } from "../store/store.js";
import { BadRequestError, HttpErrorCode, jsonError } from "./errors.js";
import type { ManagementRoute } from "./management-api.js";
import { Query } from "./params.js";
import { publicFailure } from "./status-json.js";

/** Largest history page the history route answers. */
export const MAX_HISTORY_PAGE = 5000;

/** Event fields that hold payloads (JSON text in the store), answered as parsed JSON. */
const PAYLOAD_FIELDS = new Set(["input", "result", "reason", "data", "output"]);

/** A stored payload as JSON: parsed when it is JSON, else the text as it is (other SDKs' converters). */
function payloadJson(payload: unknown): unknown {
  if (typeof payload !== "string") return payload;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return payload;
  }
}

/** One history event as the history route answers it: every field, payloads parsed, failures without stacks. */
export function eventJson(event: HistoryEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined) continue;
    if (key === "failureDetails") out[key] = publicFailure(value as FailureDetails);
    else out[key] = PAYLOAD_FIELDS.has(key) ? payloadJson(value) : value;
  }
  return out;
}

/**
 * True when the execution of this history is not the instance's first: it started later than the
 * instance was created. A continue-as-new writes a new ExecutionStarted at the time of the episode
 * that continued; a first execution's start is stamped before or as its instance row is written.
 */
export function continuedAsNew(events: readonly HistoryEvent[], createdTime: Date): boolean {
  const start = events.find((e) => e.type === "ExecutionStarted");
  return start !== undefined && Date.parse(start.timestamp) > createdTime.getTime();
}

/** A whole number in [min, max] (digits only), or `fallback` when absent. */
function wholeNumber(query: Query, name: string, min: number, max: number, fallback: number): number {
  const raw = query.string(name);
  if (raw === undefined || raw === "") return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadRequestError(`Query parameter '${name}' must be a whole number from ${min} to ${max}; received '${raw}'.`);
  }
  return value;
}

async function instanceHistory(client: Client, c: Context): Promise<Response> {
  const instanceId = c.req.param("instanceId")!;
  const query = new Query(c.req.url);
  const after = wholeNumber(query, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const top = wholeNumber(query, "top", 1, MAX_HISTORY_PAGE, 1000);
  // The status first: should the execution change meanwhile, the next read sees a new executionId.
  const status = await client.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw new InstanceNotFoundError(instanceId);
  const page = await client.getHistoryPage(instanceId, { after, pageSize: top });
  return Response.json({
    instanceId,
    executionId: status.executionId,
    runtimeStatus: status.runtimeStatus,
    ...(after === 0 ? { continuedAsNew: continuedAsNew(page.events, status.createdTime) } : {}),
    events: page.events.map(eventJson),
    next: after + page.events.length,
    hasMore: page.next !== undefined,
  });
}

async function instanceCounts(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  const counts = await client.countInstances({
    statuses: query.statuses("runtimeStatus"),
    createdFrom: query.date("createdTimeFrom"),
    createdTo: query.date("createdTimeTo"),
    instanceIdPrefix: query.string("instanceIdPrefix"),
    name: query.string("name") || undefined,
  });
  const byStatus = Object.fromEntries(Object.values(RuntimeStatus).map((s) => [s, counts[s] ?? 0]));
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  return Response.json({ total, counts: byStatus });
}

/** A message put aside in an entity, as the details route shows it. */
function queuedJson(event: HistoryEvent): Record<string, unknown> {
  const json = eventJson(event);
  delete json.eventId;
  return json;
}

async function entityDetails(client: Client, c: Context): Promise<Response> {
  const key = c.req.param("entityKey")!;
  const id = { name: c.req.param("entityName")!, key: key === "$" ? "" : key } as EntityId;
  const entity = await client.describeEntity(id);
  if (entity === undefined) return jsonError(404, HttpErrorCode.NotFound, `No entity '@${id.name.toLowerCase()}@${id.key}' is in the store.`);
  return Response.json({
    entityId: { name: entity.id.name, key: entity.id.key },
    instanceId: entity.instanceId,
    exists: entity.exists,
    state: entity.exists ? (entity.state ?? null) : null,
    lastOperationTime: entity.lastModifiedTime.toISOString(),
    lock: entity.lock ?? null,
    queue: entity.queue.map(queuedJson),
  });
}

/** The inspection routes, with paths relative to the management base path. */
export const INSPECTION_ROUTES: readonly ManagementRoute[] = Object.freeze([
  { method: "GET", path: "/instanceCounts", handle: instanceCounts },
  { method: "GET", path: "/instances/{instanceId}/history", handle: instanceHistory },
  { method: "GET", path: "/entities/{entityName}/{entityKey}/details", handle: entityDetails },
]);

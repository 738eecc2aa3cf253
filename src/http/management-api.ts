/**
 * Durable Functions' HTTP management API, on a client: the same routes, methods, query
 * parameters, bodies and status codes, under `/runtime/webhooks/durabletask`.
 *
 * Entity routes (`/entities/...`) read, signal, delete and list durable entities. A key of `$`
 * names the empty key, as in Durable Functions; Perdure keys are never empty, so it answers 400.
 *
 * Invariants kept here:
 * 1. Every parameter and body is checked before anything is written (a bad `timeout` does not
 *    leave a started instance behind).
 * 2. Status codes follow Durable Functions: 404 for an unknown instance, 410 for an operation on
 *    a finished one, 412 where it answers 412, 409 for an id in use, 400 for bad input.
 *
 * @module
 */
import { Hono, type Context } from "hono";
import type { Client } from "../runtime/client.js";
import type { App } from "../sdk/app.js";
import type { EntityId } from "../sdk/handles.js";
import { InstanceExistsError, InstanceNotFoundError } from "../store/errors.js";
import { isTerminal, type RuntimeStatus } from "../store/store.js";
import { createCheckStatusResponse, waitForCompletionOrCreateCheckStatusResponse } from "./check-status.js";
import { BadRequestError, HttpError, HttpErrorCode, jsonError } from "./errors.js";
import { INSPECTION_ROUTES } from "./inspection-api.js";
import { MANAGEMENT_OPENAPI } from "./openapi.js";
import { Query, isJsonContentType, parseJsonBody } from "./params.js";
import { toStatusJson } from "./status-json.js";
import { statusResponse } from "./status-response.js";

/** The header that carries list continuation tokens, both ways. */
export const CONTINUATION_HEADER = "x-ms-continuation-token";

/** One route of the management API, with `{name}` parameters as in the OpenAPI document. */
export interface ManagementRoute {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly handle: (client: Client, c: Context, app: App | undefined) => Promise<Response> | Response;
}

/** The wait-for-completion form of start and restart: both `timeout` and `pollingInterval` given. */
function waitForm(query: Query): { timeoutMs: number; retryIntervalMs: number } | undefined {
  const timeoutMs = query.seconds("timeout");
  const retryIntervalMs = query.seconds("pollingInterval");
  if (timeoutMs === undefined || retryIntervalMs === undefined) return undefined;
  if (retryIntervalMs > timeoutMs) {
    throw new BadRequestError(`Total timeout ${timeoutMs / 1000} should be bigger than retry timeout ${retryIntervalMs / 1000}.`);
  }
  return { timeoutMs, retryIntervalMs };
}

function answerStarted(client: Client, request: Request, id: string, wait: ReturnType<typeof waitForm>): Promise<Response> | Response {
  if (wait === undefined) return createCheckStatusResponse(request, id);
  return waitForCompletionOrCreateCheckStatusResponse(client, request, id, wait);
}

/** The instance's status; 404 when there is none. */
async function statusOf(client: Client, instanceId: string): Promise<RuntimeStatus> {
  const status = await client.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw new InstanceNotFoundError(instanceId);
  return status.runtimeStatus;
}

/** 410 Gone for an operation on a finished instance, as Durable Functions answers. */
function gone(instanceId: string, status: RuntimeStatus, operation: string): Response {
  return jsonError(410, "INVALID_INSTANCE_STATE", `Cannot ${operation} instance '${instanceId}': it is ${status}.`);
}

async function start(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  const wait = waitForm(query);
  const input = parseJsonBody(await c.req.text());
  const version = query.string("version");
  const id = await client.startNew(c.req.param("functionName")!, { input, instanceId: c.req.param("instanceId"), version });
  return answerStarted(client, c.req.raw, id, wait);
}

async function getInstance(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  return statusResponse(client, c.req.raw, c.req.param("instanceId")!, {
    showHistory: query.boolean("showHistory", false),
    showHistoryOutput: query.boolean("showHistoryOutput", false),
    showInput: query.boolean("showInput", true),
    returnInternalServerErrorOnFailure: query.boolean("returnInternalServerErrorOnFailure", false),
  });
}

async function listInstances(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  const showInput = query.boolean("showInput", true);
  const page = await client.list({
    createdFrom: query.date("createdTimeFrom"),
    createdTo: query.date("createdTimeTo"),
    statuses: query.statuses("runtimeStatus"),
    instanceIdPrefix: query.string("instanceIdPrefix") || undefined,
    // Present but empty: instances without a version.
    version: query.string("version"),
    name: query.string("name") || undefined,
    order: query.order("order"),
    pageSize: query.pageSize("top") ?? 100,
    continuationToken: c.req.header(CONTINUATION_HEADER) || undefined,
    showInput,
  });
  const body = page.instances.map((status) => toStatusJson(status, { showInput, showHistoryOutput: false }));
  const headers: Record<string, string> = page.continuationToken ? { [CONTINUATION_HEADER]: page.continuationToken } : {};
  return Response.json(body, { status: 200, headers });
}

async function purgeInstance(client: Client, c: Context): Promise<Response> {
  const instanceId = c.req.param("instanceId")!;
  const status = await statusOf(client, instanceId);
  if (!isTerminal(status)) {
    throw new HttpError(
      412,
      HttpErrorCode.PreconditionFailed,
      `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ${instanceId} has status ${status}`,
    );
  }
  const instancesDeleted = await client.purge(instanceId);
  if (instancesDeleted === 0) throw new InstanceNotFoundError(instanceId);
  return Response.json({ instancesDeleted }, { status: 200 });
}

async function purgeInstances(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  const createdFrom = query.date("createdTimeFrom");
  if (createdFrom === undefined) throw new BadRequestError("Please provide value for 'createdTimeFrom' parameter.");
  const createdTo = query.date("createdTimeTo") ?? new Date().toISOString();
  const instancesDeleted = await client.purgeBy({ createdFrom, createdTo, statuses: query.statuses("runtimeStatus", { finishedOnly: true }) });
  if (instancesDeleted === 0) return jsonError(404, HttpErrorCode.NotFound, "No finished instance matches the filter.");
  return Response.json({ instancesDeleted }, { status: 200 });
}

async function raiseEvent(client: Client, c: Context): Promise<Response> {
  const instanceId = c.req.param("instanceId")!;
  const status = await statusOf(client, instanceId);
  if (isTerminal(status)) return gone(instanceId, status, "raise an event to");
  if (!isJsonContentType(c.req.raw)) throw new BadRequestError("Only application/json request content is supported");
  const data = parseJsonBody(await c.req.text());
  await client.raiseEvent(instanceId, c.req.param("eventName")!, data);
  return new Response(null, { status: 202 });
}

type Operation = "terminate" | "suspend" | "resume";

function operation(name: Operation) {
  return async (client: Client, c: Context): Promise<Response> => {
    const instanceId = c.req.param("instanceId")!;
    const query = new Query(c.req.url);
    const reason = query.string("reason");
    // Terminating recursively also terminates the instance's running sub-orchestrations.
    const recursive = name === "terminate" ? query.boolean("recursive", false) : false;
    const status = await statusOf(client, instanceId);
    if (isTerminal(status)) return gone(instanceId, status, name);
    if (name === "terminate") await client.terminate(instanceId, reason, { recursive });
    else await client[name](instanceId, reason);
    return new Response(null, { status: 202 });
  };
}

async function rewind(client: Client, c: Context): Promise<Response> {
  const instanceId = c.req.param("instanceId")!;
  const status = await statusOf(client, instanceId);
  if (status === "Completed" || status === "Terminated" || status === "Canceled") return gone(instanceId, status, "rewind");
  if (status !== "Failed") {
    throw new HttpError(
      412,
      HttpErrorCode.PreconditionFailed,
      `This orchestration has status ${status}, but only orchestrations in the "Failed" state can be rewound.`,
    );
  }
  await client.rewind(instanceId, new Query(c.req.url).string("reason"));
  return new Response(null, { status: 202 });
}

async function restart(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  const wait = waitForm(query);
  const newInstanceId = query.boolean("restartWithNewInstanceId", true);
  let id: string;
  try {
    id = await client.restart(c.req.param("instanceId")!, { newInstanceId });
  } catch (error) {
    if (error instanceof InstanceNotFoundError) throw new BadRequestError("InstanceId does not match a valid orchestration instance.");
    if (error instanceof InstanceExistsError) {
      return jsonError(409, error.code, "A non-terminal instance with this instance ID already exists.");
    }
    throw error;
  }
  return answerStarted(client, c.req.raw, id, wait);
}

/** The entity id of the path; `$` is Durable Functions' spelling of the empty key. */
function entityOf(c: Context): EntityId {
  const key = c.req.param("entityKey")!;
  return { name: c.req.param("entityName")!, key: key === "$" ? "" : key } as EntityId;
}

/** 404 for a name the app does not register, when the handler has the app. */
function requireRegistered(app: App | undefined, name: string): void {
  if (app !== undefined && app.getEntity(name) === undefined) {
    throw new HttpError(404, HttpErrorCode.NotFound, `No entity named '${name}' is registered.`);
  }
}

async function getEntity(client: Client, c: Context): Promise<Response> {
  const id = entityOf(c);
  const { exists, state } = await client.readEntityState(id);
  if (!exists) return jsonError(404, HttpErrorCode.NotFound, `Entity '@${id.name.toLowerCase()}@${id.key}' does not exist.`);
  return Response.json(state, { status: 200 });
}

async function signalEntity(client: Client, c: Context, app: App | undefined): Promise<Response> {
  const id = entityOf(c);
  const op = new Query(c.req.url).string("op");
  if (op === undefined || op === "") throw new BadRequestError("Query parameter 'op' must name the operation to signal.");
  requireRegistered(app, id.name);
  const text = await c.req.text();
  const input = isJsonContentType(c.req.raw) ? parseJsonBody(text) : text === "" ? undefined : text;
  await client.signalEntity(id, op as never, ...([input] as never[]));
  return new Response(null, { status: 202 });
}

/** Signals `delete`: a class entity without such a method deletes its state; a function entity decides. */
async function deleteEntity(client: Client, c: Context, app: App | undefined): Promise<Response> {
  const id = entityOf(c);
  requireRegistered(app, id.name);
  await client.signalEntity(id, "delete" as never, ...([undefined] as never[]));
  return new Response(null, { status: 202 });
}

async function listEntities(client: Client, c: Context): Promise<Response> {
  const query = new Query(c.req.url);
  for (const name of ["lastOperationTimeFrom", "lastOperationTimeTo"]) {
    if (query.string(name) !== undefined) throw new BadRequestError(`Query parameter '${name}' is not supported.`);
  }
  const fetchState = query.boolean("fetchState", false);
  const page = await client.listEntities({
    name: c.req.param("entityName"),
    pageSize: query.pageSize("top") ?? 100,
    continuationToken: c.req.header(CONTINUATION_HEADER) || undefined,
    includeState: fetchState,
  });
  // Entities without state (never set, or deleted) are left out, as Durable Functions does.
  const body = page.entities
    .filter((e) => e.exists)
    .map((e) => ({
      entityId: { name: e.id.name, key: e.id.key },
      lastOperationTime: e.lastModifiedTime.toISOString(),
      ...(fetchState ? { state: e.state } : {}),
    }));
  const headers: Record<string, string> = page.continuationToken ? { [CONTINUATION_HEADER]: page.continuationToken } : {};
  return Response.json(body, { status: 200, headers });
}

/** Every route of the management API. */
export const MANAGEMENT_ROUTES: readonly ManagementRoute[] = Object.freeze([
  { method: "POST", path: "/orchestrators/{functionName}", handle: start },
  { method: "POST", path: "/orchestrators/{functionName}/{instanceId}", handle: start },
  { method: "GET", path: "/instances", handle: listInstances },
  { method: "DELETE", path: "/instances", handle: purgeInstances },
  { method: "GET", path: "/instances/{instanceId}", handle: getInstance },
  { method: "DELETE", path: "/instances/{instanceId}", handle: purgeInstance },
  { method: "POST", path: "/instances/{instanceId}/raiseEvent/{eventName}", handle: raiseEvent },
  { method: "POST", path: "/instances/{instanceId}/terminate", handle: operation("terminate") },
  { method: "POST", path: "/instances/{instanceId}/suspend", handle: operation("suspend") },
  { method: "POST", path: "/instances/{instanceId}/resume", handle: operation("resume") },
  { method: "POST", path: "/instances/{instanceId}/rewind", handle: rewind },
  { method: "POST", path: "/instances/{instanceId}/restart", handle: restart },
  { method: "GET", path: "/entities", handle: listEntities },
  { method: "GET", path: "/entities/{entityName}", handle: listEntities },
  { method: "GET", path: "/entities/{entityName}/{entityKey}", handle: getEntity },
  { method: "POST", path: "/entities/{entityName}/{entityKey}", handle: signalEntity },
  { method: "DELETE", path: "/entities/{entityName}/{entityKey}", handle: deleteEntity },
  { method: "GET", path: "/openapi.json", handle: () => Response.json(MANAGEMENT_OPENAPI) },
  ...INSPECTION_ROUTES,
]);

/** `{name}` → `:name`, the router's spelling of a parameter. */
export function toRouterPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ":$1");
}

/**
 * The management API as a router of its own, with paths relative to the base path. With the
 * app, signals to an entity name it does not register answer 404.
 */
export function managementApi(client: Client, app?: App): Hono {
  const api = new Hono({ strict: false });
  for (const route of MANAGEMENT_ROUTES) {
    api.on(route.method, toRouterPath(route.path), (c) => route.handle(client, c, app));
  }
  return api;
}

/**
 * The management API, as the dashboard calls it: same origin, relative to the page (so the page
 * works wherever the handler is mounted), with the API key the person gave for this browser
 * session. A 401 asks for the key instead of failing the view; every other error carries the
 * API's own message, shown as it is.
 *
 * @module
 */
import type {
  EntityDetails,
  EntitySummary,
  HistoryPage,
  InstanceCounts,
  InstanceStatus,
  Status,
} from "./api-types.js";

const BASE = "runtime/webhooks/durabletask/";
const KEY_STORAGE = "perdure.apiKey";
const TOKEN_HEADER = "x-ms-continuation-token";

/** An answer of the API that is not a success: its status, code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Whether the API asked for a key, and whether the one given was refused. */
export interface KeyState {
  readonly needed: boolean;
  readonly rejected: boolean;
  /** Bumped when a key is set, so views fetch again. */
  readonly version: number;
}

let apiKey: string | undefined = readStoredKey();
let keyState: KeyState = { needed: false, rejected: false, version: 0 };
const keyListeners = new Set<(state: KeyState) => void>();

function readStoredKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

function setKeyState(next: KeyState): void {
  keyState = next;
  for (const listener of keyListeners) listener(next);
}

export function currentKeyState(): KeyState {
  return keyState;
}

/** Listens to key state changes; returns the function that stops listening. */
export function onKeyState(listener: (state: KeyState) => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

/** Keeps the key for this browser session (tab) and fetches again. */
export function setApiKey(key: string): void {
  apiKey = key;
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    // Private modes may refuse storage: the key then lasts as long as the page.
  }
  setKeyState({ needed: false, rejected: false, version: keyState.version + 1 });
}

/** True when a key is kept. */
export function hasApiKey(): boolean {
  return apiKey !== undefined;
}

/** Forgets the key: the next call that needs one asks again. */
export function forgetApiKey(): void {
  apiKey = undefined;
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // Nothing kept.
  }
  setKeyState({ needed: false, rejected: false, version: keyState.version + 1 });
}

type Query = Record<string, string | number | boolean | undefined>;

interface CallOptions {
  readonly query?: Query;
  readonly body?: string;
  readonly token?: string | undefined;
  readonly json?: boolean;
}

async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const url = new URL(BASE + path, document.baseURI);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: "application/json" };
  if (apiKey !== undefined) headers["x-api-key"] = apiKey;
  if (options.token !== undefined) headers[TOKEN_HEADER] = options.token;
  if (options.json) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: options.body, cache: "no-store" });
  } catch {
    throw new ApiError(0, "UNREACHABLE", "The server could not be reached. Is it still running?");
  }
  if (response.status === 401) {
    setKeyState({ needed: true, rejected: apiKey !== undefined, version: keyState.version });
    throw new ApiError(401, "UNAUTHORIZED", "This server needs an API key.");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { code?: unknown; message?: unknown };
    if (typeof body.message === "string") return new ApiError(response.status, String(body.code ?? "ERROR"), body.message);
  } catch {
    // Not JSON: fall through.
  }
  return new ApiError(response.status, "ERROR", `The server answered ${response.status} ${response.statusText}.`);
}

const id = (value: string): string => encodeURIComponent(value);

/** The filter of the instance list. */
export interface InstanceFilter {
  readonly statuses: readonly Status[];
  readonly name?: string | undefined;
  readonly prefix?: string | undefined;
  /** ISO times. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

function filterQuery(filter: InstanceFilter, withStatuses: boolean): Query {
  return {
    runtimeStatus: withStatuses && filter.statuses.length > 0 ? filter.statuses.join(",") : undefined,
    name: filter.name,
    instanceIdPrefix: filter.prefix,
    createdTimeFrom: filter.from,
    createdTimeTo: filter.to,
  };
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string | undefined;
}

export async function listInstances(filter: InstanceFilter, order: "asc" | "desc", top: number, token?: string): Promise<Page<InstanceStatus>> {
  const response = await call("GET", "instances", { query: { ...filterQuery(filter, true), order, top, showInput: false }, token });
  return { items: (await response.json()) as InstanceStatus[], next: response.headers.get(TOKEN_HEADER) ?? undefined };
}

/** Counts by status under the filter's other conditions: every status, whichever are selected. */
export async function countInstances(filter: InstanceFilter): Promise<InstanceCounts> {
  return (await call("GET", "instanceCounts", { query: filterQuery(filter, false) })).json() as Promise<InstanceCounts>;
}

export async function getInstance(instanceId: string): Promise<InstanceStatus> {
  return (await call("GET", `instances/${id(instanceId)}`, { query: { showInput: true } })).json() as Promise<InstanceStatus>;
}

export async function getHistory(instanceId: string, after: number, top: number): Promise<HistoryPage> {
  return (await call("GET", `instances/${id(instanceId)}/history`, { query: { after, top } })).json() as Promise<HistoryPage>;
}

/** Raises an event; `data` is JSON text, already checked. */
export async function raiseEvent(instanceId: string, name: string, data: string): Promise<void> {
  await call("POST", `instances/${id(instanceId)}/raiseEvent/${id(name)}`, { body: data, json: true });
}

export async function operate(
  instanceId: string,
  operation: "terminate" | "suspend" | "resume" | "rewind",
  reason: string,
  recursive = false,
): Promise<void> {
  const query: Query = { reason: reason || undefined, recursive: operation === "terminate" && recursive ? true : undefined };
  await call("POST", `instances/${id(instanceId)}/${operation}`, { query });
}

/** Restarts an instance; returns the id of the new instance (the same one with `sameId`). */
export async function restart(instanceId: string, sameId: boolean): Promise<string> {
  const response = await call("POST", `instances/${id(instanceId)}/restart`, { query: { restartWithNewInstanceId: !sameId } });
  return ((await response.json()) as { id: string }).id;
}

export async function purge(instanceId: string): Promise<void> {
  await call("DELETE", `instances/${id(instanceId)}`);
}

export async function listEntities(name: string | undefined, top: number, token?: string): Promise<Page<EntitySummary>> {
  const path = name === undefined || name === "" ? "entities" : `entities/${id(name)}`;
  const response = await call("GET", path, { query: { top }, token });
  return { items: (await response.json()) as EntitySummary[], next: response.headers.get(TOKEN_HEADER) ?? undefined };
}

export async function entityDetails(name: string, key: string): Promise<EntityDetails> {
  return (await call("GET", `entities/${id(name)}/${id(key)}/details`)).json() as Promise<EntityDetails>;
}

/** Signals an operation; `input` is JSON text, already checked, or undefined for none. */
export async function signalEntity(name: string, key: string, operation: string, input: string | undefined): Promise<void> {
  await call("POST", `entities/${id(name)}/${id(key)}`, { query: { op: operation }, body: input, json: input !== undefined });
}

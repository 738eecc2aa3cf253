/**
 * The async HTTP API pattern: the check-status response (202, `Location`, `Retry-After: 10`, and
 * the management URLs of one instance), its wait-for-completion variant, and the management
 * payload, with exactly Durable Functions' field names and URL templates.
 *
 * The URLs carry no `taskHub`, `connection` or `code` query: one server serves one store, and the
 * API key is a secret of the operator, not something to hand to whoever called an HTTP function.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Client } from "../runtime/client.js";
import { WaitTimeoutError } from "../runtime/errors.js";
import { MANAGEMENT_BASE_PATH } from "../sdk/app.js";
import { InstanceNotFoundError } from "../store/errors.js";
import { isTerminal } from "../store/store.js";
import { statusResponse } from "./status-response.js";

/** The management URLs of one instance, as the check-status response carries them. */
export interface CheckStatusPayload {
  readonly id: string;
  readonly statusQueryGetUri: string;
  readonly sendEventPostUri: string;
  readonly terminatePostUri: string;
  readonly purgeHistoryDeleteUri: string;
  readonly restartPostUri: string;
  readonly suspendPostUri: string;
  readonly resumePostUri: string;
}

/** Every management URL of one instance (`createHttpManagementPayload`). */
export interface HttpManagementPayload extends CheckStatusPayload {
  readonly rewindPostUri: string;
}

export interface WaitOptions {
  /** How long to wait for the instance to finish (default 10 s). */
  readonly timeoutMs?: number | undefined;
  /** How often to look (default 1 s); must not exceed `timeoutMs`. Store notifications may answer sooner. */
  readonly retryIntervalMs?: number | undefined;
}

/** The management API's base URL on the origin of `url` (a request URL or a server's base URL). */
export function managementBaseUrl(url: string): string {
  return new URL(MANAGEMENT_BASE_PATH, new URL(url).origin).href;
}

/** The management URLs of an instance under `baseUrl` (a management base URL). */
export function createHttpManagementPayload(baseUrl: string, instanceId: string): HttpManagementPayload {
  const p = `${baseUrl.replace(/\/+$/, "")}/instances/${encodeURIComponent(instanceId)}`;
  return {
    id: instanceId,
    statusQueryGetUri: p,
    sendEventPostUri: `${p}/raiseEvent/{eventName}`,
    terminatePostUri: `${p}/terminate?reason={text}`,
    rewindPostUri: `${p}/rewind?reason={text}`,
    purgeHistoryDeleteUri: p,
    restartPostUri: `${p}/restart`,
    suspendPostUri: `${p}/suspend?reason={text}`,
    resumePostUri: `${p}/resume?reason={text}`,
  };
}

/** The check-status body: the management payload without `rewindPostUri`, in Durable Functions' order. */
function checkStatusPayload(baseUrl: string, instanceId: string): CheckStatusPayload {
  const all = createHttpManagementPayload(baseUrl, instanceId);
  return {
    id: all.id,
    statusQueryGetUri: all.statusQueryGetUri,
    sendEventPostUri: all.sendEventPostUri,
    terminatePostUri: all.terminatePostUri,
    purgeHistoryDeleteUri: all.purgeHistoryDeleteUri,
    restartPostUri: all.restartPostUri,
    suspendPostUri: all.suspendPostUri,
    resumePostUri: all.resumePostUri,
  };
}

/**
 * The 202 response of the async HTTP API pattern: `Location` is the status URL, `Retry-After: 10`,
 * and the body holds the instance's management URLs on the origin of `request`.
 *
 * @example
 * app.http("POST", "/api/orders", async (request, client) => {
 *   const id = await client.startNew(processOrder, { input: await request.json() });
 *   return createCheckStatusResponse(request, id);
 * });
 */
export function createCheckStatusResponse(request: Request, instanceId: string): Response {
  const payload = checkStatusPayload(managementBaseUrl(request.url), instanceId);
  return Response.json(payload, { status: 202, headers: { Location: payload.statusQueryGetUri, "Retry-After": "10" } });
}

/**
 * Waits up to `timeoutMs` for the instance to finish. Completed: 200 with the output as the
 * body. Failed, Terminated or Canceled: the instance's status, as `GET instances/{id}` answers.
 * Still running (or unknown) at the deadline: the 202 check-status response.
 * @throws InvalidArgumentError when `retryIntervalMs` exceeds `timeoutMs`, or either is not positive.
 */
export async function waitForCompletionOrCreateCheckStatusResponse(
  client: Client,
  request: Request,
  instanceId: string,
  options: WaitOptions = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryIntervalMs = options.retryIntervalMs ?? 1000;
  if (!(timeoutMs > 0) || !(retryIntervalMs > 0)) {
    throw new InvalidArgumentError(`The timeout and retry interval must be positive; received ${timeoutMs} ms and ${retryIntervalMs} ms.`);
  }
  if (retryIntervalMs > timeoutMs) {
    throw new InvalidArgumentError(`Total timeout ${timeoutMs / 1000} s should be bigger than retry timeout ${retryIntervalMs / 1000} s.`);
  }
  try {
    const status = await client.waitForCompletion(instanceId, { timeoutMs });
    if (status.runtimeStatus === "Completed") return Response.json(status.output ?? null, { status: 200 });
    if (isTerminal(status.runtimeStatus)) {
      return statusResponse(client, request, instanceId, { showHistory: false, showHistoryOutput: false, showInput: true });
    }
  } catch (error) {
    if (!(error instanceof WaitTimeoutError || error instanceof InstanceNotFoundError)) throw error;
  }
  return createCheckStatusResponse(request, instanceId);
}

/** The check-status helpers of a client, as methods. */
export interface HttpManagement {
  /** The 202 check-status response for an instance, on the origin of `request`. */
  createCheckStatusResponse(request: Request, instanceId: string): Response;
  /** Waits for the instance to finish, up to `timeoutMs`; otherwise the 202 check-status response. */
  waitForCompletionOrCreateCheckStatusResponse(request: Request, instanceId: string, options?: WaitOptions): Promise<Response>;
  /** Every management URL of an instance, on the wrapper's base URL. */
  createHttpManagementPayload(instanceId: string): HttpManagementPayload;
}

/** A client with the check-status helpers as methods: what HTTP functions receive. */
export type HttpClient = Client & HttpManagement;

declare module "../sdk/app.js" {
  interface HttpFunctionTypes {
    readonly client: HttpClient;
  }
}

/**
 * Wraps a client so that it also offers the check-status helpers as methods. `baseUrl` is the
 * server's URL (its origin is used), for `createHttpManagementPayload`, which has no request.
 * The wrapper is the client itself for everything else (`instanceof Client` holds).
 *
 * @example
 * const http = httpClient(client, "http://127.0.0.1:7071");
 * http.createHttpManagementPayload(id).statusQueryGetUri;
 */
export function httpClient(client: Client, baseUrl: string): HttpClient {
  const base = managementBaseUrl(baseUrl);
  const extra: HttpManagement = {
    createCheckStatusResponse: (request, instanceId) => createCheckStatusResponse(request, instanceId),
    waitForCompletionOrCreateCheckStatusResponse: (request, instanceId, options) =>
      waitForCompletionOrCreateCheckStatusResponse(client, request, instanceId, options),
    createHttpManagementPayload: (instanceId) => createHttpManagementPayload(base, instanceId),
  };
  // The client keeps its state in private fields, which only the client itself may read: its
  // methods are bound to it, so that calling them through the wrapper works.
  return new Proxy(client, {
    get(target, property) {
      if (Object.hasOwn(extra, property)) return extra[property as keyof HttpManagement];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as HttpClient;
}

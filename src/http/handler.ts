/**
 * The whole HTTP surface as one standard fetch handler, `(request) => Promise<Response>`: the
 * management API under `/runtime/webhooks/durabletask`, and the app's HTTP functions. Mount it
 * in any framework that speaks `Request`/`Response`, or serve it with `serve`.
 *
 * Invariants kept here:
 * 1. With an API key configured, no management route answers without it (401), the OpenAPI
 *    document included; the key is compared in constant time.
 * 2. No body over `maxBodyBytes` reaches a route: it is refused with 413, whether it announces
 *    its length or streams.
 * 3. No response carries a stack trace: errors go through the one table of `errors.ts`.
 * 4. With `dashboard`, the page and its files carry a Content-Security-Policy without inline
 *    script (`dashboard.ts`).
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type Context, type Next } from "hono";
import { InvalidArgumentError } from "../core/errors.js";
import type { Client } from "../runtime/client.js";
import { RuntimeErrorCode } from "../runtime/errors.js";
import { consoleLogger, type Logger } from "../runtime/logger.js";
import { DEFAULT_MAX_PAYLOAD_BYTES } from "../runtime/payloads.js";
import { MANAGEMENT_BASE_PATH, type App, type HttpFunctionRequest, type RegisteredHttpFunction } from "../sdk/app.js";
import { httpClient } from "./check-status.js";
import { HttpErrorCode, UnauthorizedError, errorResponse, jsonError } from "./errors.js";
import { mountDashboard, type DashboardOptions } from "./dashboard.js";
import { managementApi } from "./management-api.js";
import { checkPercentEncoding } from "./params.js";

/** A standard fetch handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

export interface HttpHandlerOptions {
  /** The client the management API and the HTTP functions use. */
  readonly client: Client;
  /** The app whose HTTP functions (`app.http(...)`) are served; none when absent. */
  readonly app?: App | undefined;
  /** When set, every management route needs it (`x-api-key` header or `code` query parameter). */
  readonly apiKey?: string | undefined;
  /** Largest request body accepted, in bytes (default 1 MiB); larger ones get 413. */
  readonly maxBodyBytes?: number | undefined;
  /** Where failures that answer 500 are logged (default: the console, warnings and up). */
  readonly logger?: Logger | undefined;
  /**
   * Serve the dashboard: the page at `/`, its files under `/assets/` (default false). It is not
   * behind the API key (it holds no data); it asks for the key and sends it with every call. An
   * app's own HTTP function on `GET /` takes precedence.
   */
  readonly dashboard?: boolean | DashboardOptions | undefined;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Refuses management requests without the API key. Digests make the comparison constant-time whatever the lengths. */
function requireApiKey(apiKey: string) {
  const expected = digest(apiKey);
  return async (c: Context, next: Next): Promise<void> => {
    const given = c.req.header("x-api-key") ?? new URL(c.req.url).searchParams.get("code");
    if (given === undefined || given === null || !timingSafeEqual(digest(given), expected)) throw new UnauthorizedError();
    await next();
  };
}

/**
 * Reads the body up to `maxBytes` and hands the route a request with the body in memory; over
 * the limit, announced or streamed, answers 413 without reading further. The new request is a
 * standard one whatever the server adapter made, so routes see one kind of request.
 */
function limitBody(maxBytes: number) {
  // The rest of the body is not read: the connection is closed after the answer, or the next
  // request on it would start inside the unread body.
  const tooLarge = (): Response =>
    jsonError(413, RuntimeErrorCode.PayloadTooLarge, `The request body is over the limit of ${maxBytes} bytes.`, { connection: "close" });
  return async (c: Context, next: Next): Promise<Response | void> => {
    const raw = c.req.raw;
    if (raw.body === null || raw.method === "GET" || raw.method === "HEAD") return next();
    if (Number(raw.headers.get("content-length") ?? 0) > maxBytes) return tooLarge();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = raw.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return tooLarge();
      }
      chunks.push(value);
    }
    c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: Buffer.concat(chunks), signal: raw.signal });
    return next();
  };
}

function mountHttpFunction(router: Hono, client: Client, fn: RegisteredHttpFunction): void {
  router.on(fn.method, fn.route, async (c) => {
    const request = c.req.raw as HttpFunctionRequest;
    Object.defineProperty(request, "params", { value: Object.freeze({ ...c.req.param() }), enumerable: true });
    const response: unknown = await fn.fn(request, httpClient(client, c.req.url));
    if (!(response instanceof Response)) {
      throw new TypeError(`The HTTP function for ${fn.method} ${fn.route} returned ${typeof response}, not a Response.`);
    }
    return response;
  });
}

function checkOptions(options: HttpHandlerOptions): number {
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey.length === 0)) {
    throw new InvalidArgumentError("Option 'apiKey' must be a non-empty string when given.");
  }
  const max = options.maxBodyBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isInteger(max) || max <= 0) {
    throw new InvalidArgumentError(`Option 'maxBodyBytes' must be a positive integer; received ${String(options.maxBodyBytes)}.`);
  }
  return max;
}

/**
 * Creates the fetch handler of the management API and the app's HTTP functions.
 *
 * @example
 * const handler = createHttpHandler({ app, client, apiKey: process.env.PERDURE_API_KEY });
 * const response = await handler(new Request("http://localhost/runtime/webhooks/durabletask/instances"));
 */
export function createHttpHandler(options: HttpHandlerOptions): FetchHandler {
  const maxBodyBytes = checkOptions(options);
  const logger = options.logger ?? consoleLogger("warn");
  const router = new Hono({ strict: false });
  router.onError((error) => errorResponse(error, logger));
  router.notFound((c) => jsonError(404, HttpErrorCode.NotFound, `Nothing answers ${c.req.method} ${new URL(c.req.url).pathname}.`));
  router.use("*", limitBody(maxBodyBytes));
  if (options.apiKey !== undefined) {
    const auth = requireApiKey(options.apiKey);
    router.use(MANAGEMENT_BASE_PATH, auth);
    router.use(`${MANAGEMENT_BASE_PATH}/*`, auth);
  }
  const wellEncoded = async (c: Context, next: Next): Promise<void> => {
    checkPercentEncoding(c.req.url);
    await next();
  };
  router.use(MANAGEMENT_BASE_PATH, wellEncoded);
  router.use(`${MANAGEMENT_BASE_PATH}/*`, wellEncoded);
  router.route(MANAGEMENT_BASE_PATH, managementApi(options.client, options.app));
  for (const fn of options.app?.httpFunctions ?? []) mountHttpFunction(router, options.client, fn);
  if (options.dashboard) mountDashboard(router, options.dashboard === true ? {} : options.dashboard);
  return async (request) => router.fetch(request);
}

/**
 * Where instance commands go: a store opened directly (`--store`) or a running server
 * (`--url`). Both are reached through the management API — in process over the store, or over
 * the network — so that every command behaves and prints the same whichever is used.
 *
 * @module
 */
import { createHttpHandler, type FetchHandler } from "../http/handler.js";
import { createClient, type Client } from "../runtime/client.js";
import { MANAGEMENT_BASE_PATH } from "../sdk/app.js";
import { CliError, ExitCode, usageError } from "./errors.js";
import { DEFAULT_STORE, openStore } from "./open-store.js";

export interface TargetOptions {
  readonly store?: string | undefined;
  /** The schema of a PostgreSQL store (default "perdure"). */
  readonly schema?: string | undefined;
  readonly url?: string | undefined;
  readonly apiKey?: string | undefined;
}

export interface ApiRequest {
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** A JSON body; `undefined` sends none. */
  readonly body?: unknown;
}

/** A management API to send requests to. */
export interface Target {
  /** Sends `method path` (relative to the management base path). */
  request(method: string, path: string, init?: ApiRequest): Promise<Response>;
  /** The client, when the store is opened directly. */
  readonly client?: Client | undefined;
  close(): Promise<void>;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function buildRequest(base: string, method: string, path: string, init: ApiRequest, headers: Record<string, string>): Request {
  const url = new URL(`${base}${MANAGEMENT_BASE_PATH}${path}`);
  for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  const hasBody = init.body !== undefined;
  return new Request(url, {
    method,
    headers: hasBody ? { ...headers, "content-type": "application/json" } : headers,
    body: hasBody ? JSON.stringify(init.body) : undefined,
  });
}

function networkTarget(url: string, apiKey: string | undefined): Target {
  let base: string;
  try {
    base = new URL(url).origin;
  } catch {
    throw usageError(`--url must be an http:// or https:// URL; received '${url}'.`);
  }
  if (!/^https?:/.test(base)) throw usageError(`--url must be an http:// or https:// URL; received '${url}'.`);
  const headers: Record<string, string> = apiKey ? { "x-api-key": apiKey } : {};
  return {
    async request(method, path, init = {}) {
      try {
        return await fetch(buildRequest(base, method, path, init, headers));
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError(ExitCode.Failed, `Cannot reach ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}.`);
      }
    },
    close: async () => {},
  };
}

/** Opens the target the options name (`--store` by default, at ./perdure.db). */
export async function openTarget(options: TargetOptions): Promise<Target> {
  if (options.store !== undefined && options.url !== undefined) throw usageError("Pass either --store or --url, not both.");
  const apiKey = options.apiKey ?? process.env.PERDURE_API_KEY;
  const url = options.url ?? (options.store === undefined ? process.env.PERDURE_URL : undefined);
  if (url !== undefined) {
    if (options.schema !== undefined) throw usageError("--schema goes with a postgres:// --store; a server's --url names its own store.");
    return networkTarget(url, apiKey);
  }
  const store = await openStore(options.store ?? process.env.PERDURE_STORE ?? DEFAULT_STORE, { mustExist: true, schema: options.schema });
  const client = createClient(store);
  // A 500 hides its cause from remote callers; the local user of the store is shown it.
  let failure: unknown;
  const handler: FetchHandler = createHttpHandler({ client, logger: { ...silent, error: (_message, error) => (failure = error) } });
  return {
    client,
    async request(method, path, init = {}) {
      failure = undefined;
      const response = await handler(buildRequest("http://localhost", method, path, init, {}));
      if (response.status === 500 && failure !== undefined) {
        throw new CliError(ExitCode.Failed, failure instanceof Error ? failure.message : String(failure));
      }
      return response;
    },
    close: () => store.close(),
  };
}

/**
 * An app with a few orchestrations, a runtime on a temporary SQLite file, and the fetch handler
 * over it, called directly with `new Request(...)`.
 */
import { createApp, createHttpHandler, type FetchHandler, type HttpHandlerOptions } from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

export const BASE = "http://localhost/runtime/webhooks/durabletask";

export const app = createApp();
const calls = { flaky: 0 };

const echo = app.activity("Echo", async (name: string) => `echo:${name}`);
const flaky = app.activity("Flaky", async (x: number) => {
  calls.flaky++;
  if (calls.flaky % 2 === 1) throw new Error("flaky failed on an odd attempt");
  return x * 10;
});

export const hello = app.orchestration("Hello", function* (ctx, name: string) {
  ctx.setCustomStatus({ stage: "greeting" });
  return yield* ctx.callActivity(echo, name);
});
export const waitForGo = app.orchestration("WaitForGo", function* (ctx, tag: string) {
  ctx.setCustomStatus("waiting");
  const v = yield* ctx.waitForExternalEvent<number>("go");
  return { tag, v };
});
export const broken = app.orchestration("Broken", function* (ctx) {
  yield* ctx.callActivity(echo, "before");
  throw new Error("kaput");
});
export const rewindable = app.orchestration("Rewindable", function* (ctx, x: number) {
  return yield* ctx.callActivity(flaky, x);
});

app.http("GET", "/api/hello/:name", async (request, client) => {
  const id = await client.startNew(hello, { input: request.params.name ?? "" });
  return client.waitForCompletionOrCreateCheckStatusResponse(request, id, { timeoutMs: 20_000, retryIntervalMs: 100 });
});
app.http("POST", "/api/wait/{tag}", async (request, client) => {
  const id = await client.startNew(waitForGo, { input: request.params.tag ?? "" });
  return client.createCheckStatusResponse(request, id);
});
app.http("GET", "/api/payload/:id", async (request, client) => Response.json(client.createHttpManagementPayload(request.params.id!)));
app.http("GET", "/api/crash", async () => {
  throw new Error("secret internals at /srv/app.ts:12");
});
app.http("GET", "/api/unknown", async (_request, client) => {
  await client.startNew("NoSuchOrchestration");
  return new Response("unreachable");
});

export interface HttpFixture {
  readonly rt: TestRuntime;
  readonly handler: FetchHandler;
  /** Calls the handler with a request for `path` (relative to the management base, or absolute). */
  call(method: string, path: string, init?: { body?: string; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

export function startHttp(options: Partial<HttpHandlerOptions> = {}): HttpFixture {
  const rt = startRuntime(app);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const handler = createHttpHandler({ app, client: rt.client, logger: silent, ...options });
  return {
    rt,
    handler,
    call(method, path, init = {}) {
      const url = path.startsWith("http") ? path : `${BASE}${path}`;
      return handler(new Request(url, { method, body: init.body, headers: init.headers }));
    },
    close: () => rt.close(),
  };
}

/** Waits until the instance has the status. */
export async function waitForStatus(fx: HttpFixture, id: string, status: string): Promise<void> {
  await waitUntil(async () => (await fx.rt.client.getStatus(id))?.runtimeStatus === status, `'${id}' is ${status}`);
}

/** Waits until a WaitForGo instance waits for its event. */
export async function waitUntilWaiting(fx: HttpFixture, id: string): Promise<void> {
  await waitUntil(async () => (await fx.rt.client.getStatus(id))?.customStatus === "waiting", `'${id}' waits for its event`);
}

export const JSON_HEADERS = { "content-type": "application/json" };

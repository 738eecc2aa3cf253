/**
 * Arbitrary strings as ids, names and query values, fed to the client and to the HTTP handler, on
 * both stores. Every call either succeeds — and then whatever it stored is found again under
 * exactly the id it was given — or fails with a typed error (the client) or a 4xx (HTTP), leaving
 * the store as it was. The worker is stopped meanwhile, so that only the calls change the store;
 * afterwards a worker takes over everything they left and still runs a normal instance to its end.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler, PerdureError, type FetchHandler } from "../../src/index.js";
import { app, done, hold, snapshot } from "../helpers/edge-app.js";
import { STORE_KINDS, announceStores, startRuntimeOn, type StoreRuntime } from "../helpers/stores.js";

announceStores("the edge property suite");

const BASE = "http://localhost/runtime/webhooks/durabletask";

/** Strings as users and attackers write them: any code point, lone surrogates, reserved characters, encodings. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom("\uD800", "\uDFFF", "\u{1F600}", "@", "/", "\\", "#", "?", "%", "%E0", "%A4%A", "%2F", "&", "=", "+", "\u0000", "\u007f", " ", "a", "Z", "é", "-", ":", ".", "1"),
    maxLength: 10,
  }),
  fc.constantFrom("", "@counter@c1", "held", "done-1", "1", "2026-01-01", "2026-02-30", "Running", "Completed", "x".repeat(101)),
);

describe.each(STORE_KINDS)("on %s, arbitrary strings at the edges", (kind) => {
  let rt: StoreRuntime;
  let handler: FetchHandler;
  beforeAll(async () => {
    rt = await startRuntimeOn(kind, app);
    handler = createHttpHandler({ client: rt.client, app });
    await rt.client.startNew(done, { instanceId: "done-1", input: 1 });
    await rt.client.waitForCompletion("done-1", { timeoutMs: 30_000 });
    await rt.client.startNew(hold, { instanceId: "held" });
    await rt.worker.stop();
  }, 60_000);
  afterAll(async () => {
    await rt?.close();
  });

  /** Runs a client call: a success, or a typed refusal that left the store as it was. */
  async function clientCall(call: () => Promise<unknown>): Promise<{ ok: boolean; value?: unknown }> {
    const before = await snapshot(rt);
    try {
      return { ok: true, value: await Promise.resolve().then(call) };
    } catch (error) {
      expect(error, String(error)).toBeInstanceOf(PerdureError);
      expect(await snapshot(rt)).toEqual(before);
      return { ok: false };
    }
  }

  it("the client answers each call with a result or a typed error, and keeps what it accepts under the id given", { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(text, text, text, async (id, name, value) => {
        const started = await clientCall(() => rt.client.startNew(hold, { instanceId: id }));
        if (started.ok) {
          expect(started.value).toBe(id);
          expect((await rt.client.getStatus(id))?.instanceId).toBe(id);
          expect((await rt.client.list({ instanceIdPrefix: id })).instances.map((s) => s.instanceId)).toContain(id);
        }
        await clientCall(() => rt.client.getStatus(id));
        await clientCall(() => rt.client.raiseEvent(id, name, value));
        await clientCall(() => rt.client.raiseEvent("held", name, value));
        await clientCall(() => rt.client.list({ instanceIdPrefix: value, statuses: [name as "Running"] }));
        await clientCall(() => rt.client.list({ createdFrom: value }));
        await clientCall(() => rt.client.purgeBy({ createdFrom: value, statuses: ["Terminated"] }));
        await clientCall(() => rt.client.waitForCompletion(id, { timeoutMs: 0 }));
        await clientCall(() => rt.client.startNew(name, { instanceId: `n-${id}` }));
        await clientCall(() => rt.client.restart(id, { newInstanceId: value }));
        await clientCall(() => rt.client.terminate(id, value));
        await clientCall(() => rt.client.purge(id));
      }),
      { numRuns: kind === "sqlite" ? 60 : 30 },
    );
    await expectWorkerServes(rt);
  });

  /** Sends a request: any answer below 500; a refusal leaves the store as it was. */
  async function httpCall(method: string, url: string): Promise<Response> {
    const before = await snapshot(rt);
    const response = await handler(new Request(url, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : "1" }));
    expect(response.status, `${method} ${url}`).toBeLessThan(500);
    if (response.status >= 400) expect(await snapshot(rt)).toEqual(before);
    return response;
  }

  it("the HTTP API answers each request below 500, and keeps what it accepts under the id given", { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(text, text, text, fc.boolean(), async (id, name, value, encode) => {
        // Encoded as a client would (when the text has a UTF-8 form), or raw as typed into a URL.
        const part = (s: string): string => (encode && !/\p{Surrogate}/u.test(s) ? encodeURIComponent(s) : s);
        const start = await httpCall("POST", `${BASE}/orchestrators/Hold/${part(id)}`);
        if (start.status === 202) {
          const { id: startedId } = (await start.json()) as { id: string };
          expect((await rt.client.getStatus(startedId))?.instanceId).toBe(startedId);
          // An empty segment names no id (`/orchestrators/Hold/` is `/orchestrators/Hold`): a new one is made.
          // So does a dot segment, which a URL removes (`Hold/.` is `Hold/`) and encodeURIComponent keeps.
          if (encode && id !== "" && id !== "." && id !== ".." && !/\p{Surrogate}/u.test(id)) expect(startedId).toBe(id);
        }
        await httpCall("GET", `${BASE}/instances/${part(id)}`);
        await httpCall("POST", `${BASE}/instances/held/raiseEvent/${part(name)}`);
        await httpCall("POST", `${BASE}/instances/${part(id)}/terminate?reason=${part(value)}`);
        await httpCall("DELETE", `${BASE}/instances/${part(id)}`);
        const query = `instanceIdPrefix=${part(value)}&runtimeStatus=${part(name)}&createdTimeFrom=${part(value)}&top=${part(value)}`;
        await httpCall("GET", `${BASE}/instances?${query}`);
        await httpCall("DELETE", `${BASE}/instances?createdTimeFrom=${part(value)}&runtimeStatus=Terminated`);
        await httpCall("GET", `${BASE}/entities/${part(name)}/${part(id)}`);
      }),
      { numRuns: kind === "sqlite" ? 60 : 30 },
    );
    await expectWorkerServes(rt);
  });
});

async function expectWorkerServes(rt: StoreRuntime): Promise<void> {
  await rt.restartWorker();
  const id = await rt.client.startNew(done, { input: 5 });
  expect(await rt.client.waitForCompletion(id, { timeoutMs: 30_000 })).toMatchObject({ runtimeStatus: "Completed", output: 5 });
  const waiting = await rt.client.startNew(hold);
  await rt.client.raiseEvent(waiting, "go", 1);
  expect(await rt.client.waitForCompletion(waiting, { timeoutMs: 30_000 })).toMatchObject({ runtimeStatus: "Completed", output: 1 });
  // Stopped again: the next property's calls must be the only writers.
  await rt.worker.stop();
}

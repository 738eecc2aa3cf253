/**
 * The entity routes of the management API on a SQLite-backed handler: read, signal, delete and
 * list, with Durable Functions' status codes (200, 202, 400, 404).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApp, createHttpHandler, entityId, type EntityContext, type FetchHandler } from "../../src/index.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import { BASE, JSON_HEADERS } from "./fixture.js";

const app = createApp();
class Counter {
  value = 0;
  add(n: number): void {
    this.value += n;
  }
}
app.entity("Counter", Counter);
app.entity("Notes", (ctx: EntityContext<unknown[]>) => {
  if (ctx.operationName === "append") ctx.setState([...ctx.getState(() => [] as unknown[]), ctx.getInput()]);
});

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function start(apiKey?: string): { rt: TestRuntime; call: (method: string, path: string, init?: RequestInit) => Promise<Response> } {
  rt = startRuntime(app);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const handler: FetchHandler = createHttpHandler({ app, client: rt.client, logger: silent, apiKey });
  return { rt, call: (method, path, init = {}) => handler(new Request(`${BASE}${path}`, { method, ...init })) };
}

async function stateOf(rt: TestRuntime, name: string, key: string): Promise<unknown> {
  return (await rt.client.readEntityState(entityId(name, key))).state;
}

describe("entity routes", () => {
  it("signals with a JSON body (202), then reads the raw state (200)", async () => {
    const { rt, call } = start();
    const signalled = await call("POST", "/entities/Counter/c1?op=add", { body: "5", headers: JSON_HEADERS });
    expect(signalled.status).toBe(202);
    expect(await signalled.text()).toBe("");
    await waitUntil(async () => (await stateOf(rt, "Counter", "c1")) !== undefined, "c1 has state");
    const read = await call("GET", "/entities/counter/c1");
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ value: 5 });
  });

  it("passes a body of another content type as a string", async () => {
    const { rt, call } = start();
    expect((await call("POST", "/entities/Notes/n1?op=append", { body: "plain text", headers: { "content-type": "text/plain" } })).status).toBe(202);
    await waitUntil(async () => (await stateOf(rt, "Notes", "n1")) !== undefined, "n1 has state");
    expect(await (await call("GET", "/entities/Notes/n1")).json()).toEqual(["plain text"]);
  });

  it("answers 404 for an entity without state, and 400 for the empty key '$'", async () => {
    const { call } = start();
    expect((await call("GET", "/entities/Counter/none")).status).toBe(404);
    const empty = await call("GET", "/entities/Counter/$");
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toMatch(/non-empty/);
  });

  it("refuses bad JSON and a missing op (400), and an unregistered entity name (404)", async () => {
    const { call } = start();
    expect((await call("POST", "/entities/Counter/c1?op=add", { body: "{nope", headers: JSON_HEADERS })).status).toBe(400);
    expect((await call("POST", "/entities/Counter/c1", { body: "1", headers: JSON_HEADERS })).status).toBe(400);
    const unknown = await call("POST", "/entities/Nope/k?op=add", { body: "1", headers: JSON_HEADERS });
    expect(unknown.status).toBe(404);
    expect((await call("DELETE", "/entities/Nope/k")).status).toBe(404);
  });

  it("DELETE signals 'delete' (202): a class entity without such a method loses its state", async () => {
    const { rt, call } = start();
    await rt.client.signalEntity(entityId("Counter", "d1"), "add", 2);
    await waitUntil(async () => (await stateOf(rt, "Counter", "d1")) !== undefined, "d1 has state");
    expect((await call("DELETE", "/entities/Counter/d1")).status).toBe(202);
    await waitUntil(async () => (await stateOf(rt, "Counter", "d1")) === undefined, "d1 is deleted");
    expect((await call("GET", "/entities/Counter/d1")).status).toBe(404);
  });

  it("lists entities, by name, with state on request, page by page", async () => {
    const { rt, call } = start();
    for (const key of ["a", "b", "c"]) await rt.client.signalEntity(entityId("Counter", key), "add", 1);
    await rt.client.signalEntity(entityId("Notes", "x"), "append", "hi");
    await waitUntil(async () => (await rt.client.listEntities()).entities.filter((e) => e.exists).length === 4, "four entities have state");

    const all = await call("GET", "/entities");
    expect(all.status).toBe(200);
    const entities = (await all.json()) as Array<{ entityId: { name: string; key: string }; lastOperationTime: string; state?: unknown }>;
    expect(entities.map((e) => `${e.entityId.name}/${e.entityId.key}`).sort()).toEqual(["counter/a", "counter/b", "counter/c", "notes/x"]);
    expect(entities.every((e) => !("state" in e) && !Number.isNaN(Date.parse(e.lastOperationTime)))).toBe(true);

    const notes = await call("GET", "/entities/Notes?fetchState=true");
    expect(await notes.json()).toEqual([{ entityId: { name: "notes", key: "x" }, lastOperationTime: expect.any(String), state: ["hi"] }]);

    const first = await call("GET", "/entities/Counter?top=2");
    const token = first.headers.get("x-ms-continuation-token");
    expect(token).toBeTruthy();
    const second = await call("GET", "/entities/Counter?top=2", { headers: { "x-ms-continuation-token": token! } });
    const keys = [...((await first.json()) as Array<{ entityId: { key: string } }>), ...((await second.json()) as Array<{ entityId: { key: string } }>)];
    expect(keys.map((e) => e.entityId.key).sort()).toEqual(["a", "b", "c"]);

    expect((await call("GET", "/entities?top=0")).status).toBe(400);
    expect((await call("GET", "/entities?lastOperationTimeFrom=2026-01-01")).status).toBe(400);
  });

  it("needs the API key like every management route", async () => {
    const { call } = start("s3cret");
    expect((await call("GET", "/entities")).status).toBe(401);
    expect((await call("POST", "/entities/Counter/c1?op=add", { body: "1", headers: JSON_HEADERS })).status).toBe(401);
    expect((await call("GET", "/entities", { headers: { "x-api-key": "s3cret" } })).status).toBe(200);
  });
});

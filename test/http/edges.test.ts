/**
 * Malformed requests to the management API answer 4xx and change nothing stored, on both stores:
 * a time that is not ISO 8601 on a purge, an entity reached through the orchestration routes, a
 * broken percent-encoding in a path, unknown statuses; and a connection refused a body too large
 * is closed rather than left to read the rest of that body as the next request.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpHandler, serve, type FetchHandler } from "../../src/index.js";
import { app, seed, snapshot } from "../helpers/edge-app.js";
import { STORE_KINDS, announceStores, startRuntimeOn, type StoreRuntime } from "../helpers/stores.js";

announceStores("the HTTP edge suite");

const BASE = "http://localhost/runtime/webhooks/durabletask";

let rt: StoreRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

async function setUp(kind: (typeof STORE_KINDS)[number]): Promise<FetchHandler> {
  rt = await startRuntimeOn(kind, app);
  await seed(rt);
  return createHttpHandler({ client: rt.client, app });
}

function call(handler: FetchHandler, method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  return handler(new Request(`${BASE}${path}`, init));
}

async function expectAnswer(response: Response, status: number, message?: RegExp): Promise<void> {
  const body = (await response.json()) as { code: string; message: string };
  expect({ status: response.status, body }).toMatchObject({ status });
  if (message !== undefined) expect(body.message).toMatch(message);
}

describe.each(STORE_KINDS)("on %s, the management API", (kind) => {
  it("answers 400 for a purge or list time that is not ISO 8601, or a status it cannot purge, and purges nothing", { timeout: 90_000 }, async () => {
    const handler = await setUp(kind);
    const before = await snapshot(rt!);
    await expectAnswer(await call(handler, "DELETE", "/instances?createdTimeFrom=1"), 400, /'createdTimeFrom' must be an ISO 8601 date or time.*received "1"/);
    await expectAnswer(await call(handler, "DELETE", "/instances?createdTimeFrom=2026-02-30"), 400, /ISO 8601/);
    await expectAnswer(await call(handler, "DELETE", "/instances?createdTimeFrom=2020-01-01&createdTimeTo=soon"), 400, /'createdTimeTo'/);
    await expectAnswer(await call(handler, "DELETE", "/instances?createdTimeFrom=2020-01-01&runtimeStatus=Running"), 400, /not a status of a finished instance/);
    await expectAnswer(await call(handler, "DELETE", "/instances?createdTimeFrom=2020-01-01&runtimeStatus=Nope"), 400, /unknown runtime status "Nope"/);
    await expectAnswer(await call(handler, "GET", "/instances?runtimeStatus=Bogus"), 400, /unknown runtime status "Bogus"/);
    await expectAnswer(await call(handler, "GET", "/instances?createdTimeFrom=1"), 400, /ISO 8601/);
    expect(await snapshot(rt!)).toEqual(before);
    // A real time purges what it names.
    const purged = await call(handler, "DELETE", "/instances?createdTimeFrom=2020-01-01T00:00:00Z&runtimeStatus=Completed");
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
  });

  it("answers 404 for an entity reached through the orchestration routes, and leaves it as it was", { timeout: 90_000 }, async () => {
    const handler = await setUp(kind);
    const before = await snapshot(rt!);
    const entity = "/instances/%40counter%40c1";
    await expectAnswer(await call(handler, "POST", `${entity}/raiseEvent/Go`, 1), 404);
    await expectAnswer(await call(handler, "POST", `${entity}/terminate?reason=x`), 404);
    await expectAnswer(await call(handler, "POST", `${entity}/suspend`), 404);
    await expectAnswer(await call(handler, "POST", `${entity}/resume`), 404);
    await expectAnswer(await call(handler, "POST", `${entity}/rewind`), 404);
    await expectAnswer(await call(handler, "GET", entity), 404);
    await expectAnswer(await call(handler, "DELETE", entity), 404);
    expect(await snapshot(rt!)).toEqual(before);
    const state = await call(handler, "GET", "/entities/Counter/c1");
    expect(await state.json()).toBe(2);
  });

  it("answers 400 for a malformed percent-encoding in the path or the query, and starts nothing", { timeout: 90_000 }, async () => {
    const handler = await setUp(kind);
    const before = await snapshot(rt!);
    await expectAnswer(await call(handler, "POST", "/orchestrators/Hold/%E0%A4%A"), 400, /malformed percent-encoding in '%E0%A4%A'/);
    await expectAnswer(await call(handler, "POST", "/orchestrators/Hold/%zz"), 400, /malformed percent-encoding/);
    await expectAnswer(await call(handler, "POST", "/orchestrators/%C3"), 400, /malformed percent-encoding/);
    await expectAnswer(await call(handler, "GET", "/instances?instanceIdPrefix=%E0%A4%A"), 400, /malformed percent-encoding/);
    await expectAnswer(await call(handler, "GET", "/instances/held?showInput=%FF"), 400, /malformed percent-encoding/);
    expect(await snapshot(rt!)).toEqual(before);
    // Well-formed encodings of the same kind still work.
    const started = await call(handler, "POST", `/orchestrators/Hold/${encodeURIComponent("order-ä#1")}`);
    expect(started.status).toBe(400); // '#' is not allowed in an id: refused by the id rules, not the decoder
    const ok = await call(handler, "POST", `/orchestrators/Hold/${encodeURIComponent("order-ä 1")}`);
    expect(ok.status).toBe(202);
    expect((await rt!.client.getStatus("order-ä 1"))?.runtimeStatus).toMatch(/Pending|Running/);
  });
});

describe("a request refused for its size", () => {
  it("is answered with the connection closed, so no later request starts inside its unread body", { timeout: 60_000 }, async () => {
    rt = await startRuntimeOn("sqlite", app);
    const server = await serve({ client: rt.client, app, port: 0, maxBodyBytes: 1000 });
    try {
      const body = "x".repeat(50_000);
      const answer = await new Promise<{ text: string; closed: boolean }>((resolve, reject) => {
        const socket = connect(server.port, "127.0.0.1");
        let text = "";
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          // A request sent after the answer would start inside the unread body: it must find the connection closed.
          if (text.includes("\r\n\r\n")) socket.write("GET /runtime/webhooks/durabletask/instances HTTP/1.1\r\nHost: x\r\n\r\n", () => undefined);
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve({ text, closed: true }));
        socket.on("timeout", () => reject(new Error("the server kept the connection open")));
        socket.setTimeout(20_000);
        socket.write(
          `POST /runtime/webhooks/durabletask/orchestrators/Hold HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.text.toLowerCase()).toContain("connection: close");
      expect(answer.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
      // A new connection is served as usual.
      const next = await fetch(`${server.url}/runtime/webhooks/durabletask/instances`);
      expect(next.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

/**
 * The check-status helpers (exact body and headers), HTTP functions (route parameters, the
 * client they receive, errors), and the registration rules of `app.http`.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createApp,
  createCheckStatusResponse,
  createHttpManagementPayload,
  DuplicateRegistrationError,
  httpClient,
  InvalidArgumentError,
  waitForCompletionOrCreateCheckStatusResponse,
} from "../../src/index.js";
import { Client } from "../../src/runtime/client.js";
import { BASE, startHttp, waitUntilWaiting, type HttpFixture } from "./fixture.js";

let fx: HttpFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function http(): HttpFixture {
  fx = startHttp();
  return fx;
}

describe("createCheckStatusResponse", () => {
  it("answers exactly Durable Functions' body and headers, on the request's origin, with the id URL-encoded", async () => {
    const response = createCheckStatusResponse(new Request("https://orders.example:8443/api/orders?x=1"), "order 7:a");
    expect(response.status).toBe(202);
    const p = "https://orders.example:8443/runtime/webhooks/durabletask/instances/order%207%3Aa";
    expect(response.headers.get("location")).toBe(p);
    expect(response.headers.get("retry-after")).toBe("10");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.text()).toBe(
      JSON.stringify({
        id: "order 7:a",
        statusQueryGetUri: p,
        sendEventPostUri: `${p}/raiseEvent/{eventName}`,
        terminatePostUri: `${p}/terminate?reason={text}`,
        purgeHistoryDeleteUri: p,
        restartPostUri: `${p}/restart`,
        suspendPostUri: `${p}/suspend?reason={text}`,
        resumePostUri: `${p}/resume?reason={text}`,
      }),
    );
  });

  it("createHttpManagementPayload has the same fields plus rewindPostUri", () => {
    const payload = createHttpManagementPayload("http://127.0.0.1:7071/runtime/webhooks/durabletask", "i1");
    const p = "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/i1";
    expect(payload).toEqual({
      id: "i1",
      statusQueryGetUri: p,
      sendEventPostUri: `${p}/raiseEvent/{eventName}`,
      terminatePostUri: `${p}/terminate?reason={text}`,
      rewindPostUri: `${p}/rewind?reason={text}`,
      purgeHistoryDeleteUri: p,
      restartPostUri: `${p}/restart`,
      suspendPostUri: `${p}/suspend?reason={text}`,
      resumePostUri: `${p}/resume?reason={text}`,
    });
  });
});

describe("waitForCompletionOrCreateCheckStatusResponse", () => {
  const request = new Request("http://localhost:7071/api/start");

  it("answers 200 with the output, the status of a failed instance, or 202 at the deadline", async () => {
    const fx = http();
    const client = fx.rt.client;
    const ok = await waitForCompletionOrCreateCheckStatusResponse(client, request, await client.startNew("Hello", { input: "a" }), {
      timeoutMs: 20_000,
      retryIntervalMs: 100,
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toBe("echo:a");

    const failedId = await client.startNew("Broken");
    const failed = await waitForCompletionOrCreateCheckStatusResponse(client, request, failedId, { timeoutMs: 20_000, retryIntervalMs: 100 });
    expect(failed.status).toBe(200);
    expect(await failed.json()).toMatchObject({ instanceId: failedId, runtimeStatus: "Failed" });

    const slowId = await client.startNew("WaitForGo", { input: "s" });
    const slow = await waitForCompletionOrCreateCheckStatusResponse(client, request, slowId, { timeoutMs: 100, retryIntervalMs: 50 });
    expect(slow.status).toBe(202);
    expect(slow.headers.get("location")).toBe(`http://localhost:7071/runtime/webhooks/durabletask/instances/${slowId}`);
  });

  it("refuses a retry interval over the timeout", async () => {
    const fx = http();
    await expect(
      waitForCompletionOrCreateCheckStatusResponse(fx.rt.client, request, "x", { timeoutMs: 100, retryIntervalMs: 1000 }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("httpClient", () => {
  it("is the client, with the check-status helpers as methods", async () => {
    const fx = http();
    const client = httpClient(fx.rt.client, "http://127.0.0.1:9999/anything");
    expect(client).toBeInstanceOf(Client);
    const id = await client.startNew("Hello", { input: "m" });
    expect((await client.waitForCompletion(id, { timeoutMs: 30_000 })).output).toBe("echo:m");
    expect(client.createHttpManagementPayload(id).statusQueryGetUri).toBe(`http://127.0.0.1:9999/runtime/webhooks/durabletask/instances/${id}`);
    expect(client.createCheckStatusResponse(new Request("http://h/api"), id).status).toBe(202);
  });
});

describe("HTTP functions", () => {
  it("receive the route parameters and a client, and may wait for the result", async () => {
    const fx = http();
    const response = await fx.call("GET", "http://localhost/api/hello/zoe");
    expect(response.status).toBe(200);
    expect(await response.json()).toBe("echo:zoe");
  });

  it("answer the async pattern's 202, whose status URL the management API serves", async () => {
    const fx = http();
    const started = await fx.call("POST", "http://localhost/api/wait/t1");
    expect(started.status).toBe(202);
    const body = (await started.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
    expect(body.statusQueryGetUri).toBe(`${BASE}/instances/${body.id}`);
    await waitUntilWaiting(fx, body.id);
    const raise = body.sendEventPostUri.replace("{eventName}", "go");
    expect((await fx.call("POST", raise, { body: "5", headers: { "content-type": "application/json" } })).status).toBe(202);
    await fx.rt.client.waitForCompletion(body.id, { timeoutMs: 30_000 });
    expect((await fx.call("GET", body.statusQueryGetUri)).status).toBe(200);
  });

  it("build management payloads on the request's origin", async () => {
    const fx = http();
    const payload = (await (await fx.call("GET", "http://perdure.test:8080/api/payload/x%20y")).json()) as Record<string, string>;
    expect(payload.rewindPostUri).toBe("http://perdure.test:8080/runtime/webhooks/durabletask/instances/x%20y/rewind?reason={text}");
  });

  it("map our errors through the table and hide anything else behind a 500 without details", async () => {
    const fx = http();
    const unknown = await fx.call("GET", "http://localhost/api/unknown");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: "UNKNOWN_ORCHESTRATION" });
    const crash = await fx.call("GET", "http://localhost/api/crash");
    expect(crash.status).toBe(500);
    const text = await crash.text();
    expect(JSON.parse(text)).toEqual({ code: "INTERNAL", message: "Something went wrong while processing your request" });
    expect(text).not.toContain("secret");
  });

  it("answer 404 for an unregistered route or method", async () => {
    const fx = http();
    expect((await fx.call("POST", "http://localhost/api/hello/zoe")).status).toBe(404);
    expect((await fx.call("GET", "http://localhost/api/other")).status).toBe(404);
  });
});

describe("app.http registration", () => {
  const fn = async () => new Response("ok");

  it("keeps the route table, rewriting {name} parameters to :name", () => {
    const app = createApp();
    app.http("get", "/api/items/{id}", fn);
    app.http("POST", "/api/items", fn);
    expect(app.httpFunctions.map((f) => `${f.method} ${f.route}`)).toEqual(["GET /api/items/:id", "POST /api/items"]);
  });

  it("refuses duplicates, bad methods, bad routes, routes under the management API, and non-functions", () => {
    const app = createApp();
    app.http("GET", "/api/a", fn);
    expect(() => app.http("GET", "/API/A", fn)).toThrow(DuplicateRegistrationError);
    expect(() => app.http("FETCH" as "GET", "/api/b", fn)).toThrow(/method must be one of/);
    expect(() => app.http("GET", "api/b", fn)).toThrow(/must be a path starting with '\/'/);
    expect(() => app.http("GET", "/runtime/webhooks/durabletask/x", fn)).toThrow(/management API owns/);
    expect(() => app.http("GET", "/api/c", "nope" as unknown as typeof fn)).toThrow(InvalidArgumentError);
  });
});

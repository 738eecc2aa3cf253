/**
 * The API key (401), the body size limit (413), and the handler served by a real server on
 * 127.0.0.1 with an ephemeral port.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createHttpHandler, serve, type HttpServer } from "../../src/index.js";
import { app, startHttp, type HttpFixture } from "./fixture.js";

let fx: HttpFixture | undefined;
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await fx?.close();
  fx = undefined;
});

describe("the API key", () => {
  it("guards every management route, from the x-api-key header or the code query parameter", async () => {
    fx = startHttp({ apiKey: "s3cret" });
    for (const [method, path] of [
      ["GET", "/instances"],
      ["GET", "/instances/x"],
      ["POST", "/orchestrators/Hello"],
      ["DELETE", "/instances?createdTimeFrom=2020-01-01"],
      ["GET", "/openapi.json"],
      ["GET", "/instances?code=wrong"],
    ] as const) {
      const response = await fx.call(method, path);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(await response.json()).toMatchObject({ code: "UNAUTHORIZED" });
    }
    expect((await fx.call("GET", "/instances", { headers: { "x-api-key": "wrong" } })).status).toBe(401);
    expect((await fx.call("GET", "/instances", { headers: { "x-api-key": "s3cret" } })).status).toBe(200);
    expect((await fx.call("GET", "/instances?code=s3cret")).status).toBe(200);
  });

  it("is not asked of the app's own HTTP functions", async () => {
    fx = startHttp({ apiKey: "s3cret" });
    expect((await fx.call("GET", "http://localhost/api/hello/kim")).status).toBe(200);
  });

  it("must be a non-empty string", () => {
    fx = startHttp();
    expect(() => createHttpHandler({ client: fx!.rt.client, apiKey: "" })).toThrow(/'apiKey' must be a non-empty string/);
    expect(() => createHttpHandler({ client: fx!.rt.client, maxBodyBytes: -1 })).toThrow(/'maxBodyBytes'/);
  });
});

describe("the body size limit", () => {
  it("answers 413 for a body over the limit, announced or streamed, and starts nothing", async () => {
    fx = startHttp({ maxBodyBytes: 1000 });
    const big = JSON.stringify("x".repeat(2000));
    const sized = await fx.handler(
      new Request("http://localhost/runtime/webhooks/durabletask/orchestrators/Hello", {
        method: "POST",
        body: big,
        headers: { "content-length": String(big.length) },
      }),
    );
    expect(sized.status).toBe(413);
    expect(await sized.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    const streamed = await fx.call("POST", "/orchestrators/Hello", { body: big });
    expect(streamed.status).toBe(413);
    expect((await fx.rt.client.list()).instances).toEqual([]);
    const small = await fx.call("POST", "/orchestrators/Hello", { body: JSON.stringify("x".repeat(100)) });
    expect(small.status).toBe(202);
  });

  it("answers 413 when the input is over the client's payload limit", async () => {
    fx = startHttp();
    const { createClient } = await import("../../src/index.js");
    const client = createClient(fx.rt.store, { app, maxPayloadBytes: 100 });
    const handler = createHttpHandler({ client, app });
    const response = await handler(
      new Request("http://localhost/runtime/webhooks/durabletask/orchestrators/Hello", { method: "POST", body: JSON.stringify("y".repeat(500)) }),
    );
    expect(response.status).toBe(413);
  });
});

describe("serve", () => {
  it("binds 127.0.0.1 on an ephemeral port and answers over the network", async () => {
    fx = startHttp();
    server = await serve({ app, client: fx.rt.client, port: 0, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const started = await fetch(`${server.url}/api/hello/net`);
    expect(started.status).toBe(200);
    expect(await started.json()).toBe("echo:net");

    const response = await fetch(`${server.url}/runtime/webhooks/durabletask/orchestrators/WaitForGo/net-1`, { method: "POST", body: '"n"' });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { statusQueryGetUri: string };
    expect(body.statusQueryGetUri).toBe(`${server.url}/runtime/webhooks/durabletask/instances/net-1`);
    const status = await fetch(body.statusQueryGetUri);
    expect([200, 202]).toContain(status.status);
    expect(await status.json()).toMatchObject({ instanceId: "net-1", name: "WaitForGo" });
  });

  it("refuses a bad port", async () => {
    fx = startHttp();
    await expect(serve({ client: fx.rt.client, port: 70_000 })).rejects.toThrow(/'port' must be an integer/);
  });
});

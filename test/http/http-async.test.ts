/**
 * The async HTTP API example end to end, over a real server on 127.0.0.1: POST /api/orders
 * answers 202 with the management URLs, and polling statusQueryGetUri turns from 202 to 200.
 */
import { afterEach, describe, expect, it } from "vitest";
import { serve, type HttpServer } from "../../src/index.js";
import * as example from "../../examples/http-async.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";

let rt: TestRuntime | undefined;
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rt?.close();
  rt = undefined;
});

describe("examples/http-async.ts", () => {
  it("starts an order with POST /api/orders and serves its status until it completes", async () => {
    rt = startRuntime(example.app);
    server = await serve({ app: example.app, client: rt.client, port: 0 });
    const started = await fetch(`${server.url}/api/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ item: "book", quantity: 2, unitPrice: 12.5 }),
    });
    expect(started.status).toBe(202);
    expect(started.headers.get("retry-after")).toBe("10");
    const links = (await started.json()) as { id: string; statusQueryGetUri: string };
    expect(started.headers.get("location")).toBe(links.statusQueryGetUri);
    expect(links.statusQueryGetUri).toBe(`${server.url}/runtime/webhooks/durabletask/instances/${links.id}`);

    const codes: number[] = [];
    let final: Record<string, unknown> | undefined;
    await waitUntil(async () => {
      const poll = await fetch(links.statusQueryGetUri);
      codes.push(poll.status);
      if (poll.status === 202) expect(poll.headers.get("location")).toBe(links.statusQueryGetUri);
      final = (await poll.json()) as Record<string, unknown>;
      return poll.status === 200;
    }, "the order completes");
    expect(codes.at(-1)).toBe(200);
    expect(codes.slice(0, -1).every((c) => c === 202)).toBe(true);
    expect(final).toMatchObject({
      name: "ProcessOrder",
      runtimeStatus: "Completed",
      customStatus: "done",
      output: { reservation: "reserved 2 x book", charged: 25, tracking: "TRACK-BOOK-2" },
    });
  });

  it("answers 400 for a malformed order and starts nothing", async () => {
    rt = startRuntime(example.app);
    server = await serve({ app: example.app, client: rt.client, port: 0 });
    const response = await fetch(`${server.url}/api/orders`, { method: "POST", body: "{}" });
    expect(response.status).toBe(400);
    expect((await rt.client.list()).instances).toEqual([]);
  });
});

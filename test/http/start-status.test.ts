/**
 * The management API route by route, part one: starting instances, an instance's status and
 * the list of instances, on a live handler over a SQLite store.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BASE, startHttp, waitForStatus, waitUntilWaiting, type HttpFixture } from "./fixture.js";

let fx: HttpFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function http(): HttpFixture {
  fx = startHttp();
  return fx;
}

const CHECK_STATUS_KEYS = [
  "id",
  "statusQueryGetUri",
  "sendEventPostUri",
  "terminatePostUri",
  "purgeHistoryDeleteUri",
  "restartPostUri",
  "suspendPostUri",
  "resumePostUri",
];

describe("POST orchestrators/{functionName}[/{instanceId}]", () => {
  it("starts with the JSON body as input and answers the 202 check-status response", async () => {
    const fx = http();
    const response = await fx.call("POST", "/orchestrators/Hello", { body: JSON.stringify("ana") });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(CHECK_STATUS_KEYS);
    expect(body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.statusQueryGetUri).toBe(`${BASE}/instances/${body.id}`);
    expect(response.headers.get("location")).toBe(body.statusQueryGetUri);
    expect(response.headers.get("retry-after")).toBe("10");
    const done = await fx.rt.client.waitForCompletion(body.id!, { timeoutMs: 30_000 });
    expect(done.output).toBe("echo:ana");
  });

  it("takes the instance id from the path, and refuses an id in use with 409", async () => {
    const fx = http();
    const first = await fx.call("POST", "/orchestrators/WaitForGo/order-1", { body: '"t"' });
    expect(first.status).toBe(202);
    expect(((await first.json()) as { id: string }).id).toBe("order-1");
    const again = await fx.call("POST", "/orchestrators/WaitForGo/order-1", { body: '"t"' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "INSTANCE_EXISTS" });
  });

  it("starts without a body (no input)", async () => {
    const fx = http();
    const response = await fx.call("POST", "/orchestrators/Broken");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await fx.rt.client.getStatus(id))?.input).toBeUndefined();
  });

  it.each([
    ["an unknown orchestration", "/orchestrators/Nope", '"x"', /No orchestration named 'Nope'/],
    ["invalid JSON", "/orchestrators/Hello", "{not json", /^Invalid JSON content/],
    ["an invalid instance id", "/orchestrators/Hello/%40entity", '"x"', /Invalid instance id/],
    ["a bad timeout", "/orchestrators/Hello?timeout=abc&pollingInterval=1", '"x"', /'timeout' must be a positive number/],
    ["a polling interval over the timeout", "/orchestrators/Hello?timeout=1&pollingInterval=5", '"x"', /should be bigger/],
  ])("answers 400 for %s and starts nothing", async (_what, path, body, message) => {
    const fx = http();
    const response = await fx.call("POST", path, { body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
    expect((await fx.rt.client.list()).instances).toEqual([]);
  });

  it("waits with timeout and pollingInterval (seconds): 200 with the raw output when it finishes in time", async () => {
    const fx = http();
    const response = await fx.call("POST", "/orchestrators/Hello?timeout=20&pollingInterval=0.1", { body: '"bo"' });
    expect(response.status).toBe(200);
    expect(await response.json()).toBe("echo:bo");
  });

  it("waits, then answers the 202 check-status response when the instance is still running", async () => {
    const fx = http();
    const response = await fx.call("POST", "/orchestrators/WaitForGo/slow?timeout=0.2&pollingInterval=0.1", { body: '"s"' });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ id: "slow", statusQueryGetUri: `${BASE}/instances/slow` });
  });
});

describe("GET instances/{id}", () => {
  it("answers 202 with Location and Retry-After while running, 200 with the status once finished", async () => {
    const fx = http();
    await fx.rt.client.startNew("WaitForGo", { instanceId: "w1", input: "tag" });
    await waitUntilWaiting(fx, "w1");
    const running = await fx.call("GET", "/instances/w1");
    expect(running.status).toBe(202);
    expect(running.headers.get("location")).toBe(`${BASE}/instances/w1`);
    expect(running.headers.get("retry-after")).toBe("5");
    expect(await running.json()).toMatchObject({ runtimeStatus: "Running", customStatus: "waiting", output: null });

    await fx.rt.client.raiseEvent("w1", "go", 7);
    await waitForStatus(fx, "w1", "Completed");
    const done = await fx.call("GET", "/instances/w1");
    expect(done.status).toBe(200);
    expect(done.headers.get("location")).toBeNull();
    const body = (await done.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"]);
    expect(body).toMatchObject({ name: "WaitForGo", instanceId: "w1", runtimeStatus: "Completed", input: "tag", output: { tag: "tag", v: 7 } });
    expect(body.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(body.lastUpdatedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("leaves the input out with showInput=false and shows the history, as Durable Functions shapes it", async () => {
    const fx = http();
    const id = await fx.rt.client.startNew("Hello", { input: "cy" });
    await fx.rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    const plain = (await (await fx.call("GET", `/instances/${id}?showInput=false&showHistory=true`)).json()) as Record<string, unknown>;
    expect(plain.input).toBeNull();
    const events = plain.historyEvents as Record<string, unknown>[];
    expect(events.map((e) => e.EventType)).toEqual(["ExecutionStarted", "TaskCompleted", "ExecutionCompleted"]);
    expect(events[0]).toMatchObject({ FunctionName: "Hello" });
    expect(events[1]).toMatchObject({ FunctionName: "Echo", ScheduledTime: expect.any(String), Timestamp: expect.any(String) });
    expect(events[1]).not.toHaveProperty("Result");
    expect(events[2]).toMatchObject({ OrchestrationStatus: "Completed" });

    const withOutput = (await (await fx.call("GET", `/instances/${id}?showHistory=true&showHistoryOutput=true`)).json()) as {
      historyEvents: Record<string, unknown>[];
    };
    expect(withOutput.historyEvents[1]).toMatchObject({ Result: "echo:cy" });
    expect(withOutput.historyEvents[2]).toMatchObject({ Result: "echo:cy" });
  });

  it("shows a failure without any stack trace, and answers 500 with returnInternalServerErrorOnFailure", async () => {
    const fx = http();
    const id = await fx.rt.client.startNew("Broken");
    await fx.rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    const response = await fx.call("GET", `/instances/${id}?showHistory=true`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toMatch(/stack|\bat .*:\d+:\d+/i);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body.output).toBe("Orchestrator function 'Broken' failed: kaput");
    expect(body.failureDetails).toEqual({ errorType: "Error", errorMessage: "kaput" });
    expect((await fx.call("GET", `/instances/${id}?returnInternalServerErrorOnFailure=true`)).status).toBe(500);
  });

  it("answers 404 for an unknown instance and 400 for a malformed parameter", async () => {
    const fx = http();
    const missing = await fx.call("GET", "/instances/nobody");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "INSTANCE_NOT_FOUND" });
    await fx.rt.client.startNew("Hello", { instanceId: "h", input: "x" });
    expect((await fx.call("GET", "/instances/h?showHistory=yes")).status).toBe(400);
  });
});

describe("GET instances", () => {
  it("filters by status, prefix and creation time, and pages with x-ms-continuation-token", async () => {
    const fx = http();
    for (const id of ["a-1", "a-2", "a-3", "b-1"]) await fx.rt.client.startNew("Hello", { instanceId: id, input: id });
    await fx.rt.client.startNew("WaitForGo", { instanceId: "a-w", input: "w" });
    for (const id of ["a-1", "a-2", "a-3", "b-1"]) await waitForStatus(fx, id, "Completed");

    const all = (await (await fx.call("GET", "/instances")).json()) as Array<Record<string, unknown>>;
    expect(all.map((s) => s.instanceId).sort()).toEqual(["a-1", "a-2", "a-3", "a-w", "b-1"]);
    expect(all.find((s) => s.instanceId === "a-1")?.input).toBe("a-1");

    const prefixed = (await (await fx.call("GET", "/instances?instanceIdPrefix=a-&runtimeStatus=Completed,Failed&showInput=false")).json()) as Array<
      Record<string, unknown>
    >;
    expect(prefixed.map((s) => s.instanceId).sort()).toEqual(["a-1", "a-2", "a-3"]);
    expect(prefixed.every((s) => s.input === null)).toBe(true);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await (await fx.call("GET", `/instances?createdTimeFrom=${future}`)).json()).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(((await (await fx.call("GET", `/instances?createdTimeFrom=${past}&createdTimeTo=${future}`)).json()) as unknown[]).length).toBe(5);

    const seen: string[] = [];
    let token: string | null = null;
    do {
      const page: Response = await fx.call("GET", "/instances?top=2", token ? { headers: { "x-ms-continuation-token": token } } : {});
      const items = (await page.json()) as Array<{ instanceId: string }>;
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((s) => s.instanceId));
      token = page.headers.get("x-ms-continuation-token");
    } while (token);
    expect(seen.sort()).toEqual(["a-1", "a-2", "a-3", "a-w", "b-1"]);
  });

  it.each(["runtimeStatus=Done", "top=0", "top=x", "createdTimeFrom=yesterday", "showInput=maybe"])("answers 400 for %s", async (query) => {
    const fx = http();
    const response = await fx.call("GET", `/instances?${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("routes that do not exist", () => {
  it.each([
    ["GET", "/orchestrators/Hello"],
    ["PUT", "/instances/x"],
    ["GET", "/entities/Counter/c1"],
    ["POST", "/entities/Counter/c1?op=add"],
    ["GET", "/nothing"],
  ])("%s %s answers 404", async (method, path) => {
    const fx = http();
    expect((await fx.call(method, path)).status).toBe(404);
  });
});

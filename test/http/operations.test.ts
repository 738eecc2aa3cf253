/**
 * The management API route by route, part two: events, terminate, suspend, resume, rewind,
 * restart and purge, with Durable Functions' status codes (202, 404, 409, 410, 412, 400).
 */
import { afterEach, describe, expect, it } from "vitest";
import { JSON_HEADERS, startHttp, waitForStatus, waitUntilWaiting, type HttpFixture } from "./fixture.js";

let fx: HttpFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function http(): HttpFixture {
  fx = startHttp();
  return fx;
}

async function waiting(fx: HttpFixture, id: string): Promise<void> {
  await fx.rt.client.startNew("WaitForGo", { instanceId: id, input: id });
  await waitUntilWaiting(fx, id);
}

async function finished(fx: HttpFixture, id: string, name = "Hello"): Promise<void> {
  await fx.rt.client.startNew(name, { instanceId: id, input: id });
  await fx.rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
}

describe("POST instances/{id}/raiseEvent/{event}", () => {
  it("delivers JSON data with 202 and no body", async () => {
    const fx = http();
    await waiting(fx, "e1");
    const response = await fx.call("POST", "/instances/e1/raiseEvent/go", { body: "42", headers: JSON_HEADERS });
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    expect((await fx.rt.client.waitForCompletion("e1", { timeoutMs: 30_000 })).output).toEqual({ tag: "e1", v: 42 });
  });

  it("needs a JSON content type and valid JSON (400)", async () => {
    const fx = http();
    await waiting(fx, "e2");
    const text = await fx.call("POST", "/instances/e2/raiseEvent/go", { body: "42", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(400);
    expect(await text.json()).toMatchObject({ message: "Only application/json request content is supported" });
    const bad = await fx.call("POST", "/instances/e2/raiseEvent/go", { body: "{", headers: JSON_HEADERS });
    expect(bad.status).toBe(400);
    expect((await fx.rt.client.getStatus("e2"))?.runtimeStatus).toBe("Running");
  });

  it("answers 404 for an unknown instance and 410 for a finished one", async () => {
    const fx = http();
    expect((await fx.call("POST", "/instances/none/raiseEvent/go", { body: "1", headers: JSON_HEADERS })).status).toBe(404);
    await finished(fx, "done");
    const gone = await fx.call("POST", "/instances/done/raiseEvent/go", { body: "1", headers: JSON_HEADERS });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ code: "INVALID_INSTANCE_STATE" });
  });
});

describe("POST instances/{id}/terminate|suspend|resume", () => {
  it("suspends, resumes and terminates with a reason, each 202", async () => {
    const fx = http();
    await waiting(fx, "t1");
    expect((await fx.call("POST", "/instances/t1/suspend?reason=pause")).status).toBe(202);
    await waitForStatus(fx, "t1", "Suspended");
    expect((await fx.call("POST", "/instances/t1/resume?reason=go%20on")).status).toBe(202);
    await waitForStatus(fx, "t1", "Running");
    expect((await fx.call("POST", "/instances/t1/terminate?reason=enough")).status).toBe(202);
    await waitForStatus(fx, "t1", "Terminated");
    const status = (await (await fx.call("GET", "/instances/t1")).json()) as { output: unknown };
    expect(status.output).toBe("enough");
  });

  it.each(["terminate", "suspend", "resume"])("%s answers 404 for an unknown instance and 410 for a finished one", async (op) => {
    const fx = http();
    expect((await fx.call("POST", `/instances/nobody/${op}`)).status).toBe(404);
    await finished(fx, "f");
    expect((await fx.call("POST", `/instances/f/${op}`)).status).toBe(410);
  });
});

describe("POST instances/{id}/rewind", () => {
  it("rewinds a Failed instance (202), which then completes", async () => {
    const fx = http();
    await finished(fx, "r1", "Rewindable");
    expect((await fx.rt.client.getStatus("r1"))?.runtimeStatus).toBe("Failed");
    expect((await fx.call("POST", "/instances/r1/rewind?reason=retry")).status).toBe(202);
    await waitForStatus(fx, "r1", "Completed");
  });

  it("answers 404 unknown, 410 Completed or Terminated, 412 Running", async () => {
    const fx = http();
    expect((await fx.call("POST", "/instances/nobody/rewind")).status).toBe(404);
    await finished(fx, "ok");
    expect((await fx.call("POST", "/instances/ok/rewind")).status).toBe(410);
    await waiting(fx, "live");
    const running = await fx.call("POST", "/instances/live/rewind");
    expect(running.status).toBe(412);
    expect(((await running.json()) as { message: string }).message).toMatch(/only orchestrations in the "Failed" state can be rewound/);
    await fx.rt.client.terminate("live");
    await waitForStatus(fx, "live", "Terminated");
    expect((await fx.call("POST", "/instances/live/rewind")).status).toBe(410);
  });
});

describe("POST instances/{id}/restart", () => {
  it("restarts under a new id by default, with the original input", async () => {
    const fx = http();
    await finished(fx, "orig");
    const response = await fx.call("POST", "/instances/orig/restart");
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect(id).not.toBe("orig");
    const status = await fx.rt.client.waitForCompletion(id, { timeoutMs: 30_000 });
    expect(status).toMatchObject({ name: "Hello", input: "orig", output: "echo:orig" });
  });

  it("restarts under the same id when finished, and refuses a running one with 409", async () => {
    const fx = http();
    await finished(fx, "same");
    const response = await fx.call("POST", "/instances/same/restart?restartWithNewInstanceId=false&timeout=20&pollingInterval=0.1");
    expect(response.status).toBe(200);
    expect(await response.json()).toBe("echo:same");
    await waiting(fx, "busy");
    const busy = await fx.call("POST", "/instances/busy/restart?restartWithNewInstanceId=false");
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ message: "A non-terminal instance with this instance ID already exists." });
  });

  it("client.restart takes a given new id too, and refuses an unknown instance", async () => {
    const fx = http();
    await finished(fx, "src");
    expect(await fx.rt.client.restart("src", { newInstanceId: "copy" })).toBe("copy");
    expect((await fx.rt.client.waitForCompletion("copy", { timeoutMs: 30_000 })).output).toBe("echo:src");
    await expect(fx.rt.client.restart("nobody")).rejects.toThrow(/No instance with id 'nobody'/);
  });

  it("answers 400 for an unknown instance, as Durable Functions does", async () => {
    const fx = http();
    const response = await fx.call("POST", "/instances/nobody/restart");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: "InstanceId does not match a valid orchestration instance." });
  });
});

describe("DELETE instances/{id}", () => {
  it("purges a finished instance (200, instancesDeleted 1), then 404", async () => {
    const fx = http();
    await finished(fx, "p1");
    const response = await fx.call("DELETE", "/instances/p1");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"instancesDeleted":1}');
    expect((await fx.call("DELETE", "/instances/p1")).status).toBe(404);
    expect((await fx.call("GET", "/instances/p1")).status).toBe(404);
  });

  it("refuses a running instance with 412 and keeps it", async () => {
    const fx = http();
    await waiting(fx, "p2");
    const response = await fx.call("DELETE", "/instances/p2");
    expect(response.status).toBe(412);
    expect(((await response.json()) as { message: string }).message).toMatch(/Only orchestrations in a terminal state can be purged/);
    expect((await fx.rt.client.getStatus("p2"))?.runtimeStatus).toBe("Running");
  });
});

describe("DELETE instances", () => {
  it("needs createdTimeFrom, with Durable Functions' message", async () => {
    const fx = http();
    const response = await fx.call("DELETE", "/instances");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: "Please provide value for 'createdTimeFrom' parameter." });
  });

  it("purges the finished instances matching the filter; 404 when none matches", async () => {
    const fx = http();
    await finished(fx, "x1");
    await finished(fx, "x2");
    await finished(fx, "x3", "Broken");
    await waiting(fx, "x4");
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const failedOnly = await fx.call("DELETE", `/instances?createdTimeFrom=${from}&runtimeStatus=Failed`);
    expect(await failedOnly.json()).toEqual({ instancesDeleted: 1 });
    const rest = await fx.call("DELETE", `/instances?createdTimeFrom=${from}`);
    expect(rest.status).toBe(200);
    expect(await rest.json()).toEqual({ instancesDeleted: 2 });
    expect((await fx.call("DELETE", `/instances?createdTimeFrom=${from}`)).status).toBe(404);
    expect((await fx.rt.client.getStatus("x4"))?.runtimeStatus).toBe("Running");
    expect((await fx.call("DELETE", `/instances?createdTimeFrom=${from}&runtimeStatus=Gone`)).status).toBe(400);
  });
});

import { afterEach, expect, it } from "vitest";
import { createApp, createClient, sqlite, type Store } from "../../src/index.js";
import { newEvent } from "../../src/core/history.js";

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

it("shows payloads that are not JSON (written by other SDKs) as text instead of failing the status read", async () => {
  store = sqlite(":memory:");
  const client = createClient(store, { app: createApp() });
  const now = new Date().toISOString();
  await store.createInstance({
    instanceId: "foreign-1",
    name: "PythonOrchestration",
    executionId: "0123456789abcdef0123456789abcdef",
    input: "",
    reuse: "never",
    startEvent: newEvent("ExecutionStarted", now, {
      name: "PythonOrchestration",
      input: "",
      instanceId: "foreign-1",
      executionId: "0123456789abcdef0123456789abcdef",
    }),
  });
  const status = await client.getStatus("foreign-1");
  expect(status?.input).toBe("");
  expect(status?.runtimeStatus).toBe("Pending");
  const listed = await client.list({ showInput: true });
  expect(listed.instances.map((i) => i.input)).toEqual([""]);
});

/**
 * The entity commands as a child process against a temporary SQLite file: get, signal and list,
 * in text and --json, with their exit codes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createClient, createWorker, entityId, sqlite } from "../../src/index.js";
import { waitUntil } from "../helpers/runtime.js";
import { perdure } from "./cli-helpers.js";

const app = createApp();
class Counter {
  value = 0;
  add(n: number): void {
    this.value += n;
  }
}
app.entity("Counter", Counter);

let dir: string;
let db: string;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs a worker until every listed counter has the value. */
async function runWorkerUntil(expected: Record<string, number>): Promise<void> {
  const store = sqlite(db);
  const worker = createWorker(app, store, { logger: silent }).start();
  const client = createClient(store, { app });
  try {
    for (const [key, value] of Object.entries(expected)) {
      await waitUntil(async () => ((await client.readEntityState(entityId("Counter", key))).state as Counter | undefined)?.value === value, `${key} is ${value}`);
    }
  } finally {
    await worker.stop();
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "perdure-cli-entity-"));
  db = join(dir, "store.db");
  const store = sqlite(db);
  const client = createClient(store, { app });
  for (const key of ["a", "b", "c"]) await client.signalEntity(entityId("Counter", key), "add", 1);
  await store.close();
  await runWorkerUntil({ a: 1, b: 1, c: 1 });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (...args: string[]) => [...args, "--store", db];

describe("perdure entity", () => {
  it("has help for the group and each command", async () => {
    const main = await perdure(["--help"]);
    expect(main.stdout).toMatch(/\n {2}entity /);
    const group = await perdure(["entity", "--help"]);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/get \[options\] <name> <key>/);
    expect(group.stdout).toMatch(/signal \[options\] <name> <key> <operation>/);
    const signal = await perdure(["entity", "signal", "--help"]);
    expect(signal.stdout).toMatch(/--input <json>/);
    expect(signal.stdout).toMatch(/--url <url>/);
  });

  it("get prints the state, or fails with 1 when the entity has none", async () => {
    const text = await perdure(at("entity", "get", "Counter", "a"));
    expect(text.code).toBe(0);
    expect(JSON.parse(text.stdout)).toEqual({ value: 1 });
    const json = await perdure(at("entity", "get", "counter", "a", "--json"));
    expect(json.stdout.trim()).toBe('{"value":1}');
    const missing = await perdure(at("entity", "get", "Counter", "zzz"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });

  it("signal queues the operation, which a worker then runs", async () => {
    const text = await perdure(at("entity", "signal", "Counter", "a", "add", "--input", "41"));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Signalled 'add'/);
    const json = await perdure(at("entity", "signal", "Counter", "new", "add", "--input", "7", "--json"));
    expect(JSON.parse(json.stdout)).toEqual({ entityId: { name: "Counter", key: "new" }, operation: "add", accepted: true });
    await runWorkerUntil({ a: 42, new: 7 });
  }, 60_000);

  it("list shows entities with state, by name, with --top", async () => {
    const json = await perdure(at("entity", "list", "--name", "Counter", "--json"));
    expect(json.code).toBe(0);
    const entities = JSON.parse(json.stdout) as Array<{ entityId: { key: string }; state: unknown }>;
    expect(entities.map((e) => e.entityId.key)).toEqual(expect.arrayContaining(["a", "b", "c"]));
    expect(entities.find((e) => e.entityId.key === "b")?.state).toEqual({ value: 1 });
    const text = await perdure(at("entity", "list", "--top", "2"));
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split("\n")).toHaveLength(2);
    expect(text.stderr).toMatch(/More entities exist/);
  });

  it("exits 2 on usage errors", async () => {
    expect((await perdure(at("entity", "signal", "Counter", "a"))).code).toBe(2);
    expect((await perdure(at("entity", "signal", "Counter", "a", "add", "--input", "{bad"))).code).toBe(2);
    expect((await perdure(at("entity", "list", "--top", "0"))).code).toBe(2);
    expect((await perdure(at("entity", "get", "Counter", "$"))).code).toBe(2);
  });
});

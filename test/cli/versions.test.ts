/**
 * Versions at the edges: the HTTP API starts and lists by version and shows it in statuses; the
 * CLI's start and list take --version (the program's own --version still prints Perdure's), and
 * status shows the instance's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createClient, createHttpHandler, sqlite } from "../../src/index.js";
import { perdure } from "./cli-helpers.js";

const BASE = "http://localhost/runtime/webhooks/durabletask";
let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "perdure-cli-versions-"));
  db = join(dir, "store.db");
  sqlite(db).close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the HTTP API", () => {
  it("starts the version asked for (else the newest), lists by version and shows it", async () => {
    const app = createApp();
    for (const version of ["1", "2"]) app.orchestration("Flow", { version }, function* () {});
    const store = sqlite(":memory:");
    try {
      const handler = createHttpHandler({ app, client: createClient(store, { app }) });
      const start = (query: string) => handler(new Request(`${BASE}/orchestrators/Flow${query}`, { method: "POST" }));
      const pinned = (await (await start("?version=1")).json()) as { id: string };
      const newest = (await (await start("")).json()) as { id: string };
      expect((await start("?version=9")).status).toBe(400);
      const status = (await (await handler(new Request(`${BASE}/instances/${pinned.id}`))).json()) as { version?: string };
      expect(status.version).toBe("1");
      const listed = (await (await handler(new Request(`${BASE}/instances?version=2`))).json()) as Array<{ instanceId: string; version: string }>;
      expect(listed.map((s) => [s.instanceId, s.version])).toEqual([[newest.id, "2"]]);
    } finally {
      await store.close();
    }
  });
});

describe("the CLI", () => {
  it("starts with --version, shows it in status and lists by it", async () => {
    const start = await perdure(["start", "Flow", "--version", "2.1", "--id", "flow-v2", "--store", db]);
    expect(start.code, start.stderr).toBe(0);
    expect((await perdure(["start", "Flow", "--id", "flow-plain", "--store", db])).code).toBe(0);
    const status = await perdure(["status", "flow-v2", "--store", db]);
    expect(status.stdout).toMatch(/^Version: +2\.1$/m);
    const list = await perdure(["list", "--version", "2.1", "--store", db]);
    expect(list.stdout).toMatch(/flow-v2 +Flow +2\.1 +Pending/);
    expect(list.stdout).not.toContain("flow-plain");
    const plain = await perdure(["list", "--version", "", "--store", db, "--json"]);
    expect((JSON.parse(plain.stdout) as Array<{ instanceId: string }>).map((s) => s.instanceId)).toEqual(["flow-plain"]);
  });

  it("refuses an empty version to start, and keeps --version of the program", async () => {
    const empty = await perdure(["start", "Flow", "--version", "", "--store", db]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--version "" is invalid: it is empty/);
    const own = await perdure(["--version"]);
    expect(own.code).toBe(0);
    expect(own.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

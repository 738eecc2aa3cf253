/**
 * The CLI as a child process against a temporary SQLite file: help, usage errors, and every
 * instance command with --store, in text and --json, with its exit code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, createWorker, sqlite } from "../../src/index.js";
import { app } from "./fixtures/app.js";
import { replayHistory } from "../../src/testing/index.js";
import { perdure } from "./cli-helpers.js";

let dir: string;
let db: string;

/** Fills the store: a completed, a failed, a waiting instance, and many finished ones to purge. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "perdure-cli-"));
  db = join(dir, "store.db");
  const store = sqlite(db);
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const worker = createWorker(app, store, { logger: silent }).start();
  const client = createClient(store, { app });
  try {
    await client.startNew("Hello", { instanceId: "done-1", input: "ana" });
    await client.startNew("Broken", { instanceId: "failed-1" });
    await client.startNew("WaitForGo", { instanceId: "wait-1" });
    for (let i = 0; i < 600; i++) await client.startNew("Noop", { instanceId: `bulk-${String(i).padStart(3, "0")}` });
    for (const id of ["done-1", "failed-1", "bulk-599"]) await client.waitForCompletion(id, { timeoutMs: 60_000 });
    for (;;) {
      const running = await client.list({ instanceIdPrefix: "bulk-", statuses: ["Pending", "Running"], pageSize: 1 });
      if (running.instances.length === 0) break;
      await client.waitForCompletion(running.instances[0]!.instanceId, { timeoutMs: 60_000 });
    }
  } finally {
    await worker.stop();
    await store.close();
  }
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (...args: string[]) => [...args, "--store", db];

describe("perdure help and usage", () => {
  it("prints complete help, and each command's", async () => {
    const main = await perdure(["--help"]);
    expect(main.code).toBe(0);
    for (const command of ["dev", "serve", "worker", "start", "status", "list", "history", "raise", "terminate", "suspend", "resume", "rewind", "purge"]) {
      expect(main.stdout).toMatch(new RegExp(`\\n  ${command} `));
    }
    const purge = await perdure(["purge", "--help"]);
    expect(purge.code).toBe(0);
    expect(purge.stdout).toMatch(/--created-before <date>/);
    expect(purge.stdout).toMatch(/--url <url>/);
    expect(purge.stdout).toMatch(/--json/);
  });

  it.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["status"], /missing required argument 'instance-id'/],
    [["list", "--colour"], /unknown option '--colour'/],
    [["start", "Hello", "--input", "{bad", "--store", "@db"], /--input must be JSON/],
    [["list", "--top", "0", "--store", "@db"], /--top must be an integer/],
    [["list", "--status", "Done", "--store", "@db"], /--status has an unknown runtime status "Done"; expected some of Pending/],
    [["purge", "--store", "@db"], /Pass an instance id, or --created-before/],
    [["status", "x", "--store", "a.db", "--url", "http://127.0.0.1:1"], /either --store or --url/],
    [["status", "x", "--url", "ftp://host"], /--url must be an http/],
  ])("exits 2 for %j", async (args, message) => {
    const result = await perdure(args.map((a) => (a === "@db" ? db : a)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("exits 1 with one line when the store file does not exist, and creates none", async () => {
    const missing = join(dir, "missing.db");
    const result = await perdure(["list", "--store", missing]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/No store at .*missing\.db: the file does not exist/);
  });
});

describe("instance commands with --store", () => {
  it("status: readable, --json, and exit 1 for an unknown id", async () => {
    const text = await perdure(at("status", "done-1"));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Instance: +done-1/);
    expect(text.stdout).toMatch(/Status: +Completed/);
    expect(text.stdout).toMatch(/Output: +"echo:ana"/);
    const json = await perdure(at("status", "failed-1", "--json"));
    expect(JSON.parse(json.stdout)).toMatchObject({ instanceId: "failed-1", runtimeStatus: "Failed", failureDetails: { errorMessage: "kaput" } });
    const missing = await perdure(at("status", "nobody"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("perdure: No instance with id 'nobody' exists (it may have been purged).\n");
  });

  it("list: a table, filters, and --json", async () => {
    const table = await perdure(at("list", "--prefix", "done", "--status", "completed"));
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^INSTANCE ID +NAME +STATUS +CREATED \(UTC\) +LAST UPDATED \(UTC\)$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/^done-1 +Hello +Completed /);
    const json = await perdure(at("list", "--status", "Failed,Running", "--json"));
    expect((JSON.parse(json.stdout) as Array<{ instanceId: string }>).map((s) => s.instanceId).sort()).toEqual(["failed-1", "wait-1"]);
    const few = await perdure(at("list", "--top", "5"));
    expect(few.stdout.trim().split("\n")).toHaveLength(6);
    expect(few.stderr).toMatch(/More instances match than the 5 shown/);
    const future = await perdure(at("list", "--created-from", "2999-01-01"));
    expect(future.stdout.trim()).toBe("No instances match.");
  });

  it("history: a timeline with durations, and --json", async () => {
    const text = await perdure(at("history", "done-1"));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Hello done-1: Completed\nTIME \(UTC\) +SINCE PREV +ELAPSED +EVENT +DETAILS/);
    expect(text.stdout).toMatch(/\+\d+ms +\d+ms +TaskCompleted +Echo, took \d+ms, → "echo:ana"/);
    expect(text.stdout).toMatch(/ExecutionCompleted +Completed/);
    // Every event with its ids and payloads: what replayHistory reads.
    const json = await perdure(at("history", "done-1", "--json"));
    const document = JSON.parse(json.stdout) as { instanceId: string; events: Array<{ type: string; eventId: number }> };
    expect(document.instanceId).toBe("done-1");
    expect(document.events.map((e) => e.type)).toEqual([
      "OrchestratorStarted",
      "ExecutionStarted",
      "TaskScheduled",
      "OrchestratorStarted",
      "TaskCompleted",
      "ExecutionCompleted",
    ]);
    expect(replayHistory(app, document).ok).toBe(true);
  });

  it("start, raise, suspend, resume, terminate, rewind: exit 0 when accepted, 1 when refused", async () => {
    const started = await perdure(at("start", "WaitForGo", "--id", "cli-1", "--input", '{"a":1}'));
    expect(started).toMatchObject({ code: 0, stdout: "Started WaitForGo: instance cli-1\n" });
    const json = await perdure(at("start", "Hello", "--input", '"x"', "--json"));
    expect(JSON.parse(json.stdout)).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), statusQueryGetUri: expect.any(String) });
    expect((await perdure(at("start", "WaitForGo", "--id", "cli-1"))).code).toBe(1);

    expect(await perdure(at("raise", "wait-1", "go", "--data", "[1,2]"))).toMatchObject({ code: 0, stdout: "Raised event 'go' to instance wait-1.\n" });
    expect((await perdure(at("suspend", "wait-1", "--reason", "pause"))).code).toBe(0);
    expect((await perdure(at("resume", "wait-1"))).code).toBe(0);
    const terminated = await perdure(at("terminate", "cli-1", "--reason", "test", "--json"));
    expect(JSON.parse(terminated.stdout)).toEqual({ instanceId: "cli-1", operation: "terminate", accepted: true });

    const gone = await perdure(at("terminate", "done-1"));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe("perdure: Cannot terminate instance 'done-1': it is Completed.\n");
    expect((await perdure(at("rewind", "done-1"))).code).toBe(1);
    expect((await perdure(at("rewind", "failed-1", "--reason", "retry"))).code).toBe(0);
    expect((await perdure(at("raise", "nobody", "go"))).code).toBe(1);
  });

  it("purge: one instance, then many created before a date, with progress on stderr", async () => {
    expect(await perdure(at("purge", "bulk-000"))).toMatchObject({ code: 0, stdout: "Purged instance bulk-000.\n" });
    const again = await perdure(at("purge", "bulk-000"));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No instance with id 'bulk-000' exists/);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const many = await perdure(at("purge", "--created-before", tomorrow, "--status", "Completed", "--json"));
    expect(many.code).toBe(0);
    const deleted = (JSON.parse(many.stdout) as { instancesDeleted: number }).instancesDeleted;
    expect(deleted).toBeGreaterThanOrEqual(600);
    expect(many.stderr).toMatch(/Purging… 500 purged/);
    expect(many.stderr).toMatch(new RegExp(`Purging… ${deleted} purged`));
    const none = await perdure(at("purge", "--created-before", tomorrow, "--status", "Completed"));
    expect(none).toMatchObject({ code: 0, stdout: "Purged 0 instances.\n" });
    const left = await perdure(at("list", "--json"));
    expect((JSON.parse(left.stdout) as Array<{ runtimeStatus: string }>).some((s) => s.runtimeStatus === "Completed")).toBe(false);
  });
});

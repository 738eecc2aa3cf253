/**
 * `perdure check`: a store seeded with 1,000 in-flight orders (and audits on version 1) is checked
 * against a compatible change of the code (exit 0) and a breaking one (exit 1, exactly the broken
 * instances listed), without changing the store; misuse exits 2.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, createWorker, postgres } from "../../src/index.js";
import { dropSchemas, freshSchema, pgUrl, withAdmin } from "../helpers/postgres.js";
import { startRuntime, waitUntil, type TestRuntime } from "../helpers/runtime.js";
import { buildShop } from "./fixtures/shop.js";
import { perdure } from "./cli-helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
const ORDERS = 1000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let rt: TestRuntime;
let orders: string[];
let audits: string[];
let fingerprint: () => Promise<string>;

beforeAll(async () => {
  rt = startRuntime(buildShop("v1"), { maxConcurrentOrchestrations: 4 });
  const client = createClient(rt.store, { app: buildShop("v1") });
  orders = [];
  for (let i = 0; i < ORDERS; i++) orders.push(await client.startNew("Order", { input: i, instanceId: `order-${String(i).padStart(4, "0")}` }));
  audits = [];
  for (let i = 0; i < 10; i++) audits.push(await client.startNew("Audit", { instanceId: `audit-${i}` }));
  // Two finished orders, for --finished.
  for (const id of orders.slice(0, 2)) {
    await waitUntil(async () => (await client.getHistory(id)).some((e) => e.type === "TaskCompleted" && e.taskScheduledId === 1), `${id} waits`);
    await client.raiseEvent(id, "Ship", "by truck");
    await client.waitForCompletion(id, { timeoutMs: 30_000 });
  }
  // Every order waits for its shipment: charged, then reserved or backordered.
  const waiting = async (id: string) => (await client.getHistory(id)).filter((e) => e.type === "TaskCompleted").length === 2;
  await waitUntil(async () => {
    for (const id of orders.slice(2)) if (!(await waiting(id))) return false;
    return true;
  }, "every order waits for its shipment", 60_000);
  await rt.worker.stop();
  const file = rt.file;
  fingerprint = async () => {
    const rows = JSON.stringify(await rt.store.queryInstances({ pageSize: 1000 })) + JSON.stringify(await rt.store.getHistory("order-0999"));
    return createHash("sha1").update(rows).update(readFileSync(file)).update(readFileSync(`${file}-wal`)).digest("hex");
  };
}, 120_000);

afterAll(async () => {
  await rt?.close();
});

const check = (module: string, ...args: string[]) => perdure(["check", fixture(module), "--store", rt.file, ...args]);

describe("perdure check", () => {
  it("passes a compatible change, reading every in-flight instance and changing nothing", async () => {
    const before = await fingerprint();
    const result = await check("shop-compatible", "--json");
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; checked: number; byStatus: Record<string, number>; failing: unknown[] };
    expect(report).toMatchObject({ ok: true, checked: ORDERS - 2 + 10, failing: [] });
    expect(report.byStatus.Running).toBe(ORDERS - 2 + 10);
    expect(await fingerprint()).toBe(before);
  });

  it("fails a breaking change with exit 1 and lists exactly the instances that would fail", async () => {
    const result = await check("shop-breaking", "--json");
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      failing: Array<{ instanceId: string; outcome: string; position?: number; recorded?: { name: string }; produced?: { name: string } }>;
    };
    expect(report.ok).toBe(false);
    const diverging = report.failing.filter((f) => f.outcome === "nondeterminism");
    // The odd orders were backordered: the renamed activity breaks them at their second call.
    const odd = orders.filter((_, i) => i % 2 === 1 && i >= 2);
    expect(diverging.map((f) => f.instanceId).sort()).toEqual(odd);
    expect(diverging[0]).toMatchObject({ position: 1, recorded: { name: "Backorder" }, produced: { name: "BackorderItem" } });
    // The audits run on version 1, which the breaking code no longer registers.
    const missing = report.failing.filter((f) => f.outcome === "unknown-version");
    expect(missing.map((f) => f.instanceId).sort()).toEqual(audits);
    expect(report.failing).toHaveLength(odd.length + audits.length);
  });

  it("prints a table of the failing instances for people", async () => {
    const result = await check("shop-breaking");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Checked 1008 instances \(1008 Running\) in [\d.]+ s\./);
    expect(result.stdout).toContain(`${499 + 10} would fail on this code:`);
    expect(result.stdout).toMatch(/order-0003 +Order +Running +at 1: history ScheduleTask 'Backorder', code ScheduleTask 'BackorderItem'/);
    expect(result.stdout).toMatch(/audit-0 +Audit +1 +Running +version '1' not in the module/);
  });

  it("checks the last finished instances too with --finished", async () => {
    const result = await check("shop-breaking", "--finished", "5", "--json", "--skip-unregistered");
    const report = JSON.parse(result.stdout) as { checked: number; byStatus: Record<string, number>; failing: Array<{ instanceId: string }> };
    expect(report.byStatus.Completed).toBe(2);
    // order-0001 (odd, finished) was backordered too.
    expect(report.failing.map((f) => f.instanceId)).toContain("order-0001");
  });

  it("exits 2 on misuse: no store, a bad count, a module without an app", async () => {
    const noStore = await perdure(["check", fixture("shop-compatible"), "--store", "/nonexistent/perdure.db"]);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/Cannot read the store/);
    expect((await check("shop-compatible", "--finished", "-3")).code).toBe(2);
    const notApp = await perdure(["check", fixture("shop"), "--store", rt.file]);
    expect(notApp.code).toBe(2);
    expect(notApp.stderr).toMatch(/exports no app/);
  });
});

describe.skipIf(!pgUrl)("perdure check on PostgreSQL", () => {
  it("reads the schema only, and fails the instances a breaking change would", { timeout: 120_000 }, async () => {
    const schema = freshSchema("perdure_check");
    try {
      const store = await postgres(pgUrl!, { schema });
      const worker = createWorker(buildShop("v1"), store, { logger: silent }).start();
      const client = createClient(store, { app: buildShop("v1") });
      const ids = await Promise.all([0, 1, 2, 3].map((i) => client.startNew("Order", { input: i, instanceId: `pg-order-${i}` })));
      await waitUntil(async () => {
        for (const id of ids) if ((await client.getHistory(id)).filter((e) => e.type === "TaskCompleted").length < 2) return false;
        return true;
      }, "the orders wait for their shipment");
      await worker.stop();
      await store.close();
      const snapshot = () =>
        withAdmin(async (admin) => {
          const tables = ["instances", "history", "messages", "tasks", "workers", "listeners"];
          const rows = await Promise.all(tables.map((t) => admin.query(`SELECT * FROM "${schema}".${t} ORDER BY 1`)));
          return JSON.stringify(rows.map((r) => r.rows));
        });
      const before = await snapshot();
      const args = ["check", "--store", pgUrl!, "--schema", schema, "--json"];
      const compatible = await perdure([...args.slice(0, 1), fixture("shop-compatible"), ...args.slice(1)]);
      expect(compatible.code, compatible.stderr).toBe(0);
      const breaking = await perdure([...args.slice(0, 1), fixture("shop-breaking"), ...args.slice(1)]);
      expect(breaking.code, breaking.stderr).toBe(1);
      const report = JSON.parse(breaking.stdout) as { failing: Array<{ instanceId: string }> };
      expect(report.failing.map((f) => f.instanceId).sort()).toEqual(["pg-order-1", "pg-order-3"]);
      expect(await snapshot()).toBe(before);
    } finally {
      await dropSchemas(schema);
    }
  });
});

/**
 * Records golden histories of every example with the test kit: runs each scenario on a virtual
 * clock with fixed ids and writes one JSON file per instance history (in flight or finished) next
 * to this script.
 *
 * Run once, review the diff, commit the files:  npx tsx test/replay/examples/record.ts
 *
 * A golden history is a promise to users: the example's code must keep replaying it. Re-recording
 * an existing file hides exactly the change the goldens exist to catch; add new files instead.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { entityId } from "../../../src/index.js";
import { createTestEnv, type TestEnv } from "../../../src/testing/index.js";
import { EXAMPLES, type ExampleName, type GoldenExample } from "./examples.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const HOUR = 3_600_000;

async function save(env: TestEnv, example: ExampleName, file: string, instanceId: string): Promise<void> {
  const status = await env.client.getStatus(instanceId);
  const golden: GoldenExample = {
    example,
    orchestration: status!.name,
    status: status!.runtimeStatus,
    history: (await env.client.getHistory(instanceId)).map(withoutStacks),
  };
  writeFileSync(`${dir}${file}.json`, `${JSON.stringify(golden, null, 2)}\n`);
}

/** An event without the stack traces of its failures: they name files of the machine that recorded it. */
function withoutStacks<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutStacks) as T;
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "stackTrace").map(([key, v]) => [key, withoutStacks(v)])) as T;
}

type Scenario = (env: TestEnv) => Promise<Array<[file: string, instanceId: string]>>;

const SCENARIOS: Record<ExampleName, Record<string, Scenario>> = {
  pipeline: {
    async "pipeline-retried"(env) {
      const m = EXAMPLES.pipeline.module;
      const real = m.app.getActivity("DownloadData")!.fn;
      env.mockActivity(m.downloadData, (input, ctx) => {
        if (ctx.attempt === 1) throw new Error("the sales service timed out");
        return real(input, ctx) as never;
      });
      const id = await env.startNew(m.pipeline, { input: { day: "2026-11-28" }, instanceId: "pipeline-1" });
      await env.runUntilIdle();
      return [["pipeline-retried", id]];
    },
    async "pipeline-cleanup"(env) {
      const m = EXAMPLES.pipeline.module;
      const id = await env.startNew(m.pipeline, { input: { day: "2026-11-29", failProcessing: true }, instanceId: "pipeline-2" });
      await env.runUntilIdle();
      return [["pipeline-cleanup", id]];
    },
  },
  "fan-out": {
    async "fan-out"(env) {
      const id = await env.startNew(EXAMPLES["fan-out"].module.fanOut, { input: 5, instanceId: "fan-out-1" });
      await env.runUntilIdle();
      return [["fan-out", id]];
    },
  },
  approval: {
    async approval(env) {
      const m = EXAMPLES.approval.module;
      const request = { amount: 120, requester: "sam", timeoutMs: 72 * HOUR };
      const approved = await env.startNew(m.approvalWorkflow, { input: request, instanceId: "approval-approved" });
      const escalated = await env.startNew(m.approvalWorkflow, { input: request, instanceId: "approval-escalated" });
      await env.advanceTime("5h");
      await env.raiseEvent(approved, "Approval", { approved: true, by: "ana" });
      await env.advanceTime("72h");
      return [
        ["approval-approved", approved],
        ["approval-escalated", escalated],
      ];
    },
    async "approval-in-flight"(env) {
      const m = EXAMPLES.approval.module;
      const id = await env.startNew(m.approvalWorkflow, { input: { amount: 5, requester: "kim", timeoutMs: 72 * HOUR }, instanceId: "approval-in-flight" });
      await env.advanceTime("1h");
      return [["approval-in-flight", id]];
    },
  },
  monitor: {
    async monitor(env) {
      const m = EXAMPLES.monitor.module;
      const id = await env.startNew(m.monitor, { input: { jobId: "job-7", intervalMs: 24 * HOUR, maxChecks: 10 }, instanceId: "monitor-1" });
      await env.settle();
      await save(env, "monitor", "monitor-first-check", id);
      await env.runUntilIdle();
      return [["monitor-done", id]];
    },
  },
  "sub-orchestrations": {
    async report(env) {
      const id = await env.startNew(EXAMPLES["sub-orchestrations"].module.globalReport, { input: ["north", "east"], instanceId: "report-1" });
      await env.runUntilIdle();
      return [
        ["report-parent", id],
        ["report-child", `${id}:north`],
      ];
    },
  },
  "http-async": {
    async order(env) {
      const order = { item: "book", quantity: 2, unitPrice: 12.5 };
      const id = await env.startNew(EXAMPLES["http-async"].module.processOrder, { input: order, instanceId: "order-1" });
      await env.runUntilIdle();
      return [["http-async-order", id]];
    },
  },
  "entity-counter": {
    async counter(env) {
      const m = EXAMPLES["entity-counter"].module;
      await env.client.signalEntity(entityId(m.counter, "visits"), "add", 10);
      const id = await env.startNew(m.addAll, { input: { key: "visits", amounts: [1, 2, 3] }, instanceId: "add-all-1" });
      await env.runUntilIdle();
      return [["entity-counter", id]];
    },
  },
  "entity-aggregator": {
    async aggregator(env) {
      const m = EXAMPLES["entity-aggregator"].module;
      const sale = await env.startNew(m.recordSale, { input: { day: "d1", sale: { region: "north", units: 3 } }, instanceId: "sale-1" });
      await env.runUntilIdle();
      const report = await env.startNew(m.dailyReport, { input: "d1", instanceId: "report-d1" });
      await env.runUntilIdle();
      return [
        ["entity-aggregator-sale", sale],
        ["entity-aggregator-report", report],
      ];
    },
  },
  "circuit-breaker": {
    async breaker(env) {
      const m = EXAMPLES["circuit-breaker"].module;
      await env.client.signalEntity(entityId(m.breaker, "billing"), "configure", { threshold: 1, coolDownMs: 60_000 });
      const failed = await env.startNew(m.guardedCall, { input: { service: "billing", fail: true }, instanceId: "call-failed" });
      await env.runUntilIdle();
      const open = await env.startNew(m.guardedCall, { input: { service: "billing", fail: false }, instanceId: "call-open" });
      await env.runUntilIdle();
      return [
        ["circuit-breaker-failed", failed],
        ["circuit-breaker-open", open],
      ];
    },
  },
};

for (const [example, scenarios] of Object.entries(SCENARIOS) as Array<[ExampleName, Record<string, Scenario>]>) {
  for (const scenario of Object.values(scenarios)) {
    const env = createTestEnv(EXAMPLES[example].module.app);
    try {
      for (const [file, id] of await scenario(env)) await save(env, example, file, id);
    } finally {
      await env.close();
    }
  }
}
console.log("Recorded the example goldens; review the diff before committing.");

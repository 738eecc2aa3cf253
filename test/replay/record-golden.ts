/**
 * Records the golden histories of test/replay/golden-app.ts: drives each orchestration through a
 * fixed schedule of completions, timer firings and events, and writes one JSON file per history.
 *
 * Run once, review the diff, commit the files:  npx tsx test/replay/record-golden.ts
 *
 * A golden history is a promise to users: code that recorded it must replay it. Re-recording an
 * existing file hides exactly the change the goldens exist to catch, so only add new files.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ExecutionResult } from "../../src/core/replay/executor.js";
import { Simulator, value } from "../helpers/simulator.js";
import {
  APPROVAL_TIMEOUT_MS,
  MONITOR_INTERVAL_MS,
  PROVISION_RETRY,
  buildGoldenApp,
  type GoldenFile,
} from "./golden-app.js";

const app = buildGoldenApp();
const T0 = new Date("2026-03-01T09:00:00.000Z");
const SECOND = 1000;

function simulator(name: string, instanceId: string, start = T0, executionId?: string): Simulator {
  return new Simulator(app, name, "warm", instanceId, start, executionId);
}

function golden(name: string, sim: Simulator): GoldenFile {
  const last: ExecutionResult = sim.last;
  if (last.status === "Running" || last.status === "Suspended") throw new Error(`${name}: the schedule did not finish it`);
  const expected = last.output === undefined ? { status: last.status } : { status: last.status, output: value(last.output) };
  return { orchestration: name, history: sim.history, expected };
}

const recordings: Record<string, () => GoldenFile> = {
  "pipeline-completed": () => {
    const sim = simulator("Pipeline", "golden-pipeline-1");
    const rows = [
      { id: 1, value: 3 },
      { id: 2, value: 4 },
    ];
    sim.start();
    sim.h.advance(2 * SECOND);
    sim.deliver(sim.h.taskCompleted(0, rows));
    sim.h.advance(3 * SECOND);
    sim.deliver(sim.h.taskCompleted(1, rows));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(2, { count: 2 }));
    return golden("Pipeline", sim);
  },

  "pipeline-cleanup": () => {
    const sim = simulator("Pipeline", "golden-pipeline-2");
    sim.start();
    sim.h.advance(2 * SECOND);
    sim.deliver(sim.h.taskCompleted(0, [{ id: 1, value: -1 }]));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskFailed(1, { errorType: "TypeError", errorMessage: "row 1 is malformed", stackTrace: "at Process" }));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(2));
    return golden("Pipeline", sim);
  },

  "fan-out-fan-in": () => {
    const sim = simulator("FanOutFanIn", "golden-fan-1");
    sim.start("batch-7");
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(0, ["a", "bb", "ccc", "dddd"]));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(3, 3), sim.h.taskCompleted(2, 2));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(4, 4));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(1, 1));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(5, 10));
    return golden("FanOutFanIn", sim);
  },

  "approval-approved": () => {
    const sim = simulator("Approval", "golden-approval-1");
    sim.start("order-17");
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(0));
    sim.h.advance(3 * 60 * 60 * SECOND);
    sim.deliver(sim.h.eventRaised("ApprovalEvent", { approved: true, by: "ana" }));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(2, "approved order-17"));
    return golden("Approval", sim);
  },

  "approval-timeout": () => {
    const sim = simulator("Approval", "golden-approval-2");
    sim.start("order-18");
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(0));
    sim.h.advance(APPROVAL_TIMEOUT_MS);
    sim.deliver(sim.h.timerFired(1, sim.h.now));
    sim.h.advance(SECOND);
    sim.deliver(sim.h.taskCompleted(2, "escalated order-18"));
    return golden("Approval", sim);
  },

  "monitor-continued": () => monitorExecution("golden-monitor-1", T0, 0, ["running", "running"]),

  "monitor-done": () => {
    // The first execution ends with its second timer: two polls of 2 s, each followed by an interval.
    const nextStart = new Date(T0.getTime() + 2 * (2 * SECOND + MONITOR_INTERVAL_MS) + SECOND);
    return monitorExecution("golden-monitor-1", nextStart, 2, ["running", "done"], "fedcba9876543210fedcba9876543210");
  },

  "provision-all": () => {
    const sim = simulator("ProvisionAll", "golden-prov-1");
    sim.start(["westeurope", "eastus"]);
    sim.h.advance(10 * SECOND);
    sim.deliver(sim.h.subOrchestrationFailed(0, { errorType: "QuotaError", errorMessage: "no capacity in westeurope" }));
    sim.h.advance(PROVISION_RETRY.firstRetryIntervalMs);
    sim.deliver(sim.h.timerFired(1, sim.h.now));
    for (const [id, region] of [[2, "westeurope"], [3, "eastus"]] as const) {
      const child = provisionChild(`golden-prov-1:${id}`, region, id, sim.h.now);
      sim.h.advance(10 * SECOND);
      sim.deliver(sim.h.subOrchestrationCompleted(id, child.expected.output));
    }
    return golden("ProvisionAll", sim);
  },

  "provision-child": () => provisionChild("golden-prov-1:2", "westeurope", 2, new Date(T0.getTime() + 15 * SECOND)),
};

/** The child of provision-all's second attempt, started when the parent created it. */
function provisionChild(instanceId: string, region: string, taskScheduledId: number, start: Date): GoldenFile {
  const sim = simulator("Provision", instanceId, start);
  const parent = { name: "ProvisionAll", instanceId: "golden-prov-1", taskScheduledId };
  sim.run([sim.h.orchestratorStarted(), sim.h.executionStarted("Provision", region, parent)]);
  sim.h.advance(5 * SECOND);
  sim.deliver(sim.h.taskCompleted(0, `${region}-1`));
  return golden("Provision", sim);
}

/** One execution of the monitor: one CheckStatus answer per poll, a timer after each "running". */
function monitorExecution(instanceId: string, start: Date, polls: number, answers: string[], executionId?: string): GoldenFile {
  const sim = simulator("Monitor", instanceId, start, executionId);
  let r = sim.start({ job: "job-9", polls });
  for (const answer of answers) {
    const call = r.actions.find((a) => a.type === "ScheduleTask");
    if (call?.type !== "ScheduleTask") throw new Error("the monitor did not poll");
    sim.h.advance(2 * SECOND);
    r = sim.deliver(sim.h.taskCompleted(call.id, answer));
    const timer = r.actions.find((a) => a.type === "CreateTimer");
    if (timer?.type === "CreateTimer") {
      sim.h.at(new Date(timer.fireAt));
      r = sim.deliver(sim.h.timerFired(timer.id, sim.h.now));
    } else if (answer === "done") {
      sim.h.advance(SECOND);
      r = sim.deliver(sim.h.taskCompleted(call.id + 1));
    }
  }
  return golden("Monitor", sim);
}

function main(): void {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  for (const [file, record] of Object.entries(recordings)) {
    const data = record();
    writeFileSync(`${dir}${file}.json`, `${JSON.stringify(data, null, 2)}\n`);
    console.log(`${file}.json: ${data.history.length} events, ${data.expected.status}`);
  }
}

main();

/**
 * Golden histories: histories recorded from test/replay/golden-app.ts (see record-golden.ts) must
 * replay exactly, cold and warm; a tampered copy, or the same history under changed code, must
 * fail the instance with a NonDeterminismError at the tampered position.
 */
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Action } from "../../src/core/actions.js";
import type { HistoryEvent } from "../../src/core/history.js";
import { OrchestrationExecutor, type ExecutionResult } from "../../src/core/replay/executor.js";
import { replay } from "../helpers/simulator.js";
import { GOLDEN_STEPS, VARIANT_STEPS, buildGoldenApp, type GoldenFile } from "./golden-app.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const goldens = readdirSync(dir)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(`${dir}${file}`, "utf8")) as GoldenFile) }));
const app = buildGoldenApp();
const variant = buildGoldenApp(VARIANT_STEPS);

/** The history cut into episodes, each starting at its OrchestratorStarted. */
function episodes(history: readonly HistoryEvent[]): HistoryEvent[][] {
  const out: HistoryEvent[][] = [];
  for (const event of history) {
    if (event.type === "OrchestratorStarted" || out.length === 0) out.push([]);
    out[out.length - 1]!.push(event);
  }
  return out;
}

const PRODUCED = new Set(["TaskScheduled", "TimerCreated", "SubOrchestrationInstanceCreated", "EventSent", "ExecutionCompleted"]);

/** The events of an episode that came from outside: the executor's input. */
const inputsOf = (episode: readonly HistoryEvent[]) => episode.filter((e) => !PRODUCED.has(e.type));

/** The action a produced event records (absent fields left out, as the executor leaves them). */
function actionOf(e: HistoryEvent): Partial<Action> {
  return Object.fromEntries(Object.entries(fieldsOf(e)).filter(([, v]) => v !== undefined));
}

function fieldsOf(e: HistoryEvent): Partial<Action> {
  switch (e.type) {
    case "TaskScheduled":
      return { type: "ScheduleTask", id: e.eventId, name: e.name, input: e.input };
    case "TimerCreated":
      return { type: "CreateTimer", id: e.eventId, fireAt: e.fireAt };
    case "SubOrchestrationInstanceCreated":
      return { type: "CreateSubOrchestration", id: e.eventId, name: e.name, instanceId: e.instanceId, input: e.input };
    case "EventSent":
      return { type: "SendEvent", id: e.eventId, instanceId: e.instanceId, name: e.name, data: e.input };
    case "ExecutionCompleted":
      return { type: "CompleteOrchestration", status: e.status, result: e.result, failureDetails: e.failureDetails };
    default:
      throw new Error(`${e.type} records no action`);
  }
}

const expectedOutput = (g: GoldenFile) => (g.expected.output === undefined ? undefined : JSON.stringify(g.expected.output));

function expectNonDeterminismAt(r: ExecutionResult, position: number): void {
  expect(r.status).toBe("Failed");
  expect(r.failureDetails?.errorType).toBe("NonDeterminismError");
  expect(r.failureDetails?.errorMessage).toContain(`at position ${position} `);
}

/** Copies of the history, each with one produced event altered. */
function tamperings(history: readonly HistoryEvent[]): { what: string; history: HistoryEvent[]; position: number }[] {
  const out: { what: string; history: HistoryEvent[]; position: number }[] = [];
  history.forEach((e, i) => {
    const copy = (replacement: HistoryEvent) => history.map((x, j) => (j === i ? replacement : x));
    if (e.type === "TaskScheduled" || e.type === "SubOrchestrationInstanceCreated") {
      out.push({ what: `${e.type} '${e.name}' renamed`, history: copy({ ...e, name: `${e.name}Tampered` }), position: e.eventId });
    }
    if (e.type === "TimerCreated") {
      const task: HistoryEvent = { type: "TaskScheduled", eventId: e.eventId, timestamp: e.timestamp, name: "Tampered" };
      out.push({ what: `TimerCreated ${e.eventId} made a TaskScheduled`, history: copy(task), position: e.eventId });
    }
  });
  return out;
}

it("keeps a golden history for every orchestration of the golden app", () => {
  expect(new Set(goldens.map((g) => g.orchestration))).toEqual(new Set(app.orchestrationNames));
  expect(goldens.length).toBeGreaterThanOrEqual(8);
});

it("has a variant app that differs in one step of every orchestration", () => {
  for (const key of Object.keys(GOLDEN_STEPS) as (keyof typeof GOLDEN_STEPS)[]) {
    expect(VARIANT_STEPS[key].toLowerCase()).not.toBe(GOLDEN_STEPS[key].toLowerCase());
  }
});

describe.each(goldens)("golden $file", (golden) => {
  const { orchestration, history, expected } = golden;

  it("replays cold to the recorded end, with no new actions and the same status and output", () => {
    const r = replay(app, orchestration, history);
    expect(r.status).toBe(expected.status);
    expect(r.output).toBe(expectedOutput(golden));
    expect(r.actions).toEqual([]);
    expect(r.newHistory).toEqual([]);
  });

  it("reproduces every recorded episode exactly, cold and warm", () => {
    const parts = episodes(history);
    const warm = new OrchestrationExecutor(app.getOrchestration(orchestration)!);
    parts.forEach((episode, k) => {
      const past = parts.slice(0, k).flat();
      const cold = replay(app, orchestration, past, inputsOf(episode));
      const hot = k === 0 ? warm.execute([], inputsOf(episode)) : warm.resume(inputsOf(episode));
      for (const r of [cold, hot]) {
        expect(r.newHistory).toEqual(episode);
        expect(r.actions).toMatchObject(episode.filter((e) => PRODUCED.has(e.type)).map(actionOf));
        expect(r.status).toBe(k === parts.length - 1 ? expected.status : "Running");
      }
      expect(hot.customStatus).toBe(cold.customStatus);
    });
    expect(warm.isDone).toBe(true);
  });

  // Each activity or sub-orchestration renamed in turn, each TimerCreated turned into a TaskScheduled.
  it("fails with NonDeterminismError when any recorded action is tampered with", () => {
    const tampered = tamperings(history);
    expect(tampered.length).toBeGreaterThan(0);
    for (const t of tampered) {
      const r = replay(app, orchestration, t.history);
      expectNonDeterminismAt(r, t.position);
      expect(r.actions.map((a) => a.type), t.what).toEqual(["CompleteOrchestration"]);
    }
  });

  it("fails with NonDeterminismError when replayed by code with a renamed step", () => {
    const r = replay(variant, orchestration, history);
    expect(r.status).toBe("Failed");
    expect(r.failureDetails?.errorType).toBe("NonDeterminismError");
    const renamed = Object.keys(GOLDEN_STEPS).some((key) => {
      const k = key as keyof typeof GOLDEN_STEPS;
      return r.failureDetails!.errorMessage.includes(`'${GOLDEN_STEPS[k]}'`) && r.failureDetails!.errorMessage.includes(`'${VARIANT_STEPS[k]}'`);
    });
    expect(renamed, r.failureDetails?.errorMessage).toBe(true);
  });
});

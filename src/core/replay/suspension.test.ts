/**
 * Suspension (executor invariant 4): events that arrive while an instance is suspended are held
 * and applied on resume, in order, and are never lost — also when applying them ends the execution.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../sdk/app.js";
import { Simulator, value } from "../../../test/helpers/simulator.js";

const app = createApp();
app.orchestration("Steps", function* (ctx) {
  const a: number = yield ctx.callActivity("A");
  const b: number = yield ctx.callActivity("B");
  return a + b;
});
app.orchestration("Loop", function* (ctx, n: number) {
  yield* ctx.callActivity("A");
  ctx.continueAsNew(n + 1);
});

describe.each(["warm", "cold"] as const)("suspension (%s)", (mode) => {
  it("does not run the code while a second suspension holds it", () => {
    const sim = new Simulator(app, "Steps", mode);
    sim.start();
    sim.deliver(sim.h.executionSuspended("first"));
    let r = sim.deliver(sim.h.executionSuspended("second"), sim.h.taskCompleted(0, 1));
    expect(r.status).toBe("Suspended");
    r = sim.deliver(sim.h.executionResumed());
    // The held second suspension applies again before the completion behind it.
    expect(r.status).toBe("Suspended");
    expect(r.actions).toEqual([]);
    r = sim.deliver(sim.h.executionResumed());
    expect(r.status).toBe("Running");
    expect(r.actions).toEqual([{ type: "ScheduleTask", id: 1, name: "B", input: undefined }]);
    r = sim.deliver(sim.h.taskCompleted(1, 2));
    expect(value(r.output)).toBe(3);
  });

  it("carries over events that were held when the resumed execution continues as new", () => {
    const sim = new Simulator(app, "Loop", mode);
    sim.start(0);
    sim.deliver(sim.h.executionSuspended(), sim.h.taskCompleted(0, 1), sim.h.eventRaised("Later", "x"));
    const r = sim.deliver(sim.h.executionResumed(), sim.h.eventRaised("Latest", "y"));
    expect(r.status).toBe("ContinuedAsNew");
    const complete = r.actions.at(-1);
    expect(complete?.type === "CompleteOrchestration" && complete.carryoverEvents).toMatchObject([
      { type: "EventRaised", name: "Later", input: '"x"' },
      { type: "EventRaised", name: "Latest", input: '"y"' },
    ]);
  });
});
